"""The audit log: every admin and seller state change goes through `record_audit`."""

from __future__ import annotations

import csv
import io
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


def _audit_query(
    *,
    actor: str = "",
    action: str = "",
    target_type: str = "",
    target_id: str = "",
    day_from: date | None = None,
    day_to: date | None = None,
    tz: str = "Asia/Shanghai",
):  # type: ignore[no-untyped-def]
    query = AuditLog.select(
        AuditLog.id,
        AuditLog.actor,
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
        number = actor.removeprefix("#")
        if number.isdigit() and len(number) <= 18:
            query = query.where(AuditLog.actor == int(number))
        else:
            query = query.where(AuditLog.actor_label.ilike(f"%{actor.replace('%', '')}%"))
    if action:
        query = query.where(AuditLog.action == action)
    if target_type:
        query = query.where(AuditLog.target_type == target_type)
    if target_id:
        query = query.where(AuditLog.target_id == target_id)
    zone = ZoneInfo(tz)
    if day_from:
        query = query.where(AuditLog.created_at >= datetime.combine(day_from, time.min, zone))
    if day_to:
        query = query.where(AuditLog.created_at < datetime.combine(day_to + timedelta(days=1), time.min, zone))
    return query


async def list_audit(
    *,
    actor: str = "",
    action: str = "",
    target_type: str = "",
    target_id: str = "",
    day_from: date | None = None,
    day_to: date | None = None,
    page: int = 1,
    tz: str = "Asia/Shanghai",
) -> AuditPage:
    """Newest first, filtered by actor (user id, or name, email or phone contains), action, target (type and id)
    and local-date range."""
    query = _audit_query(
        actor=actor,
        action=action,
        target_type=target_type,
        target_id=target_id,
        day_from=day_from,
        day_to=day_to,
        tz=tz,
    )
    page = max(page, 1)
    rows = await query.order_by(AuditLog.id, ascending=False).limit(PAGE_SIZE + 1).offset((page - 1) * PAGE_SIZE)
    actions = [r["action"] for r in await AuditLog.select(AuditLog.action).distinct().order_by(AuditLog.action)]
    return AuditPage(rows=rows[:PAGE_SIZE], page=page, has_next=len(rows) > PAGE_SIZE, actions=actions)


EXPORT_LIMIT = 20_000
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CSV_COLUMNS = ("id", "time", "actor_id", "actor", "action", "target_type", "target_id", "before", "after", "ip")


def csv_cell(value: object) -> str:
    """A cell a spreadsheet shows as text: a leading =, +, -, @, tab or CR would start a formula, so it gets a
    quote first."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


async def export_audit_csv(*, tz: str = "Asia/Shanghai", **filters: Any) -> bytes:
    """The filtered entries, newest first, at most EXPORT_LIMIT rows, as UTF-8 CSV with a BOM (Excel)."""
    query = _audit_query(tz=tz, **filters)
    rows = await query.order_by(AuditLog.id, ascending=False).limit(EXPORT_LIMIT)
    zone = ZoneInfo(tz)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_COLUMNS)
    for r in rows:
        writer.writerow(
            [
                csv_cell(v)
                for v in (
                    r["id"],
                    r["created_at"].astimezone(zone).isoformat(timespec="seconds"),
                    r["actor"] or "",
                    r["actor_label"],
                    r["action"],
                    r["target_type"],
                    r["target_id"],
                    r["before"] or "",
                    r["after"] or "",
                    r["ip"] or "",
                )
            ]
        )
    return out.getvalue().encode("utf-8-sig")
