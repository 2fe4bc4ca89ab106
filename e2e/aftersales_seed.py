"""A delivered, paid order for the after-sales browser test: `python -m e2e.aftersales_seed <buyer identifier>`
(DATABASE_URL set). One cup of the demo shop 小米优选旗舰店 (e2e.seed's order product), walked to `delivered`
through the state machine (tests.order_factories), plus the payment row the sandbox would have written so a
refund can be sent. Prints the order id."""

from __future__ import annotations

import asyncio
import secrets
import sys

from app.core.db import close_pool, fetch, fetchrow, start_pool
from e2e.seed import ORDER_PRODUCTS
from tests.factories import TestUser
from tests.order_factories import make_order_group


async def seed(identifier: str) -> int:
    await start_pool(min_size=1, max_size=2)
    try:
        shop, title, _ = ORDER_PRODUCTS[0]
        product = await fetchrow(
            "SELECT p.id FROM product p JOIN shop s ON s.id = p.shop WHERE p.title = {} AND s.name = {}", title, shop
        )
        buyer = await fetchrow("SELECT id FROM app_user WHERE email = {} OR phone = {}", identifier, identifier)
        group = await make_order_group(
            TestUser(id=buyer["id"], identifier=identifier), [(product["id"], 1)], status="delivered"
        )
        await fetch(
            'INSERT INTO payment (no, "group", buyer, provider, amount_fen, status, provider_txn_id, paid_at) '
            "VALUES ({}, {}, {}, 'sandbox', {}, 'paid', {}, now())",
            f"P{secrets.token_hex(8)}",
            group.id,
            buyer["id"],
            group.total_fen,
            f"SBX{secrets.token_hex(6)}",
        )
        return group.order_ids[0]
    finally:
        await close_pool()


if __name__ == "__main__":
    print(asyncio.run(seed(sys.argv[1])))
