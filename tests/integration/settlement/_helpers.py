"""Paid orders with chosen prices, discounts (and their bearers) and shipping, paid through mark_group_paid as the
payment notice would, so the settlement hook runs in the payment's transaction."""

from __future__ import annotations

import json
from datetime import timedelta

from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.orders.services import mark_group_paid
from app.orders.states import transition
from app.settlement.ledger import shop_balances
from tests.factories import TestShop, TestUser, make_category, make_product, make_shop, make_user
from tests.order_factories import TEST_ACTOR, make_order_group


async def paid_order(
    *,
    shop: TestShop | None = None,
    buyer: TestUser | None = None,
    prices: tuple[int, ...] = (10000,),
    rate_bp: int = 500,
    platform_off: tuple[int, ...] = (),
    shop_off: tuple[int, ...] = (),
    shipping_fen: int = 0,
) -> dict:  # type: ignore[type-arg]
    """One order of `shop` with one item per price; item i gets platform_off[i] / shop_off[i] fen discounts."""
    shop = shop or await make_shop()
    buyer = buyer or await make_user()
    category = await make_category(commission_bp=rate_bp)
    products = [await make_product(shop=shop, category=category, skus=[{"price_fen": p, "stock": 10}]) for p in prices]
    group = await make_order_group(buyer, [(p, 1) for p in products], shipping_fen=shipping_fen)
    order_id = group.order_ids[0]
    items = await fetch('SELECT id, gross_fen FROM order_item WHERE "order" = {} ORDER BY id', order_id)
    total = shipping_fen
    for i, item in enumerate(items):
        adj = []
        if i < len(platform_off) and platform_off[i]:
            adj.append({"reason": "x", "amount_fen": -platform_off[i], "bearer": "platform", "source": "coupon:1"})
        if i < len(shop_off) and shop_off[i]:
            adj.append({"reason": "x", "amount_fen": -shop_off[i], "bearer": "shop", "source": "promo:1"})
        paid = int(item["gross_fen"]) + sum(a["amount_fen"] for a in adj)
        total += paid
        await fetch(
            "UPDATE order_item SET paid_fen = {}, adjustments = {}::jsonb WHERE id = {}",
            paid,
            json.dumps(adj),
            item["id"],
        )
    await fetch(
        "UPDATE shop_order SET total_fen = {}, discount_fen = {} - goods_fen - shipping_fen WHERE id = {}",
        total,
        total,
        order_id,
    )
    await fetch("UPDATE order_group SET total_fen = {} WHERE id = {}", total, group.id)
    if total == 0:  # everything discounted away: paid without a provider
        assert await mark_group_paid(group_id=group.id, amount_fen=0, payment_id=None, actor=TEST_ACTOR) == "paid"
        return {"shop": shop, "buyer": buyer, "order_id": order_id, "total": total, "group": group}
    payment = await fetchrow(
        'INSERT INTO payment (no, "group", buyer, provider, amount_fen, status, provider_txn_id, paid_at) '
        "VALUES ({}, {}, {}, 'sandbox', {}, 'paid', {}, now()) RETURNING id",
        f"PT{group.id:010d}",
        group.id,
        buyer.id,
        total,
        f"TX{group.id:010d}",
    )
    assert payment is not None
    assert (
        await mark_group_paid(group_id=group.id, amount_fen=total, payment_id=payment["id"], actor=TEST_ACTOR) == "paid"
    )
    return {"shop": shop, "buyer": buyer, "order_id": order_id, "total": total, "group": group}


async def complete(order_id: int, *, days_ago: int = 30) -> None:
    for step in ("shipped", "delivered", "completed"):
        extra = {"carrier": "sf", "tracking_no": f"SF{order_id:010d}"} if step == "shipped" else {}
        await transition(order_id=order_id, to=step, action=step, actor=TEST_ACTOR, extra=extra)
    await fetch(
        "UPDATE shop_order SET completed_at = {} WHERE id = {}", clock.now() - timedelta(days=days_ago), order_id
    )


async def refund(order_id: int, amount_fen: int, key: str) -> int:
    from app.payments.services import request_refund

    async with engine().transaction():
        return await request_refund(order_id=order_id, amount_fen=amount_fen, reason="test", key=key)


async def balances(shop: TestShop) -> dict[str, int]:
    return await shop_balances(shop.id)


async def assert_ledger_balanced() -> None:
    bad = await fetch("SELECT txn, sum(amount_fen) AS n FROM ledger_entry GROUP BY txn HAVING sum(amount_fen) <> 0")
    assert bad == []
    total = await fetchrow("SELECT coalesce(sum(amount_fen), 0) AS n FROM ledger_entry")
    assert total is not None and int(total["n"]) == 0
