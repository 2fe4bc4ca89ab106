"""The anonymous cart meets the account: merged at login and at registration, what checkout reads, concurrent adds,
the idle-cart sweep, and the page cache that must not hide a visitor's own badge."""

from __future__ import annotations

import asyncio
import re
import secrets
from datetime import timedelta

from app.cart import services
from app.cart.services import CartOwner
from app.catalog.tables import Sku
from app.core import clock
from app.core.db import fetch, fetchrow
from tests.factories import PASSWORD, login, make_product, make_shop, make_user, post_form
from tests.integration.cart._helpers import EN, add, cart_rows, sku_of


async def test_logging_in_merges_the_anonymous_cart_summing_quantities(client):
    user = await make_user()
    both = await sku_of(await make_product(title="两边都有", skus=[{"price_fen": 100, "stock": 50}]))
    scarce = await sku_of(await make_product(title="紧俏", skus=[{"price_fen": 100, "stock": 4}]))
    only_anonymous = await sku_of(await make_product(title="只在匿名"))
    account = CartOwner(user_id=user.id, token=None)
    await services.add_item(owner=account, sku_id=both, quantity=3)
    await services.add_item(owner=account, sku_id=scarce, quantity=3)
    await services.set_selected(owner=account, sku_ids=[both], selected=False)

    await add(client, both, 2)
    await add(client, scarce, 3)
    await add(client, only_anonymous, 1)
    token = client.cookies["cart"]
    r = await post_form(client, "/login", {"identifier": user.identifier, "password": PASSWORD, "next": "/cart"})
    assert r.status_code == 303 and r.headers["location"] == "/cart"
    cleared = next(h for h in r.headers.get_list("set-cookie") if h.startswith("cart="))
    assert "Max-Age=0" in cleared
    assert "cart" not in client.cookies
    # summed (3 + 2), capped at the stock (3 + 3 > 4), selected when either cart had it selected
    assert await cart_rows(user_id=user.id) == {both: (5, True), scarce: (4, True), only_anonymous: (1, True)}
    assert await fetchrow("SELECT id FROM cart WHERE token = {}", token) is None
    page = (await client.get("/cart", headers=EN)).text
    assert "两边都有" in page and "只在匿名" in page


async def test_registering_with_a_cart_keeps_it(client):
    sku = await sku_of(await make_product(title="注册前加的"))
    await add(client, sku, 2)
    r = await post_form(
        client,
        "/register",
        {"identifier": "new-buyer@example.com", "password": PASSWORD, "password_confirm": PASSWORD},
    )
    assert r.status_code == 303 and "cart" not in client.cookies
    row = await fetchrow("SELECT id FROM app_user WHERE email = {}", "new-buyer@example.com")
    assert await cart_rows(user_id=row["id"]) == {sku: (2, True)}


async def test_merging_an_unknown_or_malformed_token_does_nothing():
    user = await make_user()
    assert await services.merge_anonymous(token=secrets.token_urlsafe(32), user_id=user.id) == 0
    assert await services.merge_anonymous(token="not a token", user_id=user.id) == 0
    assert await services.merge_anonymous(token=None, user_id=user.id) == 0
    assert await cart_rows(user_id=user.id) == {}


async def test_checkout_reads_the_selected_available_lines_clamped_to_the_stock():
    user = await make_user()
    owner = CartOwner(user_id=user.id, token=None)
    shop_a, shop_b = await make_shop(), await make_shop()
    a1 = await sku_of(await make_product(shop=shop_a, skus=[{"price_fen": 100, "stock": 9}]))
    b1 = await sku_of(await make_product(shop=shop_b, skus=[{"price_fen": 200, "stock": 9}]))
    a2 = await sku_of(await make_product(shop=shop_a, skus=[{"price_fen": 300, "stock": 9}]))
    unselected = await sku_of(await make_product(shop=shop_b))
    gone_pid = await make_product(shop=shop_b)
    for sku, qty in ((a1, 2), (b1, 1), (a2, 8), (unselected, 1), (await sku_of(gone_pid), 1)):
        await services.add_item(owner=owner, sku_id=sku, quantity=qty)
    await services.set_selected(owner=owner, sku_ids=[unselected], selected=False)
    await Sku.update({Sku.stock: 0}).where(Sku.product == gone_pid)
    await Sku.update({Sku.stock: 5}).where(Sku.id == a2)

    lines = await services.checkout_lines(user_id=user.id)
    assert [(line.sku_id, line.quantity) for line in lines] == [(a2, 5), (a1, 2), (b1, 1)]  # grouped per shop
    assert lines[0].shop_id == shop_a.id and lines[0].unit_price_fen == 300 and lines[0].stock == 5
    await services.remove_purchased(user_id=user.id, sku_ids=[a1, a2, b1])
    left = await cart_rows(user_id=user.id)
    assert set(left) == {unselected, await sku_of(gone_pid)}


async def test_twenty_concurrent_adds_make_one_line_with_the_sum():
    sku = await sku_of(await make_product(skus=[{"price_fen": 100, "stock": 500}]))
    user = await make_user()
    signed_in = CartOwner(user_id=user.id, token=None)
    anonymous = CartOwner(user_id=None, token=secrets.token_urlsafe(32))  # a cart that does not exist yet
    for owner in (signed_in, anonymous):
        counts = await asyncio.gather(*(services.add_item(owner=owner, sku_id=sku, quantity=3) for _ in range(20)))
        assert set(counts) == {1}
    assert await cart_rows(user_id=user.id) == {sku: (60, True)}
    assert await cart_rows(token=anonymous.token) == {sku: (60, True)}
    carts = await fetch("SELECT count(*) AS n FROM cart")
    assert carts[0]["n"] == 2


async def test_concurrent_adds_never_pass_the_stock():
    sku = await sku_of(await make_product(skus=[{"price_fen": 100, "stock": 7}]))
    owner = CartOwner(user_id=(await make_user()).id, token=None)
    results = await asyncio.gather(
        *(services.add_item(owner=owner, sku_id=sku, quantity=2) for _ in range(10)), return_exceptions=True
    )
    assert sum(isinstance(r, int) for r in results) == 4  # 2 + 2 + 2 + 1, then "all in your cart already"
    assert await cart_rows(user_id=owner.user_id) == {sku: (7, True)}


async def test_the_sweep_deletes_anonymous_carts_idle_for_thirty_days():
    sku = await sku_of(await make_product())
    user = await make_user()
    old, fresh = CartOwner(None, secrets.token_urlsafe(32)), CartOwner(None, secrets.token_urlsafe(32))
    for owner in (old, fresh, CartOwner(user.id, None)):
        await services.add_item(owner=owner, sku_id=sku, quantity=1)
    await fetch("UPDATE cart SET updated_at = {} WHERE token = {}", clock.now() - timedelta(days=31), old.token)
    await fetch('UPDATE cart SET updated_at = {} WHERE "user" = {}', clock.now() - timedelta(days=90), user.id)
    assert await services.sweep_anonymous_carts() == 1
    assert await services.sweep_anonymous_carts() == 0  # safe to repeat
    assert await cart_rows(token=old.token) == {}
    assert await cart_rows(token=fresh.token) == {sku: (1, True)}
    assert await cart_rows(user_id=user.id) == {sku: (1, True)}  # an account's cart is never swept


async def test_a_visitor_with_a_cart_is_not_served_the_cached_page_so_sees_the_badge(feed, new_client):
    pid = await make_product(title="缓存页")
    async with new_client(headers=EN) as first, new_client(headers=EN) as second:
        made = await first.get(f"/p/{pid}")
        assert "csrftoken" in made.cookies  # made by the app
        replayed = await second.get(f"/p/{pid}")
        # from the page cache: no session or CSRF cookie (only the analytics visitor cookies, added outside the cache)
        assert replayed.status_code == 200 and not {"sid", "csrftoken"} & set(replayed.cookies)
        assert re.search(r'<span id="cart-badge"[^>]*></span>', replayed.text)  # no count on a cached page
        assert (await add(second, await sku_of(pid), 2)).status_code == 303  # no token: it came from the cache
        mine = await second.get(f"/p/{pid}")
        assert re.search(r'<span id="cart-badge"[^>]*><span aria-hidden="true">1</span>', mine.text)
    async with new_client(headers=EN) as signed_in:
        await login(signed_in, await make_user())
        page = await signed_in.get(f"/p/{pid}")
        assert re.search(r'<span id="cart-badge"[^>]*></span>', page.text)  # signed in, empty cart: no number
