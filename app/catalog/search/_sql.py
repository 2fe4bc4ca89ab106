"""The one SQL statement that answers a SearchQuery. Pure (unit-tested). Piccolo QueryString {} placeholders;
no literal braces anywhere in the text (arrays are written ARRAY[...]).

Every value travels as a placeholder argument; f-strings only join this module's own fixed fragments.
"""
# ruff: noqa: S608

from __future__ import annotations

from typing import Any

from app.catalog.search._query import MAX_PAGE, SearchQuery
from app.catalog.search._text import phrase_key, query_words, tsquery_literal

FACET_LIMIT = 30
SPEC_SAMPLE = 500

_RATING = "(p.rating_sum::float8 / NULLIF(p.rating_count, 0))"
_POPULARITY = "0.05 * log(1 + greatest(p.sales_count, 0))"
# Seller assessment (app/assessment): active boosts (> 0) and demotions (< 0) per shop, in hundredths of a rank
# point; a few rows at most (partial index shop_measure_active_bonus), hashed once per query.
_SHOP_BONUS = (
    "LEFT JOIN (SELECT m.shop, sum(m.bonus) AS bonus FROM shop_measure m WHERE m.status = 'active' "
    "AND m.bonus <> 0 AND m.ends_at > now() GROUP BY m.shop) sb ON sb.shop = p.shop"
)
_ORDER = {
    "relevance": ("rank DESC", "sales_count DESC", "id DESC"),
    "sales": ("sales_count DESC", "id DESC"),
    "price_asc": ("price_min_fen ASC", "id ASC"),
    "price_desc": ("price_min_fen DESC", "id DESC"),
    "newest": ("created_at DESC", "id DESC"),
    "rating": ("rating DESC NULLS LAST", "rating_count DESC", "id DESC"),
}


def order_by(sort: str, table: str = "") -> str:
    prefix = f"{table}." if table else ""
    return ", ".join(prefix + key for key in _ORDER[sort])


class _Args:
    """Collects arguments in the order their {} placeholders appear: call it while writing the text."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def __call__(self, value: Any, cast: str = "") -> str:
        self.values.append(value)
        return "{}" + cast


def _matching(query: SearchQuery, arg: _Args, *, brand: bool) -> tuple[str, str, str]:
    """(FROM, rank expression, WHERE) for the visible products matching the query."""
    tsquery = tsquery_literal(query.q) if query.q else None
    source, rank = "product p JOIN shop s ON s.id = p.shop", "0.0"
    if query.q and tsquery is not None:
        key = phrase_key(query.q)
        names = sorted({key, *query_words(query.q)})  # '华为手机' names the category 手机
        source += (
            f" CROSS JOIN (SELECT {arg(tsquery, '::tsquery')} AS tq, {arg(key, '::text')} AS phrase, "
            "ARRAY(SELECT c.id FROM category c WHERE replace(lower(c.name_zh), ' ', '') = "
            f"ANY({arg(names, '::text[]')}) OR replace(lower(c.name_en), ' ', '') = ANY({arg(names, '::text[]')})"
            ") AS cats) qq"
        )
        if query.sort == "relevance":
            rank = (
                "ts_rank_cd(ARRAY[0.1, 0.2, 0.4, 1.0]::float4[], p.search_vector, qq.tq, 1 | 32)"
                " + CASE WHEN strpos(replace(lower(p.title), ' ', ''), qq.phrase) > 0 THEN 1.0 ELSE 0.0 END"
                f" + CASE WHEN p.category = ANY(qq.cats) THEN 0.5 ELSE 0.0 END + {_POPULARITY}"
            )
    elif query.sort == "relevance":
        rank = _POPULARITY
    if query.sort == "relevance":  # assessment (issue 9): a shop's traffic boost / demotion, see _SHOP_BONUS
        source, rank = f"{source} {_SHOP_BONUS}", f"{rank} + COALESCE(sb.bonus, 0) / 100.0"
    conds = ["p.status = 'active'", "s.status = 'active'"]
    if query.q:
        # a query of punctuation only matches nothing (rather than everything)
        conds.append("p.search_vector @@ qq.tq" if tsquery is not None else "false")
    if query.category_id:
        conds.append(
            "p.category IN (SELECT c.id FROM category c JOIN category root ON starts_with(c.path, root.path) "
            f"WHERE root.id = {arg(query.category_id, '::int')})"
        )
    if query.price_min_fen is not None:
        conds.append(f"p.price_min_fen >= {arg(query.price_min_fen, '::bigint')}")
    if query.price_max_fen is not None:
        conds.append(f"p.price_min_fen <= {arg(query.price_max_fen, '::bigint')}")
    if query.shop_id:
        conds.append(f"p.shop = {arg(query.shop_id, '::int')}")
    if query.section_id:
        section = arg(query.section_id, "::int")
        conds.append(f"p.id IN (SELECT ps.product FROM product_shop_section ps WHERE ps.section = {section})")
    if query.in_stock:
        conds.append("p.stock_total > 0")
    if query.specs:
        sku = ["k.product = p.id"]
        for name, values in sorted(query.specs.items()):
            sku.append(f"k.spec_values ->> {arg(name, '::text')} = ANY({arg(list(values), '::text[]')})")
        if query.in_stock:
            sku.append("k.stock > 0")  # the SKU with those values is the one that must be in stock
        conds.append(f"EXISTS (SELECT 1 FROM sku k WHERE {' AND '.join(sku)})")
    if brand and query.brand_ids:
        conds.append(f"p.brand = ANY({arg(list(query.brand_ids), '::int[]')})")
    return source, rank, " AND ".join(conds)


# One product card as JSON, over `product p JOIN shop s` (read back with card_from_row): price, list price,
# rating parts, first image. Also used by the shop page's featured products.
CARD_JSON = """json_build_object(
      'id', p.id, 'title', p.title, 'subtitle', p.subtitle, 'shop_id', p.shop, 'shop_name', s.name,
      'price_min_fen', p.price_min_fen, 'sales_count', p.sales_count, 'stock_total', p.stock_total,
      'rating_sum', p.rating_sum, 'rating_count', p.rating_count,
      'list_price_fen', (SELECT min(k.list_price_fen) FROM sku k WHERE k.product = p.id),
      'cover', (SELECT json_build_object('key', i.key, 'width', i.width, 'height', i.height)
                FROM product_image i WHERE i.product = p.id ORDER BY i.position, i.id LIMIT 1))"""


def _cards(order: str) -> str:
    """The page's cards as one JSON array, in order."""
    return f"""(SELECT json_agg({CARD_JSON} ORDER BY {order})
   FROM page pg JOIN product p ON p.id = pg.id JOIN shop s ON s.id = p.shop) AS products"""


def build_sql(query: SearchQuery, *, facets: bool = True) -> tuple[str, list[Any]]:
    """One statement, one round trip: total, the page of cards and (facets=True) the facets, as JSON columns.

    Relevance (sort="relevance" with a query) = ts_rank_cd (title weight A, brand B, leaf category and
    subtitle C, spec values D; length-normalised, 0-1) + 1 when the whole query appears in the title + 0.5
    when the query or one of its words names the product's category + 0.05 x log10(1 + sales): the exact
    phrase ranks first,
    then what the shopper named, then among equals the better seller.

    Category, brand and shop facets and the price range are exact (brands counted without the brand filter,
    for multi-select); spec facets are counted on the first SPEC_SAMPLE results in the chosen order: the
    values of what the shopper is looking at (counting every jsonb value of 20,000 hits costs more than the
    rest of the query). facets=False (the home feed) reads only the page through the sort's index and
    counts at most MAX_PAGE pages of matches: total is then exact only below that cap.
    """
    arg = _Args()
    if not facets:
        source, rank, where = _matching(query, arg, brand=True)
        page = (
            f"SELECT p.id, p.price_min_fen, p.sales_count, p.created_at, p.rating_count, {_RATING} AS rating, "
            f"({rank})::float8 AS rank FROM {source} WHERE {where} ORDER BY {order_by(query.sort)} "
            f"LIMIT {arg(query.per_page, '::int')} OFFSET {arg(query.offset, '::int')}"
        )
        source, _rank, where = _matching(query, arg, brand=True)
        cap = arg(MAX_PAGE * query.per_page, "::int")
        return (
            f"WITH page AS ({page})\nSELECT (SELECT count(*) FROM (SELECT 1 FROM {source} WHERE {where} "
            f"LIMIT {cap}) x) AS total,\n{_cards(order_by(query.sort, 'pg'))}",
            arg.values,
        )
    source, rank, where = _matching(query, arg, brand=False)
    hits, brand_cte = "base", ""
    if query.brand_ids:
        hits = "hits"
        brand_cte = f"hits AS (SELECT * FROM base WHERE brand = ANY({arg(list(query.brand_ids), '::int[]')})),"
    order = order_by(query.sort)
    limit, offset = arg(query.per_page, "::int"), arg(query.offset, "::int")
    sql = f"""
WITH base AS MATERIALIZED (
  SELECT p.id, p.category, p.brand, p.shop, p.price_min_fen, p.sales_count, p.created_at, p.rating_count,
         p.specs, {_RATING} AS rating, ({rank})::float8 AS rank
  FROM {source}
  WHERE {where}
),
{brand_cte}
page AS (SELECT * FROM {hits} ORDER BY {order} LIMIT {limit} OFFSET {offset}),
sample AS (SELECT specs FROM {hits} ORDER BY {order} LIMIT {SPEC_SAMPLE})
SELECT
  (SELECT count(*) FROM {hits}) AS total,
  {_cards(order_by(query.sort, "pg"))},
  (SELECT json_agg(json_build_object('id', c.id, 'name', c.name_zh, 'name_en', c.name_en, 'count', f.n)
                   ORDER BY f.n DESC, c.id)
   FROM (SELECT category AS id, count(*) AS n FROM {hits} GROUP BY category ORDER BY n DESC, category
         LIMIT {FACET_LIMIT}) f JOIN category c ON c.id = f.id) AS categories,
  (SELECT json_agg(json_build_object('id', b.id, 'name', b.name, 'name_en', b.name_en, 'count', f.n)
                   ORDER BY f.n DESC, b.id)
   FROM (SELECT brand AS id, count(*) AS n FROM base WHERE brand IS NOT NULL GROUP BY brand
         ORDER BY n DESC, brand LIMIT {FACET_LIMIT}) f JOIN brand b ON b.id = f.id) AS brands,
  (SELECT json_agg(json_build_object('id', s.id, 'name', s.name, 'name_en', '', 'count', f.n)
                   ORDER BY f.n DESC, s.id)
   FROM (SELECT shop AS id, count(*) AS n FROM {hits} GROUP BY shop ORDER BY n DESC, shop
         LIMIT {FACET_LIMIT}) f JOIN shop s ON s.id = f.id) AS shops,
  (SELECT json_agg(json_build_object('name', f.name, 'value', f.value, 'count', f.n))
   FROM (SELECT e ->> 'name' AS name, v AS value, count(*) AS n
         FROM sample x
         CROSS JOIN LATERAL jsonb_array_elements(
             CASE WHEN jsonb_typeof(x.specs) = 'array' THEN x.specs ELSE '[]'::jsonb END) e
         CROSS JOIN LATERAL jsonb_array_elements_text(
             CASE WHEN jsonb_typeof(e -> 'values') = 'array' THEN e -> 'values' ELSE '[]'::jsonb END) v
         WHERE jsonb_typeof(e -> 'name') = 'string'
         GROUP BY 1, 2) f) AS specs,
  (SELECT min(price_min_fen) FROM {hits}) AS price_lo,
  (SELECT max(price_min_fen) FROM {hits}) AS price_hi
"""
    return sql, arg.values
