"""A settled order for the settlement browser test: `python -m e2e.settlement_seed` (DATABASE_URL set). One cup of
小米优选旗舰店 (e2e.seed's order product) bought by the demo buyer, walked to `completed` (tests.order_factories) with
the payment row the sandbox would have written, its sale posted, its completion moved past the T+N delay, then the
settlement sweep files it into today's statement. Prints "<statement id> <order no>"."""

from __future__ import annotations

import asyncio
import secrets
from datetime import timedelta

from app.core import clock
from app.core.db import close_pool, fetch, fetchrow, start_pool
from app.operations.settings import setting
from app.settlement.posting import post_missing_sales
from app.settlement.services import settle_due
from e2e.helpers import DEMO_BUYER
from e2e.seed import ORDER_PRODUCTS
from tests.factories import TestUser
from tests.order_factories import make_order_group


async def seed() -> tuple[int, str]:
    await start_pool(min_size=1, max_size=2)
    try:
        shop, title, _ = ORDER_PRODUCTS[0]
        product = await fetchrow(
            "SELECT p.id, p.shop FROM product p JOIN shop s ON s.id = p.shop WHERE p.title = {} AND s.name = {}",
            title,
            shop,
        )
        buyer = await fetchrow("SELECT id FROM app_user WHERE email = {}", DEMO_BUYER[0])
        group = await make_order_group(
            TestUser(id=buyer["id"], identifier=DEMO_BUYER[0]), [(product["id"], 1)], status="completed"
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
        days = await setting("settlement.settle_days")
        order_id = group.order_ids[0]
        await fetch(
            "UPDATE shop_order SET completed_at = {} WHERE id = {}", clock.now() - timedelta(days=days + 1), order_id
        )
        await post_missing_sales()
        await settle_due()
        row = await fetchrow(
            'SELECT t.statement, o.no FROM ledger_txn t JOIN shop_order o ON o.id = t."order" WHERE t.ref = {}',
            f"settle:order:{order_id}",
        )
        return int(row["statement"]), str(row["no"])
    finally:
        await close_pool()


if __name__ == "__main__":
    statement_id, order_no = asyncio.run(seed())
    print(statement_id, order_no)
