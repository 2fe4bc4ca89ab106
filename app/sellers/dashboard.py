"""The seller dashboard's numbers. Orders, shipments and reviews do not exist yet: their cards say so rather
than show a number. Product counts come from the catalog's seller services (the same as the product list's
tabs)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.catalog import seller_services
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
    low_stock: int  # products with a SKU at or below the product's threshold (库存预警)


async def shop_state(*, shop_id: int) -> ShopState:
    row = await fetchrow("SELECT status, status_reason, rectification_since FROM shop WHERE id = {}", shop_id)
    assert row is not None  # the guard found the membership
    return ShopState(row["status"], row["status_reason"], row["rectification_since"])


async def product_counts(*, shop_id: int) -> ProductCounts:
    per_status = await seller_services.product_counts(shop_id)
    return ProductCounts(
        on_sale=per_status.get("active", 0),
        pending_review=per_status.get("pending_review", 0),
        low_stock=await seller_services.low_stock_count(shop_id),
    )
