"""The quick reply the chat browser test taps: `python -m e2e.chat_seed` (DATABASE_URL set). Adds it to the demo shop
小米优选旗舰店 once (idempotent: both locales' runs share it) and prints its text."""

from __future__ import annotations

import asyncio

from app.core.db import close_pool, fetch, fetchrow, start_pool
from e2e.helpers import DEMO_SELLER_SHOP

QUICK_REPLY = "亲，在的！可以放心使用。Yes, it is safe to use."


async def seed() -> str:
    await start_pool(min_size=1, max_size=2)
    try:
        shop = await fetchrow("SELECT id FROM shop WHERE name = {}", DEMO_SELLER_SHOP)
        assert shop is not None, DEMO_SELLER_SHOP
        await fetch(
            "INSERT INTO chat_quick_reply (shop, text, position) SELECT {}, {}, 0 WHERE NOT EXISTS "
            "(SELECT 1 FROM chat_quick_reply WHERE shop = {} AND text = {})",
            shop["id"],
            QUICK_REPLY,
            shop["id"],
            QUICK_REPLY,
        )
        return QUICK_REPLY
    finally:
        await close_pool()


if __name__ == "__main__":
    print(asyncio.run(seed()))
