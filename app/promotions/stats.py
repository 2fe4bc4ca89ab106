"""A promotion's results for the seller and admin pages: orders, GMV driven, cost and ROI, from paid orders."""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from app.core.db import fetchrow


@dataclass(frozen=True, slots=True)
class PromotionStats:
    orders: int
    gmv_fen: int  # what the paid orders that used it came to
    cost_fen: int  # the discount it gave
    roi: Decimal | None  # GMV per yuan of cost; None without cost


async def promotion_stats(*, promotion_id: int) -> PromotionStats:
    """From order items whose adjustments carry source "promo:<id>", on orders that were paid."""
    source = f"promo:{promotion_id}"
    row = await fetchrow(
        'WITH hit AS (SELECT oi."order" AS order_id, sum(c.cost) AS cost FROM order_item oi '
        "CROSS JOIN LATERAL (SELECT COALESCE(sum(-(a->>'amount_fen')::bigint), 0) AS cost "
        "FROM jsonb_array_elements(oi.adjustments) a WHERE a->>'source' = {}) c "
        'WHERE oi.adjustments @> {}::jsonb GROUP BY oi."order") '
        "SELECT count(*) AS orders, COALESCE(sum(o.total_fen), 0) AS gmv, COALESCE(sum(hit.cost), 0) AS cost "
        "FROM hit JOIN shop_order o ON o.id = hit.order_id WHERE o.paid_at IS NOT NULL",
        source,
        json.dumps([{"source": source}]),
    )
    orders, gmv, cost = (int(row["orders"]), int(row["gmv"]), int(row["cost"])) if row else (0, 0, 0)
    roi = (Decimal(gmv) / Decimal(cost)).quantize(Decimal("0.01"), ROUND_HALF_UP) if cost > 0 else None
    return PromotionStats(orders=orders, gmv_fen=gmv, cost_fen=cost, roi=roi)
