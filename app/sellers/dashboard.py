"""The seller dashboard's numbers. Orders, shipments and reviews do not exist yet: their cards say so rather
than show a number. Product counts come from one small query here (app/catalog/seller_services.py, when it
lands, offers the same counts; switch to it then)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.core.db import fetchrow


@dataclass(frozen=True, slots=True)
class ShopState:
    status: str  # pending | active | suspended | closed
    reason: str
    rectification_since: datetime | None


@dataclass(frozen=True, slots=True)
class ProductCounts:
    on_sale: int
    pending_review: int
    low_stock: int  # active products with a SKU at or below the product's threshold (库存预警)


async def shop_state(*, shop_id: int) -> ShopState:
    row = await fetchrow("SELECT status, status_reason, rectification_since FROM shop WHERE id = {}", shop_id)
    assert row is not None  # the guard found the membership
    return ShopState(row["status"], row["status_reason"], row["rectification_since"])


async def product_counts(*, shop_id: int) -> ProductCounts:
    row = await fetchrow(
        "SELECT count(*) FILTER (WHERE p.status = 'active') AS on_sale, "
        "count(*) FILTER (WHERE p.status = 'pending_review') AS pending_review, "
        "count(*) FILTER (WHERE p.status = 'active' AND EXISTS (SELECT 1 FROM sku k WHERE k.product = p.id "
        "AND k.stock <= p.low_stock_threshold)) AS low_stock "
        "FROM product p WHERE p.shop = {}",
        shop_id,
    )
    assert row is not None
    return ProductCounts(row["on_sale"], row["pending_review"], row["low_stock"])
