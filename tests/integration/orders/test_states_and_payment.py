"""The state machine against real rows, payment marking, buyer cancellation and the unpaid-timeout sweep."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from app.core import clock
from app.core.db import fetch, fetchrow
from app.orders import services
from app.orders.errors import IllegalTransition, OrderNotFound
from app.orders.states import transition
from tests.factories import make_product, make_shop, make_user
from tests.order_factories import TEST_ACTOR, make_order_group


async def stock_of(product_id: int) -> int:
    row = await fetchrow("SELECT stock FROM sku WHERE product = {} ORDER BY id LIMIT 1", product_id)
    return int(row["stock"])


async def test_an_illegal_transition_is_refused_and_writes_no_event() -> None:
    buyer = await make_user()
    product = await make_product(skus=[{"price_fen": 1000, "stock": 5}])
    group = await make_order_group(buyer, [(product, 1)])
    with pytest.raises(IllegalTransition):
        await transition(order_id=group.order_ids[0], to="shipped", action="shipped", actor=TEST_ACTOR)
    events = await fetch('SELECT action FROM order_event WHERE "order" = {}', group.order_ids[0])
    assert [e["action"] for e in events] == []


async def test_another_shops_order_is_not_found_for_a_scoped_transition() -> None:
    buyer = await make_user()
    product = await make_product()
    other = await make_shop()
    group = await make_order_group(buyer, [(product, 1)], status="paid")
    with pytest.raises(OrderNotFound):
        await transition(
            order_id=group.order_ids[0], to="shipped", action="shipped", actor=TEST_ACTOR, shop_id=other.id
        )


async def test_marking_a_group_paid_pays_every_order_once() -> None:
    buyer = await make_user()
    a = await make_product(skus=[{"price_fen": 1000, "stock": 5}])
    b = await make_product(skus=[{"price_fen": 2500, "stock": 5}])
    group = await make_order_group(buyer, [(a, 1), (b, 2)])
    assert len(group.order_ids) == 2
    assert await services.mark_group_paid(group_id=group.id, amount_fen=999, actor=TEST_ACTOR) == "amount_mismatch"
    results = await asyncio.gather(
        *[services.mark_group_paid(group_id=group.id, amount_fen=6000, actor=TEST_ACTOR) for _ in range(5)]
    )
    assert sorted(results) == ["already_paid"] * 4 + ["paid"]
    rows = await fetch("SELECT status, paid_at FROM shop_order WHERE id = ANY({}::int[])", list(group.order_ids))
    assert {r["status"] for r in rows} == {"paid"} and all(r["paid_at"] for r in rows)
    events = await fetch("SELECT count(*) AS n FROM order_event WHERE action = 'paid'")
    assert events[0]["n"] == 2


async def test_the_buyer_cancels_the_whole_unpaid_checkout_and_stock_returns() -> None:
    buyer, other = await make_user(), await make_user()
    a = await make_product(skus=[{"price_fen": 1000, "stock": 5}])
    b = await make_product(skus=[{"price_fen": 1000, "stock": 5}])
    group = await make_order_group(buyer, [(a, 2), (b, 3)])
    assert (await stock_of(a), await stock_of(b)) == (3, 2)
    with pytest.raises(OrderNotFound):
        await services.cancel_unpaid(buyer_id=other.id, order_id=group.order_ids[0], actor=TEST_ACTOR)
    assert await services.cancel_unpaid(buyer_id=buyer.id, order_id=group.order_ids[0], actor=TEST_ACTOR) == 2
    assert (await stock_of(a), await stock_of(b)) == (5, 5)
    with pytest.raises(IllegalTransition):
        await services.cancel_unpaid(buyer_id=buyer.id, order_id=group.order_ids[0], actor=TEST_ACTOR)
    assert (
        await services.mark_group_paid(group_id=group.id, amount_fen=group.total_fen, actor=TEST_ACTOR) == "cancelled"
    )


async def test_the_timeout_sweep_cancels_only_overdue_groups_and_races_safely_with_payment() -> None:
    buyer = await make_user()
    product = await make_product(skus=[{"price_fen": 1000, "stock": 10}])
    overdue = await make_order_group(buyer, [(product, 2)])
    fresh = await make_order_group(buyer, [(product, 1)])
    await fetch("UPDATE order_group SET pay_deadline_at = now() - interval '1 minute' WHERE id = {}", overdue.id)
    results = await asyncio.gather(services.expire_unpaid(), services.expire_unpaid(), services.expire_unpaid())
    assert sum(results) == 1
    assert await stock_of(product) == 9
    statuses = {r["id"]: r["status"] for r in await fetch("SELECT id, status FROM order_group")}
    assert statuses == {overdue.id: "cancelled", fresh.id: "pending_payment"}
    event = await fetchrow('SELECT action, reason FROM order_event WHERE "order" = {}', overdue.order_ids[0])
    assert event["action"] == "timeout"


async def test_a_clock_past_the_deadline_expires_and_the_sweep_is_idempotent() -> None:
    buyer = await make_user()
    product = await make_product(skus=[{"price_fen": 1000, "stock": 3}])
    await make_order_group(buyer, [(product, 3)])
    later = clock.now() + timedelta(minutes=31)
    clock.use_clock(lambda: later)
    try:
        assert await services.expire_unpaid() == 1
        assert await services.expire_unpaid() == 0
    finally:
        from datetime import UTC, datetime

        clock.use_clock(lambda: datetime.now(UTC))
    assert await stock_of(product) == 3
