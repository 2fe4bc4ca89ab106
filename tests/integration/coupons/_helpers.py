"""Coupon templates for tests: `await make_template(shop_id=None, threshold_fen=30000, amount_fen=3000)`."""

# ruff: noqa: S608  (SQL is assembled only from fixed fragments and column names in this file; values are parameters)

from __future__ import annotations

from datetime import timedelta
from typing import Any

from app.core import clock
from app.core.db import fetchrow


async def make_template(
    *,
    shop_id: int | None = None,
    name: str = "测试券",
    kind: str = "threshold",
    amount_fen: int = 1000,
    threshold_fen: int = 9900,
    status: str = "active",
    total: int = 100,
    per_user: int = 1,
    **extra: Any,
) -> int:
    now = clock.now()
    values: dict[str, Any] = {
        "issuer": "shop" if shop_id else "platform",
        "shop": shop_id,
        "name": name,
        "kind": kind,
        "amount_fen": amount_fen,
        "threshold_fen": threshold_fen if kind == "threshold" else 0,
        "claim_start_at": now - timedelta(days=1),
        "claim_end_at": now + timedelta(days=10),
        "use_days": 7,
        "total_quantity": total,
        "per_user_limit": per_user,
        "status": status,
        **extra,
    }
    if "use_end_at" in extra and "use_days" not in extra:
        values["use_days"] = None
    columns = ", ".join(values)
    row = await fetchrow(
        f"INSERT INTO coupon_template ({columns}) VALUES ({', '.join('{}' for _ in values)}) RETURNING id",
        *values.values(),
    )
    assert row is not None
    return int(row["id"])
