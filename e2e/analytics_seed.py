"""Rollup rows for the analytics browser test: `python -m e2e.analytics_seed` (DATABASE_URL set). Fourteen days,
from 20 to 7 days ago (display time zone): the platform row of day i (0..13) has GMV (i + 1) x ¥100, the demo
shop 小米优选旗舰店's row (i + 1) x ¥10. The days are marked final so the rollup sweep leaves them alone.
Idempotent (the days' rows are replaced). The test signs in as its own operations analyst (ANALYST), not the
shared demo admin: switching the language while signed in is saved on the account, and other browser tests expect
the demo admin to follow the browser. Prints JSON: {"first": "<day 0>", "shop": <shop id>}."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from app.accounts.services import register, set_platform_roles
from app.analytics.metrics import today
from app.core.db import close_pool, fetch, fetchrow, start_pool
from app.core.principal import Actor
from e2e.helpers import DEMO_SELLER_SHOP

DAYS = 14
ANALYST = ("analyst@jishi.test", "jishi-analyst-2026")


async def seed() -> dict[str, object]:
    await start_pool(min_size=1, max_size=2)
    try:
        shop = await fetchrow("SELECT id FROM shop WHERE name = {}", DEMO_SELLER_SHOP)
        analyst = await fetchrow("SELECT id FROM app_user WHERE email = {}", ANALYST[0])
        if analyst is None:
            uid = await register(identifier=ANALYST[0], password=ANALYST[1], password_confirm=ANALYST[1])
            await set_platform_roles(actor=Actor(user_id=None, label="e2e seed"), user_id=uid, roles=["operations"])
        await fetch("UPDATE app_user SET locale = '' WHERE email = {}", ANALYST[0])  # follow the browser
        first = today() - timedelta(days=20)
        days = [first + timedelta(days=i) for i in range(DAYS)]
        await fetch("DELETE FROM analytics_daily_site WHERE day = ANY({})", days)
        for i, day in enumerate(days):
            n = i + 1
            await fetch(
                "INSERT INTO analytics_daily_site (day, shop, pv, uv, sessions, bounces, product_viewers, cart_adders, "
                "checkout_visitors, paying_visitors, orders, paying_buyers, gmv_fen) VALUES "
                "({}, 0, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}), "
                "({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {})",
                day, 30 * n, 10 * n, 12 * n, 4 * n, 6 * n, 3 * n, 2 * n, n, n, n, 10000 * n,
                day, shop["id"], 3 * n, n, n, 0, n, n, n, n, n, n, 1000 * n,
            )  # fmt: skip
            await fetch(
                "INSERT INTO analytics_rollup_day (day, rolled_at, final) VALUES ({}, now(), true) "
                "ON CONFLICT (day) DO UPDATE SET final = true",
                day,
            )
        return {"first": first.isoformat(), "shop": shop["id"]}
    finally:
        await close_pool()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(seed())))
