"""The admin's view of one account (/admin/users/<id>): orders, GMV, points, roles, and its status history from
the audit log; the latest ban reasons for the user list."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.core.db import fetch, fetchrow
from app.core.errors import NotFound
from app.core.i18n import N_
from app.membership import ledger

HISTORY_ACTIONS = (
    "user.ban",
    "user.unban",
    "user.roles",
    "user.password_reset_issued",
    "user.password_reset_done",
)


@dataclass(frozen=True, slots=True)
class UserDetail:
    id: int
    display_name: str
    email: str
    phone: str
    status: str
    created_at: datetime
    last_login_at: datetime | None
    roles: tuple[str, ...]
    orders: int
    paid_orders: int
    gmv_fen: int
    points: int
    ban_reason: str
    history: list[dict[str, Any]]


def _json(value: object) -> dict[str, Any]:
    if isinstance(value, str):
        try:
            loaded = json.loads(value)
        except ValueError:
            return {}
        return loaded if isinstance(loaded, dict) else {}
    return value if isinstance(value, dict) else {}


async def user_detail(user_id: int) -> UserDetail:
    user = await fetchrow(
        "SELECT id, display_name, coalesce(email, '') AS email, coalesce(phone, '') AS phone, status, created_at, "
        "last_login_at FROM app_user WHERE id = {}",
        user_id,
    )
    if user is None:
        raise NotFound(N_("Account not found."))
    roles = await fetch('SELECT role FROM platform_role WHERE "user" = {} ORDER BY role', user_id)
    orders = await fetchrow(
        "SELECT count(*) AS n, count(*) FILTER (WHERE paid_at IS NOT NULL) AS paid, "
        "coalesce(sum(total_fen) FILTER (WHERE paid_at IS NOT NULL), 0) AS gmv FROM shop_order WHERE buyer = {}",
        user_id,
    )
    points = await ledger.balance(user_id)  # what the member can spend now (expired points excluded)
    rows = await fetch(
        "SELECT id, action, actor_label, before, after, created_at FROM audit_log "
        "WHERE target_type = 'user' AND target_id = {} ORDER BY id DESC LIMIT 50",
        str(user_id),
    )
    history = [
        {
            "action": r["action"],
            "actor": r["actor_label"],
            "before": _json(r["before"]),
            "after": _json(r["after"]),
            "at": r["created_at"],
        }
        for r in rows
        if r["action"] in HISTORY_ACTIONS
    ]
    ban_reason = next((h["after"].get("reason", "") for h in history if h["action"] == "user.ban"), "")
    assert orders is not None
    return UserDetail(
        id=user["id"],
        display_name=user["display_name"],
        email=user["email"],
        phone=user["phone"],
        status=user["status"],
        created_at=user["created_at"],
        last_login_at=user["last_login_at"],
        roles=tuple(r["role"] for r in roles),
        orders=int(orders["n"]),
        paid_orders=int(orders["paid"]),
        gmv_fen=int(orders["gmv"]),
        points=points,
        ban_reason=ban_reason if user["status"] == "banned" else "",
        history=history,
    )


async def ban_reasons(user_ids: list[int]) -> dict[int, str]:
    """The reason of the latest ban of each of these accounts (for the banned ones on a list page)."""
    if not user_ids:
        return {}
    rows = await fetch(
        "SELECT DISTINCT ON (target_id) target_id, after->>'reason' AS reason FROM audit_log "
        "WHERE target_type = 'user' AND action = 'user.ban' AND target_id = ANY({}) ORDER BY target_id, id DESC",
        [str(i) for i in user_ids],
    )
    return {int(r["target_id"]): r["reason"] or "" for r in rows}
