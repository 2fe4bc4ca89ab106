"""Points and levels through the real checkout (app/orders): the silver discount and 20% cap, the spend entry for
the group, the refund when the unpaid group is cancelled, and two checkouts racing for the same points."""

from __future__ import annotations

import asyncio
import uuid

from app.core.db import engine, fetch
from app.membership import ledger
from app.membership.demo import load_membership_demo
from app.orders import services
from app.orders.errors import CheckoutError
from app.orders.services import CheckoutLine
from tests.factories import SYSTEM, make_product, make_user
from tests.order_factories import first_sku, make_address


async def setup(points: int):  # type: ignore[no-untyped-def]
    await load_membership_demo()
    buyer = await make_user()
    address = await make_address(buyer)
    async with engine().transaction():
        await ledger.ensure_profile(buyer.id)
        await ledger.add_entry(user_id=buyer.id, delta=points, reason="admin", ref=f"{buyer.id}:seed")
    sku = await first_sku(await make_product(skus=[{"price_fen": 10000, "stock": 10}]))
    return buyer, address, sku


async def test_points_pay_up_to_the_cap_and_come_back_when_the_group_is_cancelled() -> None:
    buyer, address, sku = await setup(5000)
    placed = await services.place_order(
        buyer_id=buyer.id,
        checkout_token=uuid.uuid4(),
        lines=[CheckoutLine(sku, 1)],
        address_id=address,
        choices={},
        points=99999,
    )
    # ¥100 with the 普通会员 level (no discount): at most 20% = ¥20 = 2000 points
    spent = await fetch("SELECT delta FROM points_entry WHERE reason = 'spend' AND ref = {}", str(placed.id))
    assert [int(s["delta"]) for s in spent] == [-2000]
    assert await ledger.balance(buyer.id) == 3000
    order = await fetch('SELECT id FROM shop_order WHERE "group" = {}', placed.id)
    await services.cancel_unpaid(buyer_id=buyer.id, order_id=order[0]["id"], actor=SYSTEM)
    assert await ledger.balance(buyer.id) == 5000
    refunds = await fetch("SELECT delta FROM points_entry WHERE reason = 'refund' AND ref = {}", str(placed.id))
    assert [int(r["delta"]) for r in refunds] == [2000]


async def test_two_checkouts_cannot_spend_the_same_points() -> None:
    buyer, address, sku = await setup(2000)

    async def buy() -> bool:
        try:
            await services.place_order(
                buyer_id=buyer.id,
                checkout_token=uuid.uuid4(),
                lines=[CheckoutLine(sku, 1)],
                address_id=address,
                choices={},
                points=2000,
            )
        except CheckoutError:
            return False
        return True

    results = await asyncio.gather(*(buy() for _ in range(4)))
    # a checkout priced with points that are gone by the time it is placed is refused; one priced after the spend
    # pays full price; never are the points spent twice
    assert await ledger.balance(buyer.id) == 0
    spends = await fetch("SELECT ref, delta FROM points_entry WHERE reason = 'spend'")
    assert [int(s["delta"]) for s in spends] == [-2000]
    groups = await fetch("SELECT id, total_fen FROM order_group ORDER BY id")
    assert len(groups) == sum(results) >= 1
    assert [g["id"] for g in groups if g["total_fen"] == 8000] == [int(spends[0]["ref"])]
    assert all(g["total_fen"] == 10000 for g in groups if g["id"] != int(spends[0]["ref"]))


async def test_the_points_spent_are_the_discount_on_the_order() -> None:
    buyer, address, sku = await setup(150)
    placed = await services.place_order(
        buyer_id=buyer.id,
        checkout_token=uuid.uuid4(),
        lines=[CheckoutLine(sku, 1)],
        address_id=address,
        choices={},
        points=150,
    )
    assert placed.total_fen == 10000 - 150
    spends = await fetch("SELECT delta FROM points_entry WHERE reason = 'spend' AND ref = {}", str(placed.id))
    assert [int(s["delta"]) for s in spends] == [-150]
    assert await ledger.balance(buyer.id) == 0
