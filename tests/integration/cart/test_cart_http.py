"""The cart through HTTP as a shopper uses it: add from the product page (with and without htmx), change,
select, remove, the unavailable group, bad quantities, and nobody else's cart ever showing."""

from __future__ import annotations

import re

import pytest

from app.catalog.tables import Product, Sku
from app.sellers.tables import Shop
from tests.factories import login, make_product, make_shop, make_user, post_form
from tests.integration.cart._helpers import EN, HX, add, cart_rows, sku_of


def badge(html: str) -> str:
    """The tab bar badge's visible number ('' when empty)."""
    match = re.search(r'<span id="cart-badge"[^>]*>(.*?)</span>\s*</a>', html, re.S)
    assert match, "no cart badge on the page"
    number = re.search(r'<span aria-hidden="true">([^<]*)</span>', match.group(1))
    return number.group(1) if number else ""


async def test_an_anonymous_visitor_adds_without_a_csrf_token_and_gets_a_cart_cookie(client):
    pid = await make_product(title="保温杯", skus=[{"price_fen": 1990, "stock": 10}])
    sku = await sku_of(pid)
    page = await client.get(f"/p/{pid}", headers=EN)
    assert 'action="/cart/add"' in page.text and f'name="sku" value="{sku}"' in page.text
    assert "Buy now" in page.text and 'formaction="/checkout"' in page.text
    client.cookies.clear()  # as if the page came from the page cache: no csrftoken cookie, no session
    r = await add(client, sku, 2, referer=f"http://testserver/p/{pid}?spec.a=b")
    assert r.status_code == 303 and r.headers["location"] == f"/p/{pid}?spec.a=b"
    cookie = next(h for h in r.headers.get_list("set-cookie") if h.startswith("cart="))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie.replace("Lax", "lax") and "Max-Age=2592000" in cookie
    token = client.cookies["cart"]
    assert len(token) == 43
    assert await cart_rows(token=token) == {sku: (2, True)}
    back = await client.get(f"/p/{pid}?spec.a=b", headers=EN)
    assert "Added to your cart." in back.text and badge(back.text) == "1"
    cart = await client.get("/cart", headers=EN)
    assert "保温杯" in cart.text and 'value="2"' in cart.text
    assert re.search(r'id="cart-total">¥39\.80<', cart.text)
    assert "Checkout (1)" in cart.text


async def test_htmx_add_answers_with_a_fragment_and_announces_cart_changed(client):
    pid = await make_product(skus=[{"price_fen": 500, "stock": 10}])
    r = await add(client, await sku_of(pid), 1, htmx=True)
    assert r.status_code == 200 and r.headers["hx-trigger"] == "cart-changed"
    assert "Added to your cart." in r.text and "<html" not in r.text
    badge_fragment = await client.get("/cart/badge", headers={**HX, **EN})
    assert '<span aria-hidden="true">1</span>' in badge_fragment.text
    assert 'id="cart-badge-top"' in badge_fragment.text and 'hx-swap-oob="true"' in badge_fragment.text
    again = await add(client, await sku_of(pid), 3, htmx=True)
    assert again.status_code == 200 and await cart_rows(token=client.cookies["cart"]) == {await sku_of(pid): (4, True)}


async def test_add_is_refused_from_another_site(client):
    pid = await make_product()
    sku = await sku_of(pid)
    refused = await add(client, sku, 1, **{"Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 403 and "sent from another site" in refused.text
    old_browser = await client.post(
        "/cart/add", data={"sku": str(sku)}, headers={"Origin": "https://evil.example", **EN}
    )
    assert old_browser.status_code == 403
    assert "cart" not in client.cookies
    same_site_browser = await client.post(
        "/cart/add", data={"sku": str(sku)}, headers={"Origin": "http://testserver", **EN}
    )
    assert same_site_browser.status_code == 303 and await cart_rows(token=client.cookies["cart"]) == {sku: (1, True)}


async def test_other_cart_forms_still_need_the_csrf_token(client):
    pid = await make_product()
    await add(client, await sku_of(pid))
    r = await client.post("/cart/remove", data={"sku": str(await sku_of(pid))}, headers=EN)
    assert r.status_code == 403
    assert await cart_rows(token=client.cookies["cart"]) == {await sku_of(pid): (1, True)}


async def test_products_that_cannot_be_bought_cannot_be_added(client):
    shop = await make_shop(name="暂停的店")
    suspended = await sku_of(await make_product(shop=shop))
    await Shop.update({Shop.status: "suspended"}).where(Shop.id == shop.id)
    delisted = await sku_of(await make_product(title="下架商品", status="delisted"))
    sold_out = await sku_of(await make_product(title="卖光了", skus=[{"price_fen": 100, "stock": 0}]))
    r = await add(client, suspended, 1, htmx=True)
    assert r.status_code == 422 and "暂停的店 is closed for now" in r.text and "hx-trigger" not in r.headers
    assert "is no longer on sale" in (await add(client, delisted, 1, htmx=True)).text
    assert "卖光了 is sold out." in (await add(client, sold_out, 1, htmx=True)).text
    assert "does not exist" in (await add(client, 987654, 1, htmx=True)).text
    no_js = await add(client, suspended, 1, referer="http://testserver/p/1")
    assert no_js.status_code == 303 and no_js.headers["location"] == "/p/1"
    assert "closed for now" in (await client.get("/p/1", headers=EN)).text  # the flash, even on a 404 page
    assert "cart" not in client.cookies  # nothing was added, so no cart was made


async def test_adding_more_than_the_stock_or_the_maximum_is_capped_with_a_message(client):
    few = await sku_of(await make_product(skus=[{"price_fen": 100, "stock": 3}]))
    many = await sku_of(await make_product(skus=[{"price_fen": 100, "stock": 5000}]))
    r = await add(client, few, 5, htmx=True)
    assert r.status_code == 200 and "Only 3 left: your cart now has 3." in r.text
    r = await add(client, few, 1, htmx=True)
    assert r.status_code == 422 and "Only 3 left, and they are all in your cart already." in r.text
    r = await add(client, many, 999, htmx=True)
    assert r.status_code == 200
    r = await add(client, many, 1, htmx=True)
    assert r.status_code == 422 and "You already have 999 of this item" in r.text
    for bad, message in (
        ("0", "at least 1"),
        ("-2", "at least 1"),
        ("1000", "at most 999"),
        ("abc", "whole number"),
        ("1.5", "whole number"),
    ):
        r = await add(client, few, bad, htmx=True)
        assert r.status_code == 422 and message in r.text
    assert await cart_rows(token=client.cookies["cart"]) == {few: (3, True), many: (999, True)}


async def test_quantity_changes_reprice_the_cart_and_bad_values_change_nothing(client):
    user = await make_user()
    await login(client, user)
    sku = await sku_of(await make_product(title="茶杯", skus=[{"price_fen": 1250, "stock": 20}]))
    await add(client, sku, 2)
    r = await post_form(client, "/cart/quantity", {"sku": sku, "qty": "3"}, headers={**HX, **EN})
    assert r.status_code == 200 and r.headers["hx-trigger"] == "cart-changed"
    assert r.text.lstrip().startswith('<div id="cart"') and 'id="cart-total">¥37.50<' in r.text
    r = await post_form(client, "/cart/quantity", {"sku": sku, "qty": "3", "step": "1"}, headers={**HX, **EN})
    assert 'id="cart-total">¥50.00<' in r.text and await cart_rows(user_id=user.id) == {sku: (4, True)}
    for typed, message in [
        ("0", "The quantity must be at least 1."),
        ("-1", "The quantity must be at least 1."),
        ("100000", "You can buy at most 999 of one item."),
        ("两个", "Enter the quantity as a whole number"),
    ]:
        r = await post_form(client, "/cart/quantity", {"sku": sku, "qty": typed}, headers={**HX, **EN})
        assert r.status_code == 422 and message in r.text and f'value="{typed}"' in r.text
        assert 'id="cart-total">¥50.00<' in r.text
    page = await post_form(client, "/cart/quantity", {"sku": sku, "qty": "abc"}, headers=EN)  # without JS
    assert page.status_code == 422 and "<html" in page.text and "Enter the quantity as a whole number" in page.text
    r = await post_form(client, "/cart/quantity", {"sku": sku, "qty": "1", "step": "-1"}, headers={**HX, **EN})
    assert r.status_code == 422 and "at least 1" in r.text
    assert await cart_rows(user_id=user.id) == {sku: (4, True)}
    r = await post_form(client, "/cart/quantity", {"sku": sku, "qty": "50"}, headers=EN)  # more than the stock
    assert r.status_code == 303 and r.headers["location"] == "/cart"
    assert "Only 20 left, so the quantity is 20." in (await client.get("/cart", headers=EN)).text
    assert await cart_rows(user_id=user.id) == {sku: (20, True)}


async def test_selecting_lines_shops_and_everything_changes_what_is_totalled(client):
    await login(client, await make_user())
    shop_a, shop_b = await make_shop(name="甲店"), await make_shop(name="乙店")
    a1 = await sku_of(await make_product(shop=shop_a, title="甲一", skus=[{"price_fen": 1000, "stock": 9}]))
    a2 = await sku_of(await make_product(shop=shop_a, title="甲二", skus=[{"price_fen": 2000, "stock": 9}]))
    b1 = await sku_of(await make_product(shop=shop_b, title="乙一", skus=[{"price_fen": 400, "stock": 9}]))
    for sku in (a1, a2, b1):
        await add(client, sku)
    page = (await client.get("/cart", headers=EN)).text
    assert page.index("乙店") < page.index("甲店")  # the shop added to last comes first
    assert f'href="/s/{shop_a.id}"' in page and 'id="cart-total">¥34.00<' in page and "Checkout (3)" in page

    async def select(**data: object) -> str:
        r = await post_form(client, "/cart/select", {k: str(v) for k, v in data.items()}, headers={**HX, **EN})
        assert r.status_code == 200 and r.headers["hx-trigger"] == "cart-changed"
        return r.text

    html = await select(sku=a2, on=0)
    assert 'id="cart-total">¥14.00<' in html and f'id="cart-shop-total-{shop_a.id}">¥10.00<' in html
    html = await select(shop=shop_a.id, on=0)
    assert 'id="cart-total">¥4.00<' in html and f"cart-shop-total-{shop_a.id}" not in html and "Checkout (1)" in html
    html = await select(on=0)
    assert 'id="cart-total">¥0.00<' in html and "Checkout (0)" in html and 'type="button" disabled' in html
    html = await select(on=1)
    assert 'id="cart-total">¥34.00<' in html
    r = await post_form(client, "/cart/select", {"sku": str(b1), "on": "0"}, headers=EN)  # without JS
    assert r.status_code == 303 and 'id="cart-total">¥30.00<' in (await client.get("/cart", headers=EN)).text


async def test_remove_a_line_and_remove_everything_unavailable(client):
    user = await make_user()
    await login(client, user)
    shop = await make_shop(name="关门店")
    keep = await sku_of(await make_product(title="还在卖", skus=[{"price_fen": 300, "stock": 5}]))
    gone = await sku_of(await make_product(title="要删的", skus=[{"price_fen": 300, "stock": 5}]))
    delisted_pid = await make_product(title="下架了", skus=[{"price_fen": 700, "stock": 5}])
    closed = await sku_of(await make_product(shop=shop, title="店关了", skus=[{"price_fen": 800, "stock": 5}]))
    sold_pid = await make_product(title="没货了", skus=[{"price_fen": 900, "stock": 5}])
    for sku in (keep, gone, await sku_of(delisted_pid), closed, await sku_of(sold_pid)):
        assert (await add(client, sku)).status_code == 303
    await Product.update({Product.status: "delisted"}).where(Product.id == delisted_pid)
    await Shop.update({Shop.status: "suspended"}).where(Shop.id == shop.id)
    await Sku.update({Sku.stock: 0}).where(Sku.product == sold_pid)

    page = (await client.get("/cart", headers=EN)).text
    off = page[page.index("Unavailable (3)") :]
    for title, reason in (
        ("下架了", "No longer on sale"),
        ("店关了", "The shop is closed for now"),
        ("没货了", "Sold out"),
    ):
        assert title in off and reason in off
    assert 'id="cart-total">¥6.00<' in page and "Checkout (2)" in page  # unavailable lines are never totalled

    r = await post_form(client, "/cart/remove", {"sku": str(gone)}, headers={**HX, **EN})
    assert r.status_code == 200 and "要删的" not in r.text and r.headers["hx-trigger"] == "cart-changed"
    r = await post_form(client, "/cart/remove-unavailable", {}, headers={**HX, **EN})
    assert "3 unavailable items removed." in r.text and "Unavailable" not in r.text
    assert await cart_rows(user_id=user.id) == {keep: (1, True)}
    r = await post_form(client, "/cart/remove", {"sku": str(keep)}, headers=EN)
    assert r.status_code == 303 and "Your cart is empty" in (await client.get("/cart", headers=EN)).text


async def test_a_line_with_more_than_the_stock_says_so_and_is_priced_at_the_stock(client):
    user = await make_user()
    await login(client, user)
    pid = await make_product(title="紧俏", skus=[{"price_fen": 1000, "stock": 10}])
    await add(client, await sku_of(pid), 8)
    await Sku.update({Sku.stock: 3}).where(Sku.product == pid)
    page = (await client.get("/cart", headers=EN)).text
    assert "Only 3 left: 3 will be ordered." in page and 'id="cart-total">¥30.00<' in page and 'value="8"' in page


async def test_nobody_sees_or_changes_anyone_elses_cart(client, new_client):
    owner, other = await make_user(), await make_user()
    sku = await sku_of(await make_product(title="我的东西"))
    await login(client, owner)
    await add(client, sku, 2)
    async with new_client(headers=EN) as stranger:
        await login(stranger, other)
        assert "我的东西" not in (await stranger.get("/cart")).text
        assert badge((await stranger.get("/")).text) == ""
        await post_form(stranger, "/cart/quantity", {"sku": str(sku), "qty": "9"})
        await post_form(stranger, "/cart/remove", {"sku": str(sku)})
        await post_form(stranger, "/cart/select", {"sku": str(sku), "on": "0"})
        await post_form(stranger, "/cart/remove-unavailable", {})
    async with new_client(headers=EN) as forger:  # an anonymous visitor with a made-up cart cookie
        forger.cookies.set("cart", "x" * 43)
        assert "我的东西" not in (await forger.get("/cart")).text
    assert await cart_rows(user_id=owner.id) == {sku: (2, True)}
    assert badge((await client.get("/", headers=EN)).text) == "1"


async def test_shipping_per_shop_comes_from_the_engine_for_the_default_address(client, monkeypatch):
    from app.accounts.addresses import create_address
    from app.promotions import pricing

    shipping = pytest.importorskip("app.sellers.shipping")  # the sellers' shipping templates (same issue)

    user = await make_user()
    await create_address(
        user_id=user.id, receiver="张三", mobile="13800138000", province="110000", city="110100",
        district="110101", detail="东华门大街 1 号",
    )  # fmt: skip
    paid, far = await make_shop(name="收运费店"), await make_shop(name="不送北京店")
    templates = {
        paid.id: pricing.ShippingTemplate(mode="flat", flat_fen=800, free_over_fen=5000),
        far.id: pricing.ShippingTemplate(excluded_regions=frozenset({"110000"})),
    }
    asked: list[list[int]] = []

    async def fake_templates(shop_ids):  # the shops' templates, as the sellers app stores them
        asked.append(sorted(shop_ids))
        return {i: templates[i] for i in shop_ids if i in templates}

    monkeypatch.setattr(shipping, "shipping_templates", fake_templates)
    await login(client, user)
    cheap = await sku_of(await make_product(shop=paid, skus=[{"price_fen": 1990, "stock": 9}]))
    await add(client, cheap, 1)
    await add(client, await sku_of(await make_product(shop=far, skus=[{"price_fen": 500, "stock": 9}])), 1)
    page = (await client.get("/cart", headers=EN)).text
    assert f'id="cart-shop-total-{paid.id}">¥27.90<' in page  # 19.90 + 8.00 delivery
    assert "Not delivered to your default address" in page
    assert f'id="cart-shop-total-{far.id}">¥5.00<' in page and 'id="cart-total">¥32.90<' in page
    r = await post_form(client, "/cart/quantity", {"sku": str(cheap), "qty": "3"}, headers={**HX, **EN})
    assert f'id="cart-shop-total-{paid.id}">¥59.70<' in r.text  # ¥59.70 is over ¥50: free delivery
    assert asked and all(ids == sorted([paid.id, far.id]) for ids in asked)
