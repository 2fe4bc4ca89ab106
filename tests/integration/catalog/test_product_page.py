import json

from app.catalog.tables import BrowseHistory, Favorite
from app.sellers.tables import Shop
from tests.factories import login, make_product, make_shop, make_user, post_form

EN = {"Accept-Language": "en"}
COLOR_SIZE = [{"name": "颜色", "values": ["红色", "蓝色"]}, {"name": "尺码", "values": ["M", "L"]}]
SKUS = [
    {"spec_values": {"颜色": "红色", "尺码": "M"}, "price_fen": 9900, "list_price_fen": 12900, "stock": 3},
    {"spec_values": {"颜色": "红色", "尺码": "L"}, "price_fen": 10900, "stock": 0},
    {"spec_values": {"颜色": "蓝色", "尺码": "M"}, "price_fen": 9900, "stock": 50},
    {"spec_values": {"颜色": "蓝色", "尺码": "L"}, "price_fen": 11900, "stock": 8},
]


async def test_an_active_product_shows_its_price_range_specs_and_structured_data(client):
    pid = await make_product(title="纯棉短袖T恤", specs=COLOR_SIZE, skus=SKUS)
    r = await client.get(f"/p/{pid}", headers=EN)
    assert r.status_code == 200
    assert "纯棉短袖T恤" in r.text and "¥99.00" in r.text and "¥119.00" in r.text
    assert "Choose 颜色 / 尺码" in r.text
    ld = json.loads(r.text.split('<script type="application/ld+json">')[1].split("</script>")[0])
    assert ld["@type"] == "Product" and ld["offers"]["lowPrice"] == "99.00" and ld["offers"]["highPrice"] == "119.00"
    assert f'<link rel="canonical" href="http://testserver/p/{pid}">' in r.text


async def test_choosing_spec_values_updates_price_and_stock_in_a_fragment(client):
    pid = await make_product(specs=COLOR_SIZE, skus=SKUS)
    url = f"/p/{pid}?spec.颜色=红色&spec.尺码=M"
    fragment = await client.get(url, headers={**EN, "HX-Request": "true"})
    assert fragment.status_code == 200
    assert fragment.text.lstrip().startswith('<section id="buybox"') and "<html" not in fragment.text
    assert "¥99.00" in fragment.text and "¥129.00" in fragment.text and "Only 3 left" in fragment.text
    page = await client.get(url, headers=EN)  # the same URL without JavaScript: the whole page
    assert "<html" in page.text and "Only 3 left" in page.text
    sold_out = await client.get(f"/p/{pid}?spec.颜色=红色&spec.尺码=L", headers={**EN, "HX-Request": "true"})
    assert "This option is sold out" in sold_out.text and "¥109.00" in sold_out.text
    assert "chip--out" in fragment.text  # 红色 L has no stock: marked while 红色 is chosen


async def test_unknown_spec_values_are_ignored(client):
    pid = await make_product(specs=COLOR_SIZE, skus=SKUS)
    r = await client.get(f"/p/{pid}?spec.颜色=<script>&spec.尺码=XXL", headers=EN)
    assert r.status_code == 200 and "<script>&" not in r.text and "Choose 颜色 / 尺码" in r.text


async def test_hidden_products_are_404_except_for_their_staff_and_moderators(client, new_client):
    shop = await make_shop()
    draft = await make_product(shop=shop, status="draft", title="草稿商品")
    assert (await client.get(f"/p/{draft}", headers=EN)).status_code == 404
    stranger = await make_user()
    await login(client, stranger)
    assert (await client.get(f"/p/{draft}")).status_code == 404
    other_shop_owner = (await make_shop()).owner
    async with new_client() as c:
        await login(c, other_shop_owner)
        assert (await c.get(f"/p/{draft}")).status_code == 404  # a seller never sees another shop's drafts
    async with new_client() as c:
        await login(c, shop.owner)
        page = await c.get(f"/p/{draft}", headers=EN)
        assert page.status_code == 200 and "Shoppers cannot see this product" in page.text
    async with new_client() as c:
        await login(c, await make_user(roles=("moderator",)))
        assert (await c.get(f"/p/{draft}")).status_code == 200


async def test_a_suspended_shops_products_disappear(client):
    shop = await make_shop()
    pid = await make_product(shop=shop)
    assert (await client.get(f"/p/{pid}")).status_code == 200
    await Shop.update({Shop.status: "suspended"}).where(Shop.id == shop.id)
    assert (await client.get(f"/p/{pid}")).status_code == 404


async def test_sold_out_products_say_so(client):
    pid = await make_product(skus=[{"price_fen": 500, "stock": 0}])
    assert "Sold out" in (await client.get(f"/p/{pid}", headers=EN)).text


async def test_favourite_with_htmx_then_find_and_remove_it_under_me(client):
    user = await make_user()
    pid = await make_product(title="收藏的茶叶")
    await login(client, user)
    r = await post_form(client, f"/p/{pid}/favorite", {"on": "1"}, headers={**EN, "HX-Request": "true"})
    assert r.status_code == 200 and 'aria-pressed="true"' in r.text and "Favourited" in r.text
    await post_form(client, f"/p/{pid}/favorite", {"on": "1"})  # twice is still one
    assert await Favorite.count().where(Favorite.user == user.id) == 1
    page = await client.get("/me/favorites", headers=EN)
    assert "收藏的茶叶" in page.text
    gone = await post_form(client, f"/p/{pid}/favorite", {"on": "0", "from": "list"}, headers={"HX-Request": "true"})
    assert gone.status_code == 200 and gone.text.strip() == ""
    assert "No favourite products yet" in (await client.get("/me/favorites", headers=EN)).text


async def test_anonymous_favourite_goes_to_login(client):
    pid = await make_product()
    r = await post_form(client, f"/p/{pid}/favorite", {"on": "1"})
    assert r.status_code == 403  # an anonymous POST is refused; the button for visitors is a login link
    page = await client.get(f"/p/{pid}", headers=EN)
    assert f'href="/login?next=/p/{pid}"' in page.text


async def test_viewing_products_builds_the_browsing_history(client):
    user = await make_user()
    first, second = await make_product(title="第一件"), await make_product(title="第二件")
    await login(client, user)
    await client.get(f"/p/{first}")
    await client.get(f"/p/{second}")
    await client.get(f"/p/{first}")
    html = (await client.get("/me/history", headers=EN)).text
    assert html.index("第一件") < html.index("第二件")  # newest first, one row each
    assert await BrowseHistory.count().where(BrowseHistory.user == user.id) == 2
    await post_form(client, f"/me/history/{first}/delete", headers={"HX-Request": "true"})
    assert "第一件" not in (await client.get("/me/history")).text
    await post_form(client, "/me/history/clear")
    assert "No browsing history" in (await client.get("/me/history", headers=EN)).text


async def test_following_a_shop(client):
    user = await make_user()
    shop = await make_shop()
    await login(client, user)
    r = await post_form(client, f"/s/{shop.id}/follow", {"on": "1"}, headers={**EN, "HX-Request": "true"})
    assert "Following" in r.text and "1 followers" in r.text
    assert shop.name in (await client.get("/me/favorites?tab=shops")).text


async def test_a_new_price_shows_at_once_despite_the_page_cache(client):
    from app.catalog.services import refresh_product_summaries
    from app.catalog.tables import Sku

    pid = await make_product(skus=[{"price_fen": 1000, "stock": 5}])
    assert "¥10.00" in (await client.get(f"/p/{pid}")).text
    assert "¥10.00" in (await client.get(f"/p/{pid}")).text  # second view: from the per-process copy
    await Sku.update({Sku.price_fen: 1500}).where(Sku.product == pid)
    await refresh_product_summaries(product_ids=[pid])
    page = (await client.get(f"/p/{pid}")).text
    assert "¥15.00" in page and "¥10.00" not in page
