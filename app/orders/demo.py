"""Demo orders, so the buyer's and the sellers' order pages have something to show after `make run`: the demo
buyer checks out twice across 小米优选旗舰店 and 江南茶社 (placed through the real services): one checkout is
paid and its 小米优选 order shipped, the other waits for payment. Idempotent: skipped once the buyer has orders."""

from __future__ import annotations

import uuid

from app.core.db import fetch, fetchrow
from app.core.principal import Actor
from app.orders import services

SYSTEM = Actor(user_id=None, label="demo")


async def _sku_of_shop(shop: str, offset: int) -> int | None:
    row = await fetchrow(
        "SELECT s.id FROM sku s JOIN product p ON p.id = s.product JOIN shop sh ON sh.id = p.shop "
        "WHERE sh.name = {} AND p.status = 'active' AND s.stock >= 5 ORDER BY p.id, s.id OFFSET {} LIMIT 1",
        shop,
        offset,
    )
    return int(row["id"]) if row else None


async def load_orders_demo() -> None:
    buyer = await fetchrow("SELECT id FROM app_user WHERE email = 'buyer@jishi.test'")
    if buyer is None or await fetchrow("SELECT 1 AS x FROM order_group WHERE buyer = {}", buyer["id"]):
        return
    skus = [await _sku_of_shop(shop, n) for shop in ("小米优选旗舰店", "江南茶社") for n in (0, 1)]
    if None in skus:
        return
    first = await services.place_order(
        buyer_id=buyer["id"],
        checkout_token=uuid.uuid4(),
        lines=[services.CheckoutLine(skus[0], 1), services.CheckoutLine(skus[2], 2)],
    )
    await services.mark_group_paid(group_id=first.id, amount_fen=first.total_fen, actor=SYSTEM)
    from app.orders.fulfilment import ship_order

    order = await fetch(
        'SELECT o.id, o.shop FROM shop_order o JOIN shop s ON s.id = o.shop WHERE o."group" = {} AND s.name = {}',
        first.id,
        "小米优选旗舰店",
    )
    owner = await fetchrow("SELECT \"user\" FROM shop_staff WHERE shop = {} AND role = 'owner'", order[0]["shop"])
    await ship_order(
        actor=Actor(user_id=owner["user"], label="demo"),
        shop_id=order[0]["shop"],
        order_id=order[0]["id"],
        carrier="sf",
        tracking_no="SF1400000001",
    )
    await services.place_order(
        buyer_id=buyer["id"],
        checkout_token=uuid.uuid4(),
        lines=[services.CheckoutLine(skus[1], 1), services.CheckoutLine(skus[3], 1)],
    )
