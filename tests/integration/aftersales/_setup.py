"""Set-up for after-sales tests: a shop with a product, a buyer with a paid (payment row) order of it."""

from __future__ import annotations

import json
from dataclasses import dataclass

from app.core.db import fetch, fetchrow
from app.core.principal import Actor
from tests.factories import TestUser, make_user
from tests.integration.orders._seller import Seller, paid_with_payment, seller
from tests.order_factories import TestGroup, make_order_group


@dataclass(frozen=True)
class Bought:
    s: Seller
    buyer: TestUser
    group: TestGroup
    order_id: int
    item_id: int
    paid_fen: int

    @property
    def buyer_actor(self) -> Actor:
        return Actor(user_id=self.buyer.id, label="buyer")

    @property
    def seller_actor(self) -> Actor:
        return Actor(user_id=self.s.user.id, label="seller")


async def bought(*, qty: int = 2, status: str = "delivered", adjustments: tuple[int, ...] = ()) -> Bought:
    """qty × 19.90; adjustments (negative fen, e.g. a coupon and points) lower the item's paid_fen and the
    order's total the way checkout would have."""
    s = await seller(stock=10)
    buyer = await make_user()
    group = await make_order_group(buyer, [(s.product, qty)], status=status)
    order_id = group.order_ids[0]
    item = await fetchrow('SELECT id, paid_fen FROM order_item WHERE "order" = {}', order_id)
    assert item is not None
    paid = int(item["paid_fen"]) + sum(adjustments)
    if adjustments:
        adj = [{"reason": "Coupon", "amount_fen": a, "bearer": "shop", "source": "coupon"} for a in adjustments]
        await fetch(
            "UPDATE order_item SET paid_fen = {}, adjustments = {}::jsonb WHERE id = {}",
            paid,
            json.dumps(adj),
            item["id"],
        )
        await fetch(
            "UPDATE shop_order SET discount_fen = {}, total_fen = total_fen + {} WHERE id = {}",
            sum(adjustments),
            sum(adjustments),
            order_id,
        )
        await fetch("UPDATE order_group SET total_fen = total_fen + {} WHERE id = {}", sum(adjustments), group.id)
        group = TestGroup(group.id, group.no, group.total_fen + sum(adjustments), group.order_ids)
    await paid_with_payment(group)
    return Bought(s, buyer, group, order_id, int(item["id"]), paid)


async def refunds(order_id: int) -> list[dict]:  # type: ignore[type-arg]
    return await fetch(
        'SELECT amount_fen, idempotency_key AS key, status FROM refund WHERE "order" = {} ORDER BY id', order_id
    )


async def status_of(after_sale_id: int) -> str:
    row = await fetchrow("SELECT status FROM after_sale WHERE id = {}", after_sale_id)
    assert row is not None
    return str(row["status"])


async def actions(after_sale_id: int) -> list[str]:
    rows = await fetch("SELECT action FROM after_sale_event WHERE after_sale = {} ORDER BY id", after_sale_id)
    return [r["action"] for r in rows]
