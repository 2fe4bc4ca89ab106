"""Levels and points settings are kept per process while the change feed is live, and an admin's edit reaches
every process through the feed at once (app/membership/services.py)."""

from __future__ import annotations

import asyncio

from app.core import changes
from app.core.db import fetch
from app.membership import services
from app.membership.demo import load_membership_demo


async def _until(condition, seconds: float = 3.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.02)):
        if await condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the change notification did not arrive")


async def test_levels_and_settings_are_kept_until_the_feed_says_they_changed(feed: None) -> None:
    await load_membership_demo()
    await asyncio.sleep(0.2)  # the demo's own notifications
    levels = await services.list_levels(active_only=True)
    settings = await services.get_settings()
    assert "levels:True" in services._cached and "settings" in services._cached
    assert await services.list_levels(active_only=True) == levels

    await fetch("UPDATE member_level SET extra_discount_pct = 9 WHERE rank = 2")
    await fetch("UPDATE points_settings SET points_per_yuan = 50")

    async def seen() -> bool:
        fresh = {lv.rank: lv.extra_discount_pct for lv in await services.list_levels(active_only=True)}
        return fresh.get(2) == 9 and (await services.get_settings()).points_per_yuan == 50

    await _until(seen)
    assert settings.points_per_yuan == 100


async def test_without_the_feed_every_call_reads_the_database() -> None:
    await load_membership_demo()
    assert not changes.live()
    before = await services.get_settings()
    await fetch("UPDATE points_settings SET points_per_yuan = 200")
    assert (await services.get_settings()).points_per_yuan == 200 != before.points_per_yuan
