"""The demo loader: a running session and an upcoming one with approved items, loaded once."""

from __future__ import annotations

from app.core import clock
from app.core.db import fetch
from app.flash.demo import load_flash_demo
from tests.factories import make_product, make_shop


async def test_the_demo_has_a_running_and_an_upcoming_session_with_approved_items_and_loads_once() -> None:
    shop = await make_shop()
    for n in range(4):
        await make_product(shop=shop, title=f"演示商品{n}", skus=[{"price_fen": 4990 + n, "stock": 80}])
    await load_flash_demo()
    await load_flash_demo()
    sessions = await fetch("SELECT id, starts_at, ends_at FROM flash_session ORDER BY starts_at")
    now = clock.now()
    assert len(sessions) == 2
    assert sessions[0]["starts_at"] <= now < sessions[0]["ends_at"] and sessions[1]["starts_at"] > now
    items = await fetch("SELECT session, status, flash_price_fen, flash_stock FROM flash_item ORDER BY id")
    assert len(items) == 4 and {i["status"] for i in items} == {"approved"}
    assert {i["session"] for i in items} == {s["id"] for s in sessions}
    assert all(0 < i["flash_price_fen"] < 4990 and i["flash_stock"] > 0 for i in items)
