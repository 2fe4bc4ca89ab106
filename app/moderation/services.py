"""The audit log: every admin and seller state change goes through `record_audit`."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.core.principal import Actor
from app.moderation.tables import AuditLog

PAGE_SIZE = 50


def _jsonable(value: Any) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False, default=str, sort_keys=True)


async def record_audit(
    *,
    actor: Actor,
    action: str,
    target_type: str,
    target_id: object,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> None:
    """Write one audit row. Call it inside the service's transaction so the change and its record commit
    together."""
    await AuditLog.insert(
        AuditLog(
            actor=actor.user_id,
            actor_label=actor.label,
            action=action,
            target_type=target_type,
            target_id=str(target_id),
            before=_jsonable(before),
            after=_jsonable(after),
            ip=actor.ip,
        )
    )


@dataclass(frozen=True)
class AuditPage:
    rows: list[dict[str, Any]]
    page: int
    has_next: bool
    actions: list[str]


async def list_audit(
    *,
    actor: str = "",
    action: str = "",
    day_from: date | None = None,
    day_to: date | None = None,
    page: int = 1,
    tz: str = "Asia/Shanghai",
) -> AuditPage:
    """Newest first, filtered by actor (name, email or phone contains), action and local-date range."""
    query = AuditLog.select(
        AuditLog.id,
        AuditLog.actor_label,
        AuditLog.action,
        AuditLog.target_type,
        AuditLog.target_id,
        AuditLog.before,
        AuditLog.after,
        AuditLog.ip,
        AuditLog.created_at,
    )
    if actor:
        query = query.where(AuditLog.actor_label.ilike(f"%{actor.replace('%', '')}%"))
    if action:
        query = query.where(AuditLog.action == action)
    zone = ZoneInfo(tz)
    if day_from:
        query = query.where(AuditLog.created_at >= datetime.combine(day_from, time.min, zone))
    if day_to:
        query = query.where(AuditLog.created_at < datetime.combine(day_to + timedelta(days=1), time.min, zone))
    page = max(page, 1)
    rows = await query.order_by(AuditLog.id, ascending=False).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
    actions = [r["action"] for r in await AuditLog.select(AuditLog.action).distinct().order_by(AuditLog.action)]
    return AuditPage(rows=rows[:PAGE_SIZE], page=page, has_next=len(rows) > PAGE_SIZE, actions=actions)
