"""A flash sale for the browser test: `python -m e2e.flash_seed <buyer identifier> <starts at, ISO> <title>`
(DATABASE_URL set). Creates a product of the seed shop with one SKU, a session starting at the given time (the
server's clock, which the test reads first, since earlier tests may have moved it), nominates the SKU and approves
it through the real services, and gives the buyer a default address so buying goes straight to payment."""

from __future__ import annotations

import asyncio
import sys
from datetime import datetime, timedelta

from app.core.db import close_pool, fetch, fetchrow, start_pool
from app.core.principal import Actor
from app.flash import services

SYSTEM = Actor(user_id=None, label="e2e flash seed")


async def seed(identifier: str, starts_at: datetime, title: str) -> tuple[int, int]:
    await start_pool(min_size=1, max_size=2)
    try:
        owner = await fetchrow(
            "SELECT shop, \"user\" AS owner FROM shop_staff WHERE role = 'owner' ORDER BY id LIMIT 1"
        )
        category = await fetchrow("SELECT id FROM category ORDER BY level DESC, id LIMIT 1")
        product = await fetchrow(
            "INSERT INTO product (shop, category, title, status, specs, price_min_fen, price_max_fen, stock_total, "
            "sku_count, created_at, updated_at) VALUES ({}, {}, {}, 'active', '[]'::jsonb, 5900, 5900, 50, 1, now(), "
            "now()) RETURNING id",
            owner["shop"],
            category["id"],
            title,
        )
        sku = await fetchrow(
            "INSERT INTO sku (product, code, spec_values, price_fen, stock, weight_g, position) "
            "VALUES ({}, {}, {}::jsonb, 5900, 50, 300, 0) RETURNING id",
            product["id"],
            f"FLASH-E2E-{product['id']}",
            "{}",
        )
        # created a day ahead (sellers nominate before the start), then moved to its real window
        session = await services.create_session(
            actor=SYSTEM, title=title, starts_at=starts_at + timedelta(days=1), ends_at=starts_at + timedelta(days=2)
        )
        item = await services.nominate(
            actor=Actor(user_id=owner["owner"], label="e2e"),
            shop_id=owner["shop"],
            session_id=session,
            sku_id=sku["id"],
            flash_price_fen=1900,
            flash_stock=10,
            per_user_limit=1,
        )
        await services.approve_item(actor=SYSTEM, item_id=item)
        await fetch(
            "UPDATE flash_session SET starts_at = {}, ends_at = {} WHERE id = {}",
            starts_at,
            starts_at + timedelta(hours=2),
            session,
        )
        buyer = await fetchrow("SELECT id FROM app_user WHERE email = {} OR phone = {}", identifier, identifier)
        from app.accounts import addresses

        if await addresses.default_address(user_id=buyer["id"]) is None:
            await addresses.create_address(
                user_id=buyer["id"],
                receiver="王五",
                mobile="13812345678",
                province="310000",
                city="310100",
                district="310115",
                detail="世纪大道 300 号",
                is_default=True,
            )
        return item, session
    finally:
        await close_pool()


if __name__ == "__main__":
    print(*asyncio.run(seed(sys.argv[1], datetime.fromisoformat(sys.argv[2]), sys.argv[3])))
