"""Demo rows of the settlement app (issue 9), loaded by app/demo.py after the orders demo. Idempotent.

- the sales of orders paid before the ledger existed are posted (dated at their payment);
- 小米优选旗舰店 (seller1@jishi.test) gets one completed order old enough to be settled, so the sweep files it into
  a statement and /seller/finance/ shows a balance, a statement and a ledger;
- its deposit is paid (sandbox)."""

from __future__ import annotations

import uuid
from datetime import timedelta

from app.core import clock
from app.core.db import fetch, fetchrow
from app.core.principal import Actor
from app.operations.settings import setting
from app.settlement.posting import post_missing_sales
from app.settlement.services import pay_deposit, settle_due

SYSTEM = Actor(user_id=None, label="demo")
SHOP = "小米优选旗舰店"


async def load_settlement_demo() -> None:
    await post_missing_sales()
    shop = await fetchrow("SELECT id FROM shop WHERE name = {}", SHOP)
    buyer = await fetchrow("SELECT id FROM app_user WHERE email = 'buyer@jishi.test'")
    if shop is None or buyer is None:
        await settle_due()
        return
    shop_id = int(shop["id"])
    await pay_deposit(shop_id=shop_id, amount_fen=await setting("settlement.deposit_fen"), key="demo", actor=SYSTEM)
    if await fetchrow("SELECT 1 AS x FROM settlement_statement WHERE shop = {}", shop_id) is None:
        await _completed_order(shop_id, int(buyer["id"]))
    await settle_due()


async def _completed_order(shop_id: int, buyer_id: int) -> None:
    """One order of the shop, paid, shipped and received long enough ago to be due for settlement."""
    from app.orders import services as orders
    from app.orders.fulfilment import ship_order
    from app.orders.states import transition

    sku = await fetchrow(
        "SELECT s.id FROM sku s JOIN product p ON p.id = s.product WHERE p.shop = {} AND p.status = 'active' "
        "AND s.stock >= 5 ORDER BY p.id DESC, s.id LIMIT 1",
        shop_id,
    )
    if sku is None:
        return
    group = await orders.place_order(
        buyer_id=buyer_id, checkout_token=uuid.uuid4(), lines=[orders.CheckoutLine(int(sku["id"]), 1)]
    )
    await orders.mark_group_paid(group_id=group.id, amount_fen=group.total_fen, actor=SYSTEM)
    order = await fetchrow('SELECT id, delivery FROM shop_order WHERE "group" = {} AND shop = {}', group.id, shop_id)
    if order is None:
        return
    owner = await fetchrow("SELECT \"user\" FROM shop_staff WHERE shop = {} AND role = 'owner'", shop_id)
    if order["delivery"] == "express":
        await ship_order(
            actor=Actor(user_id=owner["user"], label="demo"),
            shop_id=shop_id,
            order_id=order["id"],
            carrier="sf",
            tracking_no="SF1400000009",
        )
        await transition(order_id=order["id"], to="delivered", action="delivered", actor=SYSTEM)
    await transition(order_id=order["id"], to="completed", action="completed", actor=SYSTEM)
    days = await setting("settlement.settle_days")
    await fetch(
        "UPDATE shop_order SET completed_at = {} WHERE id = {}", clock.now() - timedelta(days=days + 1), order["id"]
    )
