"""Demo flash sales, so /flash and the home strip have something to show after `make run`: a session running now
(ending in 2 hours) and one starting in 3 hours, each with a few approved items from the demo shops, approved
through the real service (so their flash stock really leaves the SKUs). Idempotent: skipped once a demo session
exists."""

from __future__ import annotations

from datetime import timedelta

from app.core import clock
from app.core.db import fetch, fetchrow
from app.core.principal import Actor
from app.flash import services

SYSTEM = Actor(user_id=None, label="demo")
TITLES = ("限时秒杀 · 正在抢购", "限时秒杀 · 即将开抢")


async def _skus(limit: int) -> list[dict[str, object]]:
    """Active SKUs with stock to spare from the demo shops (the cheapest price above ¥10), one per product."""
    return await fetch(
        "SELECT DISTINCT ON (p.id) s.id, s.price_fen, s.stock, p.shop FROM sku s JOIN product p ON p.id = s.product "
        "JOIN shop sh ON sh.id = p.shop WHERE p.status = 'active' AND sh.status = 'active' AND s.stock >= 30 "
        "AND s.price_fen >= 1000 ORDER BY p.id, s.id LIMIT {}",
        limit,
    )


async def load_flash_demo() -> None:
    if await fetchrow("SELECT id FROM flash_session WHERE title = ANY({}::text[])", list(TITLES)):
        return
    skus = await _skus(8)
    if not skus:
        return
    now = clock.now().replace(second=0, microsecond=0)
    windows = (
        (now - timedelta(minutes=30), now + timedelta(hours=2)),
        (now + timedelta(hours=3), now + timedelta(hours=5)),
    )
    half = max(1, len(skus) // 2)
    for (starts, ends), title, chosen in zip(windows, TITLES, (skus[:half], skus[half:]), strict=True):
        # created as upcoming (sellers may only nominate before the start), then moved to its real window
        session_id = await services.create_session(
            actor=SYSTEM, title=title, starts_at=now + timedelta(minutes=1), ends_at=now + timedelta(minutes=2)
        )
        for n, sku in enumerate(chosen):
            price = int(sku["price_fen"])  # type: ignore[arg-type]
            owner = await fetchrow("SELECT \"user\" FROM shop_staff WHERE shop = {} AND role = 'owner'", sku["shop"])
            item_id = await services.nominate(
                actor=Actor(user_id=owner["user"] if owner else None, label="demo"),
                shop_id=int(sku["shop"]),  # type: ignore[arg-type]
                session_id=session_id,
                sku_id=int(sku["id"]),  # type: ignore[arg-type]
                flash_price_fen=max(100, price * (5 + n % 3) // 10 // 100 * 100 - 1),
                flash_stock=min(20, int(sku["stock"]) // 2),  # type: ignore[arg-type]
                per_user_limit=1 + n % 2,
            )
            await services.approve_item(actor=SYSTEM, item_id=item_id)
        await services.update_session(actor=SYSTEM, session_id=session_id, title=title, starts_at=starts, ends_at=ends)
