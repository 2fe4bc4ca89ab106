"""Flash sales through checkout: place_order prices a flash line at the flash price and takes the flash stock
(never the SKU's), many buyers at once make exactly as many orders as there are units, an unpaid order that
times out gives its flash stock and the buyer's count back, and the buy endpoint lands on payment."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

import httpx

from app.core import clock
from app.core.db import fetch, fetchrow
from app.core.errors import DomainError
from app.core.i18n import translations
from app.flash.admission import GATE
from app.flash.rules import OVER_LIMIT
from app.orders import services as orders
from app.orders.services import CheckoutLine
from tests.factories import login, make_user, post_form
from tests.integration.flash._factories import bulk_buyers, item_row, make_flash_item
from tests.order_factories import make_address


async def _buyers_with_addresses(count: int) -> list[int]:
    ids = await bulk_buyers(count)
    for uid in ids:
        await make_address(SimpleNamespace(id=uid))  # type: ignore[arg-type]
    return ids


async def _place(buyer: int, flash_item: int, sku: int, quantity: int = 1) -> str:
    try:
        await orders.place_order(
            buyer_id=buyer,
            checkout_token=uuid.uuid4(),
            lines=[CheckoutLine(sku, quantity, flash_item_id=flash_item)],
        )
    except DomainError as exc:
        return exc.message
    return "ok"


async def test_forty_buyers_for_ten_flash_units_make_ten_orders_at_the_flash_price() -> None:
    flash = await make_flash_item(price_fen=5900, flash_price_fen=1900, sku_stock=100, flash_stock=10, limit=1)
    buyers = await _buyers_with_addresses(40)
    results = await asyncio.gather(*[_place(b, flash.item_id, flash.sku_id) for b in buyers])
    assert results.count("ok") == 10
    row = await item_row(flash.item_id)
    assert (row["flash_stock"], row["sold"], row["sku_stock"]) == (0, 10, 90)  # the SKU only lost the reservation
    items = await fetch("SELECT unit_price_fen, quantity, paid_fen, stock_source FROM order_item")
    assert len(items) == 10
    assert {(i["paid_fen"], i["quantity"], i["stock_source"]) for i in items} == {(1900, 1, f"flash:{flash.item_id}")}


async def test_an_unpaid_flash_order_that_times_out_gives_the_flash_stock_and_the_count_back() -> None:
    flash = await make_flash_item(flash_stock=5, limit=1)
    [buyer] = await _buyers_with_addresses(1)
    assert await _place(buyer, flash.item_id, flash.sku_id) == "ok"
    assert await _place(buyer, flash.item_id, flash.sku_id) != "ok"  # the limit
    assert (await item_row(flash.item_id))["flash_stock"] == 4
    later = datetime.now(UTC) + timedelta(hours=3)
    clock.use_clock(lambda: later)
    try:
        assert await orders.expire_unpaid() == 1
    finally:
        clock.use_clock(lambda: datetime.now(UTC))
    row = await item_row(flash.item_id)
    assert (row["flash_stock"], row["sold"], row["sku_stock"]) == (5, 0, 195)
    purchase = await fetchrow("SELECT quantity FROM flash_purchase WHERE buyer = {}", buyer)
    assert purchase["quantity"] == 0
    assert await _place(buyer, flash.item_id, flash.sku_id) == "ok"  # may buy again


async def test_an_order_cancelled_after_the_session_ended_gives_its_units_to_the_sku() -> None:
    flash = await make_flash_item(flash_stock=5, limit=1, sku_stock=20, lasts=3600)
    [buyer] = await _buyers_with_addresses(1)
    assert await _place(buyer, flash.item_id, flash.sku_id) == "ok"
    from app.flash.services import return_unsold_stock

    later = datetime.now(UTC) + timedelta(hours=3)  # the session is over and the order unpaid
    clock.use_clock(lambda: later)
    try:
        assert await return_unsold_stock() == 1
        assert (await item_row(flash.item_id))["sku_stock"] == 19  # 4 unsold back
        assert await orders.expire_unpaid() == 1
    finally:
        clock.use_clock(lambda: datetime.now(UTC))
    row = await item_row(flash.item_id)
    assert (row["flash_stock"], row["sold"], row["returned_qty"], row["sku_stock"]) == (0, 0, 5, 20)


async def test_the_buy_button_places_the_order_and_goes_to_payment(client: httpx.AsyncClient) -> None:
    flash = await make_flash_item(price_fen=5900, flash_price_fen=1900)
    buyer = await make_user()
    await make_address(buyer)
    await login(client, buyer)
    token = str(uuid.uuid4())
    GATE.clear(flash.item_id)
    response = await post_form(client, f"/flash/items/{flash.item_id}/buy", {"quantity": "1", "token": token})
    assert response.status_code == 303
    group = await fetchrow("SELECT no, total_fen FROM order_group WHERE buyer = {}", buyer.id)
    assert response.headers["location"] == f"/pay/{group['no']}"
    again = await post_form(  # the same form sent twice (a double tap): the same order
        client, f"/flash/items/{flash.item_id}/buy", {"quantity": "1", "token": token}, headers={"HX-Request": "true"}
    )
    assert again.headers["hx-redirect"] == f"/pay/{group['no']}"
    assert (await fetchrow("SELECT count(*) AS n FROM order_group"))["n"] == 1
    assert (await item_row(flash.item_id))["sold"] == 1
    refused = await post_form(
        client, f"/flash/items/{flash.item_id}/buy", {"quantity": "1"}, headers={"HX-Request": "true"}
    )
    assert refused.status_code == 422 and translations("zh_CN").ugettext(OVER_LIMIT) in refused.text  # zh_CN
