"""Races on one order, with real connections and committed data: ship twice, cancel twice, ship against cancel, and
several workers sweeping deliveries at once. Exactly one change wins; stock and refunds move once."""

from __future__ import annotations

import asyncio
from datetime import timedelta

from app.core import clock
from app.core.db import fetch, fetchrow
from app.core.errors import DomainError
from app.core.principal import Actor
from app.orders import fulfilment
from app.payments import services as payments
from tests.integration.orders._seller import events, order, order_row, paid_with_payment, seller, stock_of

STAFF = Actor(user_id=None, label="race")


async def _outcomes(*coros) -> list[str]:  # type: ignore[no-untyped-def]
    results = await asyncio.gather(*coros, return_exceptions=True)
    out = []
    for r in results:
        if isinstance(r, DomainError):
            out.append("refused")
        elif isinstance(r, BaseException):
            raise r
        else:
            out.append("ok")
    return sorted(out)


async def test_ten_concurrent_shipments_of_one_order_ship_it_once() -> None:
    s = await seller()
    order_id, _ = await order(s)
    outcomes = await _outcomes(
        *[
            fulfilment.ship_order(
                actor=STAFF, shop_id=s.shop.id, order_id=order_id, carrier="sf", tracking_no=f"SF00000000{i:02d}"
            )
            for i in range(10)
        ]
    )
    assert outcomes == ["ok"] + ["refused"] * 9
    assert await events(order_id) == ["paid", "shipped"]
    assert len(await fetch('SELECT id FROM tracking_event WHERE "order" = {}', order_id)) == 5
    row = await order_row(order_id)
    shipped_with = await fetchrow("SELECT count(*) AS n FROM audit_log WHERE action = 'order.ship'")
    assert row["status"] == "shipped" and shipped_with["n"] == 1


async def test_cancel_twice_or_against_shipping_moves_stock_and_money_once(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(payments, "schedule_refunds", lambda: None)
    s = await seller()
    first, g1 = await order(s, qty=2)
    second, g2 = await order(s, qty=3)
    for group in (g1, g2):
        await paid_with_payment(group)
    assert await stock_of(s.product) == 5

    cancels = await _outcomes(
        *[fulfilment.cancel_paid_order(actor=STAFF, shop_id=s.shop.id, order_id=first, reason="缺货") for _ in range(5)]
    )
    assert cancels == ["ok"] + ["refused"] * 4
    assert await stock_of(s.product) == 7
    refunds = await fetch('SELECT amount_fen FROM refund WHERE "order" = {}', first)
    assert [r["amount_fen"] for r in refunds] == [3980]

    race = await _outcomes(
        fulfilment.cancel_paid_order(actor=STAFF, shop_id=s.shop.id, order_id=second, reason="缺货"),
        fulfilment.ship_order(actor=STAFF, shop_id=s.shop.id, order_id=second, carrier="jd", tracking_no="JD12345678"),
    )
    assert race == ["ok", "refused"]
    row = await order_row(second)
    refunded = await fetch('SELECT id FROM refund WHERE "order" = {}', second)
    if row["status"] == "cancelled":
        assert await stock_of(s.product) == 10 and len(refunded) == 1
        assert await fetch('SELECT id FROM tracking_event WHERE "order" = {}', second) == []
    else:
        assert row["status"] == "shipped" and await stock_of(s.product) == 7 and refunded == []


async def test_several_workers_deliver_each_parcel_once() -> None:
    s = await seller(stock=50)
    ids = []
    for i in range(12):
        order_id, _ = await order(s)
        await fulfilment.ship_order(
            actor=STAFF, shop_id=s.shop.id, order_id=order_id, carrier="yto", tracking_no=f"YT{i:010d}"
        )
        ids.append(order_id)
    later = clock.now() + timedelta(hours=45)
    original = clock._now
    clock.use_clock(lambda: later)
    try:
        counts = await asyncio.gather(*[fulfilment.deliver_due(batch=3) for _ in range(4)])
    finally:
        clock.use_clock(original)
    assert sum(counts) == 12
    for order_id in ids:
        assert await events(order_id) == ["paid", "shipped", "delivered"]
