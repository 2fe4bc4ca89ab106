"""catalog.search without a database: parsing the query string, segmenting, and building the SQL."""

from __future__ import annotations

import re

import pytest

from app.catalog.search import SORTS, SearchQuery, build_sql, parse_query, segment, tsquery_literal
from app.catalog.search._query import MAX_PAGE, MAX_PER_PAGE
from app.catalog.search._sql import order_by
from app.catalog.search._text import tsvector_literal


# ---------------------------------------------------------------- parse_query
def test_an_empty_query_string_is_the_default_search() -> None:
    assert parse_query({}) == SearchQuery()


def test_every_parameter_is_parsed() -> None:
    q = parse_query(
        {
            "q": "  华为   手机 ",
            "category": "12",
            "shop": "3",
            "brand": ["5", "7,9"],
            "price_min": "99.5",
            "price_max": "¥1,000",
            "in_stock": "on",
            "spec": ["颜色:红色", "颜色:蓝色", "尺码: M "],
            "sort": "price_desc",
            "page": "2",
            "per_page": "40",
        }
    )
    assert q == SearchQuery(
        q="华为 手机",
        category_id=12,
        shop_id=3,
        brand_ids=[5, 7, 9],
        price_min_fen=9950,
        price_max_fen=100000,
        in_stock=True,
        specs={"颜色": ["红色", "蓝色"], "尺码": ["M"]},
        sort="price_desc",
        page=2,
        per_page=40,
    )
    assert q.offset == 40 and q.has_filters


def test_full_width_and_upper_case_text_is_normalised() -> None:
    assert parse_query({"q": "ＩＰｈｏｎｅ\u3000１５"}).q == "iphone 15"


@pytest.mark.parametrize(
    ("params", "field", "expected"),
    [
        ({"category": "abc"}, "category_id", None),
        ({"category": "-3"}, "category_id", None),
        ({"category": "0"}, "category_id", None),
        ({"category": "99999999999"}, "category_id", None),
        ({"category": "١٢"}, "category_id", None),  # Arabic-Indic digits are not an id
        ({"shop": "1.5"}, "shop_id", None),
        ({"brand": ["x", "3", "3", "0"]}, "brand_ids", [3]),
        ({"price_min": "-1"}, "price_min_fen", None),
        ({"price_min": "abc"}, "price_min_fen", None),
        ({"price_min": "0"}, "price_min_fen", None),
        ({"price_max": "nan"}, "price_max_fen", None),
        ({"price_max": "1e999999999"}, "price_max_fen", 10**12),  # clamped, without building a huge int
        ({"price_max": "0"}, "price_max_fen", 0),
        ({"in_stock": "0"}, "in_stock", False),
        ({"in_stock": "yes"}, "in_stock", True),
        ({"sort": "DROP TABLE"}, "sort", "relevance"),
        ({"page": "0"}, "page", 1),
        ({"page": "x"}, "page", 1),
        ({"page": "100000"}, "page", MAX_PAGE),
        ({"per_page": "500"}, "per_page", MAX_PER_PAGE),
        ({"per_page": "0"}, "per_page", 20),
        ({"spec": ["颜色", ":红", "颜色:", "x" * 40 + ":1"]}, "specs", {}),
        ({"q": "好" * 100}, "q", "好" * 64),
        ({"q": ["手机", "电脑"]}, "q", "手机"),
    ],
)
def test_junk_is_ignored_and_numbers_are_clamped(params: dict, field: str, expected: object) -> None:  # type: ignore[type-arg]
    assert getattr(parse_query(params), field) == expected


def test_a_reversed_price_range_is_swapped() -> None:
    q = parse_query({"price_min": "500", "price_max": "100"})
    assert (q.price_min_fen, q.price_max_fen) == (10000, 50000)


def test_spec_and_brand_lists_are_bounded() -> None:
    specs = [f"n{i}:v{j}" for i in range(10) for j in range(30)]
    q = parse_query({"spec": specs, "brand": [str(i) for i in range(1, 50)]})
    assert len(q.specs) == 6 and all(len(v) == 20 for v in q.specs.values())
    assert len(q.brand_ids) == 20


def test_every_sort_is_accepted() -> None:
    assert [parse_query({"sort": s}).sort for s in SORTS] == list(SORTS)


# ---------------------------------------------------------------- segmentation
def test_segment_yields_sub_words_and_drops_punctuation_and_stop_words() -> None:
    assert segment("笔记本电脑") == ["笔记", "电脑", "笔记本", "笔记本电脑"]
    assert segment("红色的，连衣裙!") == ["红色", "连衣", "衣裙", "连衣裙"]
    assert segment("iPhone15 Pro") == ["iphone15", "iphone", "15", "pro"]


def test_tsquery_requires_every_word_and_lets_long_words_match_their_parts() -> None:
    assert tsquery_literal("华为手机") == "'华为' & '手机'"
    assert tsquery_literal("笔记本电脑") == "('笔记本电脑' | ('笔记' & '电脑'))"
    assert tsquery_literal("mate 60") == "'mate':* & '60'"  # latin words of 3+ letters match as prefixes
    assert tsquery_literal("手机 手机") == "'手机'"
    assert tsquery_literal("！？…") is None
    assert tsquery_literal("it's") == "'it' & 's'"


def test_lexemes_are_quoted_safely() -> None:
    literal = tsvector_literal([("a'b \\ c", "A")])
    assert literal == "'a':1A 'b':2A 'c':3A"
    assert tsquery_literal("o'neil") == "'o' & 'neil':*"


def test_tsvector_weights_fields_and_keeps_them_apart() -> None:
    literal = tsvector_literal([("华为手机", "A"), ("手机", "C")])
    assert literal == "'华为':1A '手机':2A,11C"


# ---------------------------------------------------------------- build_sql
def _placeholders(sql: str) -> int:
    return sql.count("{}")


def test_build_sql_has_one_argument_per_placeholder_and_no_other_braces() -> None:
    query = parse_query(
        {
            "q": "华为手机",
            "category": "2",
            "shop": "3",
            "brand": ["4", "5"],
            "price_min": "1",
            "price_max": "2",
            "in_stock": "1",
            "spec": ["颜色:红", "尺码:M"],
        }
    )
    query.section_id = 6  # a shop's own category, set by the shop page
    for facets in (True, False):
        sql, args = build_sql(query, facets=facets)
        assert "product_shop_section" in sql and 6 in args
        assert _placeholders(sql) == len(args)
        assert not re.search(r"\{(?!\})|(?<!\{)\}", sql), "a literal brace would break QueryString"


def test_build_sql_passes_every_value_as_an_argument_never_in_the_text() -> None:
    query = parse_query({"q": "手机'; DROP TABLE product; --", "spec": ["颜色:红'--"], "brand": "7"})
    sql, args = build_sql(query)
    assert "DROP" not in sql and "红" not in sql and "手机" not in sql
    assert "'手机' & 'drop':* & 'table':* & 'product':*" in args
    assert "颜色" in args and ["红'--"] in args and [7] in args


def test_the_default_search_only_filters_visibility() -> None:
    sql, args = build_sql(SearchQuery())
    assert "p.status = 'active' AND s.status = 'active'" in sql
    assert "@@" not in sql and "EXISTS" not in sql and "brand = ANY" not in sql
    assert args == [20, 0]


def test_filters_appear_only_when_asked_for() -> None:
    sql, args = build_sql(parse_query({"category": "9", "price_min": "10", "shop": "4"}))
    assert "starts_with(c.path, root.path)" in sql and "p.price_min_fen >= {}::bigint" in sql
    assert "p.price_min_fen <=" not in sql and "p.shop = {}::int" in sql
    assert args[:3] == [9, 1000, 4]


def test_brand_filter_applies_to_results_but_not_to_the_brand_facet() -> None:
    sql, _args = build_sql(parse_query({"q": "手机", "brand": "3"}))
    assert "hits AS (SELECT * FROM base WHERE brand = ANY({}::int[]))" in sql
    assert "FROM base WHERE brand IS NOT NULL GROUP BY brand" in sql
    assert "(SELECT count(*) FROM hits) AS total" in sql


def test_in_stock_with_specs_needs_the_matching_sku_in_stock() -> None:
    sql, args = build_sql(parse_query({"spec": ["尺码:M", "颜色:红"], "in_stock": "1"}))
    assert "p.stock_total > 0" in sql
    assert (
        "EXISTS (SELECT 1 FROM sku k WHERE k.product = p.id AND k.spec_values ->> {}::text = ANY({}::text[]) "
        "AND k.spec_values ->> {}::text = ANY({}::text[]) AND k.stock > 0)" in sql
    )
    assert args[:4] == ["尺码", ["M"], "颜色", ["红"]]


@pytest.mark.parametrize("sort", SORTS)
def test_each_sort_orders_the_page_and_the_cards_alike(sort: str) -> None:
    sql, _args = build_sql(parse_query({"q": "手机", "sort": sort}))
    assert f"ORDER BY {order_by(sort)} LIMIT" in sql
    assert f"ORDER BY {order_by(sort, 'pg')})" in sql
    assert order_by(sort).endswith(("id DESC", "id ASC"))  # a total order: pages never overlap


def test_relevance_ranks_by_text_phrase_category_and_sales_only_when_sorting_by_it() -> None:
    sql, args = build_sql(parse_query({"q": "华为 手机"}))
    assert "ts_rank_cd(" in sql and "strpos(replace(lower(p.title), ' ', ''), qq.phrase)" in sql
    assert "p.category = ANY(qq.cats)" in sql
    assert args[:2] == ["'华为' & '手机'", "华为手机"]
    by_price, _ = build_sql(parse_query({"q": "华为 手机", "sort": "price_asc"}))
    assert "ts_rank_cd(" not in by_price and "@@ qq.tq" in by_price


def test_a_punctuation_query_matches_nothing() -> None:
    sql, _args = build_sql(parse_query({"q": "！！"}))
    assert "AND false" in sql


def test_paging_arguments() -> None:
    sql, args = build_sql(parse_query({"q": "手机", "page": "3", "per_page": "10"}))
    assert "LIMIT {}::int OFFSET {}::int" in sql
    assert args[-2:] == [10, 20]


def test_feed_mode_has_no_facets_and_caps_the_count() -> None:
    sql, args = build_sql(parse_query({"sort": "sales", "brand": "2"}), facets=False)
    assert "categories" not in sql and "jsonb_array_elements" not in sql
    assert "p.brand = ANY({}::int[])" in sql
    assert args == [[2], 20, 0, [2], MAX_PAGE * 20]
