"""Flash sales for tests: `await make_flash_item(flash_stock=100, limit=1)` nominates a SKU through the seller's
service and approves it through the admin's (so the flash stock really leaves the SKU), then moves the session to
the window asked for (seconds from now: running by default)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta

from app.core import clock
from app.core.db import fetch, fetchrow
from app.core.principal import Actor
from app.flash import services
from tests.factories import TestShop, make_product, make_shop
from tests.order_factories import first_sku

ADMIN = Actor(user_id=None, label="tests")


@dataclass(frozen=True)
class TestFlash:
    __test__ = False
    item_id: int
    session_id: int
    sku_id: int
    product_id: int
    shop: TestShop


async def make_session(*, starts_in: float = 3600, lasts: float = 3600, title: str = "14:00 场") -> int:
    now = clock.now()
    return await services.create_session(
        actor=ADMIN,
        title=title,
        starts_at=now + timedelta(seconds=starts_in),
        ends_at=now + timedelta(seconds=starts_in + lasts),
    )


async def move_session(session_id: int, *, starts_in: float, lasts: float = 3600) -> None:
    now = clock.now()
    await fetch(
        "UPDATE flash_session SET starts_at = {}, ends_at = {} WHERE id = {}",
        now + timedelta(seconds=starts_in),
        now + timedelta(seconds=starts_in + lasts),
        session_id,
    )


async def make_flash_item(
    *,
    shop: TestShop | None = None,
    price_fen: int = 1000,
    flash_price_fen: int = 500,
    sku_stock: int = 200,
    flash_stock: int = 100,
    limit: int = 1,
    starts_in: float = -60,
    lasts: float = 3600,
    approve: bool = True,
    session_id: int | None = None,
    title: str = "秒杀商品",
) -> TestFlash:
    shop = shop or await make_shop()
    product = await make_product(shop=shop, title=title, skus=[{"price_fen": price_fen, "stock": sku_stock}])
    sku = await first_sku(product)
    session_id = session_id or await make_session()
    item = await services.nominate(
        actor=Actor(user_id=shop.owner.id, label="tests"),
        shop_id=shop.id,
        session_id=session_id,
        sku_id=sku,
        flash_price_fen=flash_price_fen,
        flash_stock=flash_stock,
        per_user_limit=limit,
    )
    if approve:
        await services.approve_item(actor=ADMIN, item_id=item)
    await move_session(session_id, starts_in=starts_in, lasts=lasts)
    return TestFlash(item, session_id, sku, product, shop)


async def bulk_buyers(count: int) -> list[int]:
    """Buyer accounts straight into the table (no password hashing): for concurrency tests of the service."""
    rows = await fetch(
        "INSERT INTO app_user (email, password_hash, display_name, locale, status, auth_epoch, created_at) "
        "SELECT 'flash' || g || '-' || {} || '@example.com', 'x', '', '', 'active', 0, now() "
        "FROM generate_series(1, {}) g RETURNING id",
        uuid.uuid4().hex[:8],
        count,
    )
    return sorted(r["id"] for r in rows)


async def item_row(item_id: int) -> dict:  # type: ignore[type-arg]
    row = await fetchrow(
        "SELECT f.flash_stock, f.sold, f.returned_qty, f.returned, f.status, s.stock AS sku_stock, "
        "p.stock_total FROM flash_item f JOIN sku s ON s.id = f.sku JOIN product p ON p.id = f.product "
        "WHERE f.id = {}",
        item_id,
    )
    assert row is not None
    return dict(row)
