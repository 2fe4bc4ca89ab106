"""What the flash services share: errors and messages, time-zone helpers, and the rows they return."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from app.config import get_settings
from app.core.db import fetch
from app.core.errors import DomainError
from app.core.i18n import N_
from app.flash import rules

SESSION_NOT_FOUND = N_("Flash sale session not found.")


ITEM_NOT_FOUND = N_("Flash sale item not found.")


SKU_NOT_FOUND = N_("Choose one of your shop's products.")


class FlashError(DomainError):
    code = "flash_error"


def _tz() -> ZoneInfo:
    return ZoneInfo(get_settings().display_timezone)


def parse_local(text: str) -> datetime | None:
    """A datetime-local input ('2026-11-23T14:00') in the display time zone → aware UTC; None if unreadable."""
    value = (text or "").strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_tz())
    return parsed.astimezone(ZoneInfo("UTC"))


def local_input(value: datetime | None) -> str:
    """The datetime-local value of an aware datetime, in the display time zone."""
    return value.astimezone(_tz()).strftime("%Y-%m-%dT%H:%M") if value else ""


def _spec(raw: Any) -> str:
    specs = json.loads(raw) if isinstance(raw, str) else (raw or {})
    return " / ".join(f"{k}: {v}" for k, v in specs.items())


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    status: str
    phase: str
    nominated: int = 0
    approved: int = 0


def _session_row(r: dict[str, Any], now: datetime) -> SessionRow:
    return SessionRow(
        id=r["id"],
        title=r["title"],
        starts_at=r["starts_at"],
        ends_at=r["ends_at"],
        status=r["status"],
        phase=rules.phase(starts_at=r["starts_at"], ends_at=r["ends_at"], status=r["status"], now=now),
        nominated=int(r.get("nominated") or 0),
        approved=int(r.get("approved") or 0),
    )


@dataclass(frozen=True, slots=True)
class ItemRow:
    id: int
    session_id: int
    shop_id: int
    shop_name: str
    product_id: int
    sku_id: int
    title: str
    spec: str
    image_key: str
    image_width: int
    image_height: int
    price_fen: int  # the SKU's price today
    sku_stock: int
    flash_price_fen: int
    flash_stock: int
    sold: int
    returned_qty: int
    per_user_limit: int
    status: str
    reason: str
    orders: int = 0  # paid orders
    gmv_fen: int = 0  # what those orders paid for this item

    @property
    def total(self) -> int:
        return self.flash_stock + self.sold + self.returned_qty

    @property
    def sold_pct(self) -> int:
        return 100 * self.sold // self.total if self.total else 0


_ITEM_SQL = """
SELECT f.id, f.session AS session_id, f.shop AS shop_id, sh.name AS shop_name, f.product AS product_id,
       f.sku AS sku_id, p.title, s.spec_values, s.price_fen, s.stock AS sku_stock, f.flash_price_fen, f.flash_stock,
       f.sold, f.returned_qty, f.per_user_limit, f.status, f.reason,
       coalesce(img.key, '') AS image_key, coalesce(img.width, 0) AS image_width,
       coalesce(img.height, 0) AS image_height
FROM flash_item f JOIN sku s ON s.id = f.sku JOIN product p ON p.id = f.product JOIN shop sh ON sh.id = f.shop
LEFT JOIN LATERAL (SELECT i.key, i.width, i.height FROM product_image i WHERE i.product = p.id
                   ORDER BY (i.position = s.image_position) DESC, i.position LIMIT 1) img ON true
"""


def _item(r: dict[str, Any], stats: dict[int, dict[str, Any]] | None = None) -> ItemRow:
    stat = (stats or {}).get(r["id"], {})
    return ItemRow(
        id=r["id"],
        session_id=r["session_id"],
        shop_id=r["shop_id"],
        shop_name=r["shop_name"],
        product_id=r["product_id"],
        sku_id=r["sku_id"],
        title=r["title"],
        spec=_spec(r["spec_values"]),
        image_key=r["image_key"],
        image_width=int(r["image_width"]),
        image_height=int(r["image_height"]),
        price_fen=int(r["price_fen"]),
        sku_stock=int(r["sku_stock"]),
        flash_price_fen=int(r["flash_price_fen"]),
        flash_stock=int(r["flash_stock"]),
        sold=int(r["sold"]),
        returned_qty=int(r["returned_qty"]),
        per_user_limit=int(r["per_user_limit"]),
        status=r["status"],
        reason=r["reason"],
        orders=int(stat.get("orders") or 0),
        gmv_fen=int(stat.get("gmv") or 0),
    )


async def _paid_stats(item_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Paid orders and what they paid per flash item (order items whose stock came from it)."""
    if not item_ids:
        return {}
    rows = await fetch(
        "SELECT substr(i.stock_source, 7)::int AS item, count(DISTINCT o.id) AS orders, sum(i.paid_fen) AS gmv "
        'FROM order_item i JOIN shop_order o ON o.id = i."order" '
        "WHERE i.stock_source = ANY({}::text[]) AND o.paid_at IS NOT NULL GROUP BY i.stock_source",
        [f"flash:{i}" for i in item_ids],
    )
    return {r["item"]: r for r in rows}
