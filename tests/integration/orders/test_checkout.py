"""Checkout: placing orders through the service and the page, exact stock under concurrency, idempotent tokens,
and every kind of bad input refused with nothing created."""

from __future__ import annotations

import asyncio
import json
import re
import uuid

import pytest

from app.core.db import fetch, fetchrow
from app.orders import services
from app.orders.errors import CheckoutError, InsufficientStock
from app.orders.services import CheckoutLine, ShopChoice, check_invoice, valid_tax_no
from tests.factories import login, make_product, make_shop, make_user, post_form
from tests.order_factories import first_sku, make_address


async def counts() -> dict[str, int]:
    row = await fetchrow(
        "SELECT (SELECT count(*) FROM order_group) AS groups, (SELECT count(*) FROM shop_order) AS orders, "
        "(SELECT count(*) FROM order_item) AS items"
    )
    return dict(row)


async def orphan_count() -> int:
    row = await fetchrow(
        "SELECT (SELECT count(*) FROM order_group g "
        'WHERE NOT EXISTS (SELECT 1 FROM shop_order o WHERE o."group" = g.id))'
        ' + (SELECT count(*) FROM shop_order o WHERE NOT EXISTS (SELECT 1 FROM order_item i WHERE i."order" = o.id))'
        " AS n"
    )
    return int(row["n"])


async def test_one_checkout_across_two_shops_makes_one_group_and_one_order_per_shop() -> None:
    buyer = await make_user()
    address = await make_address(buyer)
    a = await make_product(skus=[{"price_fen": 1990, "stock": 5}], title="茶杯")
    b = await make_product(skus=[{"price_fen": 5000, "stock": 5}], title="茶叶")
    sa, sb = await first_sku(a), await first_sku(b)
    placed = await services.place_order(
        buyer_id=buyer.id,
        checkout_token=uuid.uuid4(),
        lines=[CheckoutLine(sa, 2), CheckoutLine(sb, 1)],
        address_id=address,
        choices={},
    )
    assert placed.created and placed.total_fen == 1990 * 2 + 5000
    orders = await fetch(
        'SELECT shop, total_fen, status, address FROM shop_order WHERE "group" = {} ORDER BY id', placed.id
    )
    assert [o["total_fen"] for o in orders] == [3980, 5000]
    assert {o["status"] for o in orders} == {"pending_payment"}
    items = await fetch("SELECT sku, title, unit_price_fen, quantity, paid_fen FROM order_item ORDER BY sku")
    assert [(i["title"], i["quantity"], i["paid_fen"]) for i in items] == [("茶杯", 2, 3980), ("茶叶", 1, 5000)]
    stock = await fetch("SELECT id, stock FROM sku ORDER BY id")
    assert [s["stock"] for s in stock] == [3, 4]


async def test_a_hundred_buyers_for_ten_units_make_exactly_ten_orders() -> None:
    product = await make_product(skus=[{"price_fen": 100, "stock": 10}])
    sku = await first_sku(product)
    buyers = [await make_user() for _ in range(100)]
    addresses = [await make_address(b) for b in buyers]

    async def buy(i: int) -> str:
        try:
            await services.place_order(
                buyer_id=buyers[i].id,
                checkout_token=uuid.uuid4(),
                lines=[CheckoutLine(sku, 1)],
                address_id=addresses[i],
            )
            return "ok"
        except InsufficientStock:
            return "short"

    results = await asyncio.gather(*[buy(i) for i in range(100)])
    assert results.count("ok") == 10 and results.count("short") == 90
    assert (await fetchrow("SELECT stock FROM sku WHERE id = {}", sku))["stock"] == 0
    assert await counts() == {"groups": 10, "orders": 10, "items": 10}
    assert await orphan_count() == 0
    assert (await fetchrow("SELECT stock_total FROM product WHERE id = {}", product))["stock_total"] == 0


async def test_twenty_submissions_of_one_token_make_one_group() -> None:
    buyer = await make_user()
    address = await make_address(buyer)
    product = await make_product(skus=[{"price_fen": 100, "stock": 50}])
    sku = await first_sku(product)
    token = uuid.uuid4()
    placed = await asyncio.gather(
        *[
            services.place_order(
                buyer_id=buyer.id, checkout_token=token, lines=[CheckoutLine(sku, 2)], address_id=address
            )
            for _ in range(20)
        ]
    )
    assert len({p.no for p in placed}) == 1 and sum(p.created for p in placed) == 1
    assert await counts() == {"groups": 1, "orders": 1, "items": 1}
    assert (await fetchrow("SELECT stock FROM sku WHERE id = {}", sku))["stock"] == 48


async def test_a_short_line_creates_nothing_and_names_the_line() -> None:
    buyer = await make_user()
    address = await make_address(buyer)
    plenty = await make_product(skus=[{"price_fen": 100, "stock": 50}], title="充足")
    scarce = await make_product(skus=[{"price_fen": 100, "stock": 2}], title="紧俏")
    lines = [CheckoutLine(await first_sku(plenty), 1), CheckoutLine(await first_sku(scarce), 3)]
    with pytest.raises(InsufficientStock) as caught:
        await services.place_order(buyer_id=buyer.id, checkout_token=uuid.uuid4(), lines=lines, address_id=address)
    assert caught.value.params == {"title": "紧俏", "left": 2}
    assert await counts() == {"groups": 0, "orders": 0, "items": 0}
    assert [s["stock"] for s in await fetch("SELECT stock FROM sku ORDER BY id")] == [50, 2]


async def test_bad_lines_and_someone_elses_address_are_refused() -> None:
    buyer, other = await make_user(), await make_user()
    mine, theirs = await make_address(buyer), await make_address(other)
    shop = await make_shop()
    product = await make_product(shop=shop, skus=[{"price_fen": 100, "stock": 5}])
    sku = await first_sku(product)
    for quantity in (0, -1, 1000):
        with pytest.raises(CheckoutError):
            await services.place_order(
                buyer_id=buyer.id, checkout_token=uuid.uuid4(), lines=[CheckoutLine(sku, quantity)], address_id=mine
            )
    with pytest.raises(CheckoutError):
        await services.place_order(
            buyer_id=buyer.id, checkout_token=uuid.uuid4(), lines=[CheckoutLine(sku, 1)], address_id=theirs
        )
    await fetch("UPDATE shop SET status = 'suspended' WHERE id = {}", shop.id)
    with pytest.raises(CheckoutError) as caught:
        await services.place_order(
            buyer_id=buyer.id, checkout_token=uuid.uuid4(), lines=[CheckoutLine(sku, 1)], address_id=mine
        )
    assert caught.value.message == "%(title)s is no longer on sale."
    assert await counts() == {"groups": 0, "orders": 0, "items": 0}


def test_tax_numbers_and_invoice_titles_are_checked() -> None:
    assert valid_tax_no("91350100M000100Y43")  # a well-formed unified social credit code
    assert not valid_tax_no("91350100M000100Y44")  # wrong check character
    assert not valid_tax_no("abc")
    assert check_invoice("", "", "") == (None, {})
    assert check_invoice("company", "集市科技", "123")[1] == {
        "invoice_tax_no": "Enter a valid taxpayer number (18-character unified social credit code)."
    }
    invoice, errors = check_invoice("personal", "张三", "ignored")
    assert errors == {} and invoice is not None and invoice.tax_no == ""


async def test_the_checkout_page_prices_on_the_server_and_submitting_twice_returns_one_group(client) -> None:  # type: ignore[no-untyped-def]
    buyer = await make_user()
    await make_address(buyer)
    product = await make_product(skus=[{"price_fen": 1234, "stock": 5}], title="台灯")
    sku = await first_sku(product)
    await login(client, buyer)
    page = await client.get(f"/checkout?sku={sku}&qty=2")
    assert page.status_code == 200
    assert "¥24.68" in page.text and "台灯" in page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    form = {"token": token, "source": "buy", "line": f"{sku}:2", "price": "1", "total_fen": "1"}  # forged prices
    first = await post_form(client, "/checkout", form)
    again = await post_form(client, "/checkout", form)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    group = await fetchrow("SELECT no, total_fen FROM order_group")
    assert first.headers["location"] == f"/pay/{group['no']}" and group["total_fen"] == 2468


async def test_the_checkout_page_shows_a_short_line_and_keeps_the_form(client) -> None:  # type: ignore[no-untyped-def]
    buyer = await make_user()
    await make_address(buyer)
    product = await make_product(skus=[{"price_fen": 100, "stock": 1}], title="最后一件")
    sku = await first_sku(product)
    await login(client, buyer)
    page = await client.get(f"/checkout?sku={sku}&qty=1")
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)
    await fetch("UPDATE sku SET stock = 0 WHERE id = {}", sku)
    shop_id = (await fetchrow("SELECT shop FROM product"))["shop"]
    response = await post_form(
        client,
        "/checkout",
        {
            "token": token,
            "source": "buy",
            "line": f"{sku}:1",
            f"note-{shop_id}": "请包好",
        },
    )
    assert response.status_code == 422
    assert "最后一件" in response.text and "请包好" in response.text
    assert await counts() == {"groups": 0, "orders": 0, "items": 0}


async def test_bad_quantities_in_the_form_get_a_message(client) -> None:  # type: ignore[no-untyped-def]
    buyer = await make_user()
    await make_address(buyer)
    product = await make_product(skus=[{"price_fen": 100, "stock": 5}])
    sku = await first_sku(product)
    await login(client, buyer)
    for bad in ("0", "-1", "99999", "abc"):
        response = await post_form(
            client, "/checkout", {"token": str(uuid.uuid4()), "source": "buy", "line": f"{sku}:{bad}"}
        )
        assert response.status_code in (303, 422)
    assert await counts() == {"groups": 0, "orders": 0, "items": 0}
    page = await client.get(f"/checkout?sku={sku}&qty=abc", follow_redirects=False)
    assert page.status_code == 303


async def test_an_anonymous_buy_now_goes_to_sign_in_and_back(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/checkout?sku=5&qty=2", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fcheckout%3Fsku%3D5%26qty%3D2"


async def test_pickup_needs_no_address_and_pays_no_postage() -> None:
    from tests.order_factories import make_pickup_point

    buyer = await make_user()
    product = await make_product(skus=[{"price_fen": 900, "stock": 5}])
    shop_id = (await fetchrow("SELECT shop FROM product WHERE id = {}", product))["shop"]
    point = await make_pickup_point(shop_id)
    placed = await services.place_order(
        buyer_id=buyer.id,
        checkout_token=uuid.uuid4(),
        lines=[CheckoutLine(await first_sku(product), 1)],
        choices={shop_id: ShopChoice(delivery="pickup", pickup_point_id=point)},
    )
    order = await fetchrow(
        'SELECT delivery, shipping_fen, pickup_point, address FROM shop_order WHERE "group" = {}', placed.id
    )
    assert (
        order["delivery"] == "pickup"
        and order["shipping_fen"] == 0
        and json.loads(order["pickup_point"])["name"] == "门店自提点"
        and json.loads(order["address"]) == {}
    )
