"""What the buyer does to an order: cancel it while unpaid (the whole checkout), confirm receipt (only once shipped),
and the worker's auto-confirm sweep."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta

import httpx
import pytest

from app.core import clock
from app.core.db import fetch, fetchrow
from app.orders import buyer
from app.orders.errors import IllegalTransition, OrderNotFound
from app.worker import SWEEPS
from tests.factories import login, make_product, make_shop, make_user, post_form
from tests.order_factories import TEST_ACTOR, make_order_group

EN = {"Accept-Language": "en"}


async def stock_of(product_id: int) -> int:
    row = await fetchrow("SELECT stock FROM sku WHERE product = {} ORDER BY id LIMIT 1", product_id)
    assert row is not None
    return int(row["stock"])


async def statuses(order_ids: tuple[int, ...]) -> list[str]:
    rows = await fetch("SELECT status FROM shop_order WHERE id = ANY({}::int[]) ORDER BY id", list(order_ids))
    return [r["status"] for r in rows]


async def events(order_id: int) -> list[tuple[str, str]]:
    rows = await fetch('SELECT to_status, action FROM order_event WHERE "order" = {} ORDER BY id', order_id)
    return [(r["to_status"], r["action"]) for r in rows]


@pytest.fixture
def moved_clock() -> Iterator[Callable[[datetime], None]]:
    original = clock._now
    yield lambda at: clock.use_clock(lambda: at)
    clock.use_clock(original)


async def test_cancelling_an_unpaid_order_cancels_the_whole_checkout_and_returns_stock(
    client: httpx.AsyncClient,
) -> None:
    me = await make_user()
    a = await make_product(shop=await make_shop(name="甲店"), skus=[{"price_fen": 1000, "stock": 5}])
    b = await make_product(shop=await make_shop(name="乙店"), skus=[{"price_fen": 2000, "stock": 5}])
    group = await make_order_group(me, [(a, 2), (b, 1)])
    assert (await stock_of(a), await stock_of(b)) == (3, 4)
    await login(client, me)

    # before confirming, the page says both shops' orders go together
    page = await client.get(f"/me/orders/{group.order_ids[0]}", headers=EN)
    warning = page.text[page.text.index('class="oconfirm__panel"') :]
    assert "all 2 of its orders are cancelled together" in warning
    assert "甲店" in warning and "乙店" in warning and "Cancel all 2 orders" in warning

    response = await post_form(
        client, f"/me/orders/{group.order_ids[0]}/cancel", {"next": "/me/orders?tab=unpaid"}, headers=EN
    )
    assert response.status_code == 303 and response.headers["location"] == "/me/orders?tab=unpaid"
    assert await statuses(group.order_ids) == ["cancelled", "cancelled"]
    assert (await stock_of(a), await stock_of(b)) == (5, 5)
    followed = await client.get(response.headers["location"], headers=EN)
    assert "All 2 orders of this checkout were cancelled. Their items are back on sale." in followed.text

    again = await post_form(client, f"/me/orders/{group.order_ids[1]}/cancel", headers=EN)
    assert again.status_code == 303 and again.headers["location"] == f"/me/orders/{group.order_ids[1]}"
    shown = (await client.get(again.headers["location"], headers=EN)).text
    assert "This order has been paid or cancelled already." in shown
    assert (await stock_of(a), await stock_of(b)) == (5, 5)


async def test_a_paid_order_cannot_be_cancelled_by_the_buyer(client: httpx.AsyncClient) -> None:
    me = await make_user()
    product = await make_product(skus=[{"price_fen": 1000, "stock": 5}])
    group = await make_order_group(me, [(product, 1)], status="paid")
    await login(client, me)
    assert "/cancel" not in (await client.get(f"/me/orders/{group.order_ids[0]}")).text
    response = await post_form(client, f"/me/orders/{group.order_ids[0]}/cancel")
    assert response.status_code == 303
    assert await statuses(group.order_ids) == ["paid"] and await stock_of(product) == 4


async def test_confirming_receipt_completes_a_shipped_or_delivered_order(client: httpx.AsyncClient) -> None:
    me = await make_user()
    product = await make_product(skus=[{"price_fen": 1000, "stock": 10}])
    shipped = await make_order_group(me, [(product, 1)], status="shipped")
    delivered = await make_order_group(me, [(product, 1)], status="delivered")
    await login(client, me)

    response = await post_form(client, f"/me/orders/{shipped.order_ids[0]}/confirm", headers=EN)
    assert response.status_code == 303 and response.headers["location"] == f"/me/orders/{shipped.order_ids[0]}"
    assert await statuses(shipped.order_ids) == ["completed"]
    assert (await events(shipped.order_ids[0]))[-2:] == [
        ("delivered", "confirmed_by_buyer"),
        ("completed", "confirmed_by_buyer"),
    ]
    assert (
        "Receipt confirmed. The order is completed."
        in (await client.get(response.headers["location"], headers=EN)).text
    )

    # from a card with htmx: the card comes back completed, and the tabs' counts out of band
    card = await post_form(
        client,
        f"/me/orders/{delivered.order_ids[0]}/confirm",
        {"from": "card", "tab": "to_receive"},
        headers={"HX-Request": "true", **EN},
    )
    assert card.status_code == 200
    assert f'id="order-{delivered.order_ids[0]}"' in card.text and "Receipt confirmed" in card.text
    assert 'id="order-tabs"' in card.text and 'hx-swap-oob="true"' in card.text
    assert '?tab=completed"' in card.text and '<span class="otabs__n">2</span>' in card.text
    assert await statuses(delivered.order_ids) == ["completed"]
    assert (await events(delivered.order_ids[0]))[-1] == ("completed", "confirmed_by_buyer")

    twice = await post_form(client, f"/me/orders/{delivered.order_ids[0]}/confirm", headers=EN)
    assert (
        "You had already confirmed receipt of this order."
        in (await client.get(twice.headers["location"], headers=EN)).text
    )
    assert [e for e in await events(delivered.order_ids[0]) if e[0] == "completed"] == [
        ("completed", "confirmed_by_buyer")
    ]


async def test_confirming_receipt_of_an_order_not_shipped_yet_is_refused_clearly(client: httpx.AsyncClient) -> None:
    me = await make_user()
    product = await make_product(skus=[{"price_fen": 1000, "stock": 10}])
    unpaid = await make_order_group(me, [(product, 1)])
    paid = await make_order_group(me, [(product, 1)], status="paid")
    await login(client, me)
    response = await post_form(client, f"/me/orders/{unpaid.order_ids[0]}/confirm", headers=EN)
    assert response.status_code == 303
    shown = (await client.get(response.headers["location"], headers=EN)).text
    assert "You can confirm receipt once the order has been shipped." in shown
    card = await post_form(
        client, f"/me/orders/{paid.order_ids[0]}/confirm", {"from": "card"}, headers={"HX-Request": "true", **EN}
    )
    assert card.status_code == 422 and "You can confirm receipt once the order has been shipped." in card.text
    assert await statuses(unpaid.order_ids) == ["pending_payment"] and await statuses(paid.order_ids) == ["paid"]
    with pytest.raises(OrderNotFound):
        await buyer.confirm_receipt(buyer_id=(await make_user()).id, order_id=paid.order_ids[0], actor=TEST_ACTOR)
    with pytest.raises(IllegalTransition):
        await buyer.confirm_receipt(buyer_id=me.id, order_id=paid.order_ids[0], actor=TEST_ACTOR)


async def test_auto_confirm_completes_only_orders_past_their_time_and_is_idempotent(
    moved_clock: Callable[[datetime], None],
) -> None:
    me = await make_user()
    product = await make_product(skus=[{"price_fen": 1000, "stock": 20}])
    due_shipped = await make_order_group(me, [(product, 1)], status="shipped")
    due_delivered = await make_order_group(me, [(product, 1)], status="delivered")
    later = await make_order_group(me, [(product, 1)], status="shipped")
    not_shipped = await make_order_group(me, [(product, 1)], status="paid")
    now = clock.now()
    for group, days in ((due_shipped, 10), (due_delivered, 9), (later, 12)):
        await fetch(
            "UPDATE shop_order SET auto_confirm_at = {} WHERE id = {}", now + timedelta(days=days), group.order_ids[0]
        )

    assert await buyer.auto_confirm() == 0  # nothing is due yet
    moved_clock(now + timedelta(days=11))
    results = await asyncio.gather(*[buyer.auto_confirm(batch=1) for _ in range(4)])  # several workers at once
    assert sum(results) == 2
    assert await statuses(due_shipped.order_ids) == ["completed"]
    assert await statuses(due_delivered.order_ids) == ["completed"]
    assert await statuses(later.order_ids) == ["shipped"] and await statuses(not_shipped.order_ids) == ["paid"]
    assert (await events(due_shipped.order_ids[0]))[-2:] == [
        ("delivered", "auto_confirmed"),
        ("completed", "auto_confirmed"),
    ]
    assert await buyer.auto_confirm() == 0  # again: nothing changes
    completed = await fetch("SELECT count(*) AS n FROM order_event WHERE to_status = 'completed'")
    assert completed[0]["n"] == 2


async def test_the_worker_runs_the_unpaid_timeout_and_auto_confirm_sweeps() -> None:
    names = {name: sweep for name, sweep in SWEEPS}
    assert names["unpaid orders past their payment deadline"].__name__ == "expire_unpaid"
    assert buyer.auto_confirm in names.values()
