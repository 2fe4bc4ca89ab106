"""The storefront listing pages over catalog.search: home feed, category, search, shop, sitemap."""

from app.catalog.search import reindex_products
from app.catalog.tables import SearchHistory, SearchLog
from tests.factories import login, make_category, make_product, make_shop, make_user, post_form

EN = {"Accept-Language": "en"}


async def _catalog():
    root = await make_category(name="手机数码")
    phones = await make_category(name="手机", parent=root)
    shop = await make_shop(name="华为官方旗舰店")
    ids = [
        await make_product(
            shop=shop,
            category=phones,
            title="华为 Mate 70 5G手机 12+256GB",
            sales=500,
            skus=[{"price_fen": 599900, "stock": 5}],
        ),
        await make_product(
            shop=shop, category=phones, title="透明硅胶手机壳 防摔", sales=2000, skus=[{"price_fen": 1990, "stock": 0}]
        ),
        await make_product(
            category=await make_category(name="茶叶", parent=root), title="西湖龙井 明前特级 250g", sales=10
        ),
    ]
    await reindex_products(product_ids=ids)
    return root, phones, shop, ids


async def test_home_lists_best_sellers_and_loads_more_with_htmx(client):
    await _catalog()
    page = await client.get("/", headers=EN)
    assert page.status_code == 200
    assert page.text.index("透明硅胶手机壳") < page.text.index("华为 Mate 70")  # by sales
    assert 'class="shortcuts"' in page.text and "手机数码" in page.text
    more = await client.get("/?page=2", headers={**EN, "HX-Request": "true"})
    assert more.status_code == 200 and "<html" not in more.text


async def test_category_page_shows_its_subtree_sorted_by_price(client):
    root, phones, _shop, _ids = await _catalog()
    r = await client.get(f"/c/{root}?sort=price_asc", headers=EN)
    assert r.status_code == 200 and "3 products" in r.text
    assert r.text.index("透明硅胶手机壳") < r.text.index("华为 Mate 70")
    fragment = await client.get(f"/c/{phones}?sort=price_desc", headers={**EN, "HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="results"')
    assert fragment.text.index("华为 Mate 70") < fragment.text.index("透明硅胶手机壳")
    assert (await client.get("/c/999999")).status_code == 404


async def test_search_finds_ranks_filters_and_records_the_keyword(client):
    await _catalog()
    user = await make_user()
    await login(client, user)
    r = await client.get("/search?q=手机", headers=EN)
    assert r.status_code == 200 and "2 products" in r.text
    assert "西湖龙井" not in r.text
    in_stock = await client.get("/search?q=手机&in_stock=1", headers=EN)
    assert "1 product" in in_stock.text and "手机壳" not in in_stock.text.split('id="results"')[1]
    assert await SearchLog.count().where(SearchLog.keyword == "手机") == 2
    assert await SearchHistory.count().where(SearchHistory.user == user.id) == 1
    empty = await client.get("/search", headers=EN)
    assert "Recent searches" in empty.text and "手机" in empty.text
    await post_form(client, "/search/history/clear")
    assert await SearchHistory.count().where(SearchHistory.user == user.id) == 0


async def test_search_with_no_result_says_so(client):
    await _catalog()
    r = await client.get("/search?q=潜水艇", headers=EN)
    assert r.status_code == 200 and "No products found" in r.text


async def test_suggestions_as_you_type(client):
    await _catalog()
    r = await client.get("/search/suggest?q=手机", headers={"HX-Request": "true"})
    assert r.status_code == 200 and "<html" not in r.text


async def test_shop_page_searches_inside_the_shop(client):
    _root, _phones, shop, _ids = await _catalog()
    r = await client.get(f"/s/{shop.id}", headers=EN)
    assert r.status_code == 200 and "华为官方旗舰店" in r.text and "2 products" in r.text
    assert "西湖龙井" not in r.text
    inside = await client.get(f"/s/{shop.id}?q=手机壳", headers=EN)
    assert "1 product" in inside.text
    assert (await client.get("/s/999999")).status_code == 404


async def test_sitemap_and_robots(client):
    _root, _phones, _shop, ids = await _catalog()
    sitemap = await client.get("/sitemap.xml")
    assert sitemap.headers["content-type"].startswith("application/xml")
    assert all(f"/p/{i}</loc>" in sitemap.text for i in ids)
    robots = await client.get("/robots.txt")
    assert "Sitemap: http://testserver/sitemap.xml" in robots.text and "Disallow: /admin" in robots.text


async def test_changing_sort_or_filters_with_htmx_is_not_logged_as_a_new_search(client):
    await _catalog()
    await client.get("/search?q=手机")
    await client.get("/search?q=手机&sort=sales", headers={"HX-Request": "true"})
    await client.get("/search?q=手机&in_stock=1", headers={"HX-Request": "true"})
    assert await SearchLog.count().where(SearchLog.keyword == "手机") == 1
