"""catalog.search against PostgreSQL on a fixed catalogue: ranking, filters, facets, sorting, paging,
visibility, suggestions, the search log, history and hot searches."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from app.catalog import search as s
from app.catalog.tables import Brand, Product, ProductImage, SearchLog
from app.core.db import engine, fetch
from app.sellers.tables import Shop
from tests.factories import make_category, make_product, make_shop, make_user


@pytest.fixture(autouse=True)
async def _forget_search_state() -> AsyncIterator[None]:
    """search_term is raw SQL (not a Piccolo table), so the shared truncation does not empty it."""
    yield
    await engine().run_ddl("TRUNCATE search_term")
    s.forget_hot_searches()
    s.forget_cached_results()


@dataclass
class Catalogue:
    root: int  # 手机数码
    phones: int  # 手机数码 > 手机通讯 > 手机
    cases: int  # 手机数码 > 手机配件 > 手机壳
    dresses: int  # 服饰 > 女装 > 连衣裙
    huawei: int
    apple: int
    shop_a: int
    shop_b: int
    ids: dict[str, int]


async def _product(
    key: str,
    ids: dict[str, int],
    *,
    brand: int | None = None,
    subtitle: str = "",
    rating: tuple[int, int] = (0, 0),
    age_days: int = 0,
    cover: bool = False,
    **kw: Any,
) -> None:
    pid = await make_product(**kw)
    await Product.update(
        {
            Product.brand: brand,
            Product.subtitle: subtitle,
            Product.rating_sum: rating[0],
            Product.rating_count: rating[1],
            Product.created_at: datetime(2026, 11, 1, tzinfo=UTC) - timedelta(days=age_days),
        }
    ).where(Product.id == pid)
    if cover:
        await ProductImage.insert(
            ProductImage(product=pid, position=1, key=f"k{pid}-second", width=10, height=10),
            ProductImage(product=pid, position=0, key=f"k{pid}-cover", width=800, height=600),
        )
    ids[key] = pid


def _sku(price_fen: int, stock: int, list_price_fen: int | None = None, **spec_values: str) -> dict[str, Any]:
    return {"spec_values": spec_values, "price_fen": price_fen, "list_price_fen": list_price_fen, "stock": stock}


async def catalogue() -> Catalogue:
    root = await make_category(name="手机数码")
    phones = await make_category(name="手机", parent=await make_category(name="手机通讯", parent=root))
    cases = await make_category(name="手机壳", parent=await make_category(name="手机配件", parent=root))
    women = await make_category(name="女装", parent=await make_category(name="服饰"))
    dresses = await make_category(name="连衣裙", parent=women)
    huawei = (await Brand.insert(Brand(name="华为", name_en="HUAWEI")).returning(Brand.id))[0]["id"]
    apple = (await Brand.insert(Brand(name="苹果", name_en="Apple")).returning(Brand.id))[0]["id"]
    shop_a, shop_b, closed = await make_shop(name="甲店"), await make_shop(name="乙店"), await make_shop(name="停业店")
    await Shop.update({Shop.status: "suspended"}).where(Shop.id == closed.id)
    ids: dict[str, int] = {}
    await _product(
        "phrase",
        ids,
        shop=shop_a,
        category=phones,
        brand=huawei,
        title="华为手机 Mate 60 Pro 雅丹黑",
        sales=500,
        rating=(48, 10),
        age_days=3,
        cover=True,
        specs=[{"name": "颜色", "values": ["黑色", "白色"]}],
        skus=[_sku(699900, 5, 799900, 颜色="黑色"), _sku(709900, 0, 749900, 颜色="白色")],
    )
    await _product(
        "words",
        ids,
        shop=shop_b,
        category=phones,
        brand=huawei,
        title="华为 Mate 60 5G 智能手机 12GB+512GB",
        sales=2000,
        rating=(45, 10),
        age_days=10,
        skus=[_sku(599900, 3)],
    )
    await _product(
        "case",
        ids,
        shop=shop_a,
        category=cases,
        title="手机壳 适用华为Mate60 透明防摔",
        sales=10000,
        rating=(40, 10),
        age_days=1,
        skus=[_sku(1990, 100)],
    )
    await _product(
        "iphone_case",
        ids,
        shop=shop_b,
        category=cases,
        brand=apple,
        title="苹果iPhone 15 手机壳 硅胶",
        sales=300,
        age_days=5,
        skus=[_sku(2990, 8)],
    )
    await _product(
        "sold_out",
        ids,
        shop=shop_b,
        category=phones,
        title="小米手机 Redmi K70",
        sales=800,
        rating=(50, 10),
        skus=[_sku(249900, 0)],
    )
    await _product(
        "dress",
        ids,
        shop=shop_a,
        category=dresses,
        title="红色连衣裙 夏季纯棉",
        subtitle="显瘦 碎花",
        specs=[{"name": "颜色", "values": ["红色", "白色"]}, {"name": "尺码", "values": ["S", "M"]}],
        skus=[_sku(15900, 0, 颜色="红色", 尺码="S"), _sku(16900, 4, 颜色="白色", 尺码="M")],
    )
    await _product("draft", ids, shop=shop_a, category=phones, title="华为手机 草稿", status="draft", sales=99999)
    await _product("suspended", ids, shop=closed, category=phones, title="华为手机 停业店铺", sales=99999)
    assert await s.reindex_products() == len(ids)
    return Catalogue(root, phones, cases, dresses, huawei, apple, shop_a.id, shop_b.id, ids)


async def find(**params: str | list[str]):  # type: ignore[no-untyped-def]
    return await s.search(s.parse_query(params))


def keys(cat: Catalogue, result) -> list[str]:  # type: ignore[no-untyped-def]
    names = {v: k for k, v in cat.ids.items()}
    return [names[p.id] for p in result.products]


# ---------------------------------------------------------------- matching and ranking
async def test_phone_finds_phone_cases_and_huawei_phones_but_never_invisible_products() -> None:
    cat = await catalogue()
    result = await find(q="手机")
    assert set(keys(cat, result)) == {"phrase", "words", "case", "iphone_case", "sold_out"}
    assert result.total == 5 and result.suggestions == []


async def test_the_exact_phrase_ranks_first() -> None:
    cat = await catalogue()
    found = keys(cat, await find(q="华为手机"))
    assert found[0] == "phrase"  # "华为手机" as typed, though "words" sells four times as much
    assert set(found) == {"phrase", "words", "case"}  # both words, apart: still found, after
    assert keys(cat, await find(q="手机壳"))[:2] in (["case", "iphone_case"], ["iphone_case", "case"])


async def test_naming_the_category_ranks_its_products_above_accessories() -> None:
    cat = await catalogue()
    found = keys(cat, await find(q="手机"))
    assert set(found[:3]) == {"phrase", "words", "sold_out"}  # category 手机 first, then the cases


async def test_brand_latin_names_model_prefixes_and_full_width_input_match() -> None:
    cat = await catalogue()
    assert set(keys(cat, await find(q="huawei"))) == {"phrase", "words"}
    assert set(keys(cat, await find(q="ＩＰＨＯＮＥ"))) == {"iphone_case"}
    assert set(keys(cat, await find(q="mate"))) == {"phrase", "words", "case"}  # 'mate60' too
    assert keys(cat, await find(q="碎花")) == ["dress"]  # subtitle


async def test_invisible_products_never_appear_in_results_counts_or_facets() -> None:
    cat = await catalogue()
    everything = await find(sort="sales")
    assert "draft" not in keys(cat, everything) and "suspended" not in keys(cat, everything)
    assert everything.total == 6
    assert sum(c.count for c in everything.facets.categories) == 6
    assert {f.name for f in everything.facets.shops} == {"甲店", "乙店"}
    await Product.update({Product.status: "delisted"}).where(Product.id == cat.ids["phrase"])
    assert "phrase" not in keys(cat, await find(q="华为手机"))


async def test_punctuation_only_finds_nothing() -> None:
    await catalogue()
    assert (await find(q="！！？")).total == 0


# ---------------------------------------------------------------- filters and facets
async def test_category_filter_takes_the_whole_subtree() -> None:
    cat = await catalogue()
    assert set(keys(cat, await find(category=str(cat.root)))) == {"phrase", "words", "case", "iphone_case", "sold_out"}
    assert set(keys(cat, await find(q="华为", category=str(cat.cases)))) == {"case"}


async def test_price_range_is_in_yuan_and_inclusive() -> None:
    cat = await catalogue()
    cheap = await find(q="手机", price_min="19.9", price_max="2499")
    assert set(keys(cat, cheap)) == {"case", "iphone_case", "sold_out"}
    assert set(keys(cat, await find(q="手机", price_min="6000"))) == {"phrase"}


async def test_shop_brand_and_in_stock_filters() -> None:
    cat = await catalogue()
    assert set(keys(cat, await find(q="手机", shop=str(cat.shop_a)))) == {"phrase", "case"}
    both = await find(q="手机", brand=[str(cat.huawei), str(cat.apple)])
    assert set(keys(cat, both)) == {"phrase", "words", "iphone_case"}
    assert set(keys(cat, await find(q="手机", in_stock="1"))) == {"phrase", "words", "case", "iphone_case"}


async def test_brand_facet_ignores_the_brand_filter_so_more_brands_can_be_ticked() -> None:
    cat = await catalogue()
    result = await find(q="手机", brand=str(cat.apple))
    assert result.total == 1
    assert {(b.name, b.count) for b in result.facets.brands} == {("华为", 2), ("苹果", 1)}
    assert [(c.name, c.count) for c in result.facets.categories] == [("手机壳", 1)]


async def test_spec_filter_needs_one_sku_with_every_chosen_value_and_stock_when_asked() -> None:
    cat = await catalogue()
    assert keys(cat, await find(spec=["颜色:红色", "尺码:S"])) == ["dress"]
    assert keys(cat, await find(spec=["颜色:红色", "尺码:M"])) == []  # no red M
    assert keys(cat, await find(spec=["颜色:红色", "颜色:白色", "尺码:M"])) == ["dress"]  # red or white, in M
    assert keys(cat, await find(spec=["颜色:红色", "尺码:S"], in_stock="1")) == []  # the red S is sold out
    assert set(keys(cat, await find(q="手机", spec="颜色:白色"))) == {"phrase"}


async def test_facets_count_categories_brands_shops_specs_and_price_range() -> None:
    await catalogue()
    f = (await find(q="手机")).facets
    assert [(c.name, c.count) for c in f.categories] == [("手机", 3), ("手机壳", 2)]
    assert [(b.name, b.count) for b in f.brands] == [("华为", 2), ("苹果", 1)]
    assert f.brands[0].label("en") == "HUAWEI" and f.brands[0].label("zh_CN") == "华为"
    assert sorted((x.name, x.count) for x in f.shops) == [("乙店", 3), ("甲店", 2)]
    assert f.specs == {"颜色": [("白色", 1), ("黑色", 1)]}
    assert (f.price_min_fen, f.price_max_fen) == (1990, 699900)


# ---------------------------------------------------------------- sorting, paging, cards
async def test_every_sort_order() -> None:
    cat = await catalogue()
    assert keys(cat, await find(q="手机", sort="sales")) == ["case", "words", "sold_out", "phrase", "iphone_case"]
    assert keys(cat, await find(q="手机", sort="price_asc")) == ["case", "iphone_case", "sold_out", "words", "phrase"]
    assert keys(cat, await find(q="手机", sort="price_desc")) == ["phrase", "words", "sold_out", "iphone_case", "case"]
    assert keys(cat, await find(q="手机", sort="newest")) == ["sold_out", "case", "phrase", "iphone_case", "words"]
    # by average rating, unrated last: 5.0, 4.8, 4.5, 4.0, none
    assert keys(cat, await find(q="手机", sort="rating")) == ["sold_out", "phrase", "words", "case", "iphone_case"]


async def test_pages_cover_every_result_once() -> None:
    cat = await catalogue()
    pages = [await find(q="手机", sort="price_asc", per_page="2", page=str(n)) for n in (1, 2, 3)]
    assert [keys(cat, p) for p in pages] == [["case", "iphone_case"], ["sold_out", "words"], ["phrase"]]
    assert pages[0].total == 5 and pages[0].pages == 3
    assert (await find(q="手机", per_page="2", page="9")).products == []


async def test_a_card_carries_price_list_price_rating_stock_shop_and_cover() -> None:
    cat = await catalogue()
    card = (await find(q="华为手机")).products[0]
    assert card.id == cat.ids["phrase"] and card.shop_name == "甲店" and card.shop_id == cat.shop_a
    assert (card.price_min_fen, card.list_price_fen, card.stock_total) == (699900, 749900, 5)
    assert (card.rating, card.sales_count) == (4.8, 500)
    assert (card.cover_key, card.cover_width, card.cover_height) == (f"k{card.id}-cover", 800, 600)
    other = next(p for p in (await find(q="手机壳")).products if p.id == cat.ids["iphone_case"])
    assert (other.rating, other.list_price_fen, other.cover_key) == (None, None, None)


async def test_feed_mode_skips_facets_and_reads_the_same_order() -> None:
    cat = await catalogue()
    feed = await s.search(s.parse_query({"sort": "sales"}), facets=False)
    assert keys(cat, feed)[:3] == ["case", "words", "sold_out"] and feed.total == 6
    assert feed.facets.categories == [] and feed.facets.specs == {}


async def test_cached_results_are_shared_until_they_expire() -> None:
    cat = await catalogue()
    query = s.parse_query({"q": "华为手机"})
    first = await s.search(query, max_age=60)
    await Product.update({Product.status: "delisted"}).where(Product.id == cat.ids["phrase"])
    assert await s.search(query, max_age=60) is first
    assert "phrase" not in keys(cat, await s.search(query))  # uncached: current
    s.forget_cached_results()
    assert "phrase" not in keys(cat, await s.search(query, max_age=60))


async def test_reindexing_one_product_picks_up_its_new_title() -> None:
    cat = await catalogue()
    await Product.update({Product.title: "折叠屏 平板电脑"}).where(Product.id == cat.ids["words"])
    assert keys(cat, await find(q="智能")) == ["words"]  # not yet reindexed
    assert await s.reindex_products(product_ids=[cat.ids["words"]]) == 1
    assert keys(cat, await find(q="智能")) == [] and keys(cat, await find(q="平板")) == ["words"]
    assert "words" in keys(cat, await find(q="手机"))  # still in the category 手机


# ---------------------------------------------------------------- suggestions
async def test_no_result_suggests_homophones_pinyin_and_near_titles() -> None:
    await catalogue()
    await s.refresh_terms()
    typo = await find(q="手几")
    assert typo.total == 0 and typo.suggestions[0] == "手机"
    assert (await find(q="shouji")).suggestions[0] == "手机"
    assert (await find(q="华为手几")).suggestions[0] == "华为手机"
    assert (await find(q="连衣群")).suggestions[0] == "连衣裙"
    assert (await find(q="潜水艇")).suggestions == []


async def test_suggest_completes_chinese_pinyin_and_initials_popular_keywords_first() -> None:
    await catalogue()
    for _ in range(3):
        await s.record_search(keyword="手机壳 硅胶", user_id=None, visitor="v1", results=1)
    await s.record_search(keyword="手术刀", user_id=None, visitor="v1", results=0)  # found nothing: never offered
    await s.rollup_searches()  # the worker's sweep: suggestions read the daily rollup, not the raw log
    assert await s.refresh_terms() > 0
    assert await s.refresh_terms(max_age_seconds=600) == 0  # fresh: skipped
    assert (await s.suggest("手"))[:2] == ["手机壳 硅胶", "手机"]
    assert "手术刀" not in await s.suggest("手")
    assert "手机" in await s.suggest("shouj") and "手机" in await s.suggest("sj")
    assert "连衣裙" in await s.suggest("lianyi")
    assert await s.suggest("") == [] and await s.suggest("%") == []


# ---------------------------------------------------------------- log, history, hot searches
async def test_every_search_is_logged_and_a_members_history_is_newest_first_without_repeats() -> None:
    user = await make_user()
    for word in ("手机", "  连衣裙 ", "手机", "ＩＰＨＯＮＥ"):
        await s.record_search(keyword=word, user_id=user.id, visitor="v9", results=2)
    await s.record_search(keyword="手表", user_id=None, visitor="anon", results=0)
    await s.record_search(keyword="   ", user_id=user.id, visitor="v9", results=0)  # nothing typed: nothing kept
    logged = await SearchLog.select(SearchLog.keyword, SearchLog.user, SearchLog.results).order_by(SearchLog.id)
    assert [r["keyword"] for r in logged] == ["手机", "连衣裙", "手机", "iphone", "手表"]
    assert logged[-1]["user"] is None and logged[-1]["results"] == 0
    assert await s.history(user_id=user.id) == ["iphone", "手机", "连衣裙"]
    await s.clear_history(user_id=user.id, keyword="手机")
    assert await s.history(user_id=user.id) == ["iphone", "连衣裙"]
    await s.clear_history(user_id=user.id)
    assert await s.history(user_id=user.id) == []


async def test_history_keeps_the_last_twenty_keywords() -> None:
    user = await make_user()
    for n in range(25):
        await s.record_search(keyword=f"词{n}", user_id=user.id, visitor="", results=1)
    kept = await s.history(user_id=user.id, limit=50)
    assert len(kept) == 20 and kept[0] == "词24" and kept[-1] == "词5"


async def test_hot_searches_count_searchers_in_the_last_week_and_skip_empty_searches() -> None:
    users = [await make_user() for _ in range(3)]
    for user in users:
        await s.record_search(keyword="连衣裙", user_id=user.id, visitor="", results=5)
    for _ in range(10):  # one visitor hammering a keyword counts once
        await s.record_search(keyword="刷榜词", user_id=None, visitor="bot", results=5)
    await s.record_search(keyword="手机", user_id=None, visitor="a", results=3)
    await s.record_search(keyword="手机", user_id=None, visitor="b", results=3)
    await s.record_search(keyword="潜水艇", user_id=None, visitor="c", results=0)
    await s.record_search(keyword="旧词", user_id=None, visitor="d", results=1)
    await s.record_search(keyword="旧词", user_id=None, visitor="e", results=1)
    await s.record_search(keyword="旧词", user_id=None, visitor="f", results=1)
    await s.record_search(keyword="旧词", user_id=None, visitor="g", results=1)
    old = datetime.now(UTC) - timedelta(days=8)
    await SearchLog.update({SearchLog.created_at: old}).where(SearchLog.keyword == "旧词")
    await s.rollup_searches(days=10)
    assert await s.hot_searches() == ["连衣裙", "手机", "刷榜词"]
    await s.record_search(keyword="新词", user_id=None, visitor="h", results=1)
    await s.rollup_searches()
    assert "新词" not in await s.hot_searches()  # cached for a minute
    s.forget_hot_searches()
    assert "新词" in await s.hot_searches()
    await s.rollup_searches()  # idempotent: running it again counts nothing twice
    s.forget_hot_searches()
    assert await s.hot_searches() == ["连衣裙", "手机", "新词", "刷榜词"]  # one searcher each: latest first


async def test_search_term_rows_come_only_from_visible_products() -> None:
    await catalogue()
    await s.refresh_terms()
    terms = {r["term"] for r in await fetch("SELECT term FROM search_term")}
    assert "草稿" not in terms and "停业" not in terms and "连衣裙" in terms and "华为" in terms
