"""The platform's side: sessions (create, edit, cancel), the review of nominations (approval reserves the flash
stock from the SKU) and each session's results."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.core.errors import NotFound, ValidationFailed
from app.core.i18n import N_
from app.core.principal import Actor
from app.flash.services._base import (
    _ITEM_SQL,
    ITEM_NOT_FOUND,
    SESSION_NOT_FOUND,
    FlashError,
    ItemRow,
    SessionRow,
    _item,
    _paid_stats,
    _session_row,
)
from app.flash.services.stock import _refresh_products, _return_items
from app.moderation.services import record_audit


def _check_session(title: str, starts_at: datetime | None, ends_at: datetime | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = N_("Enter a title.")
    elif len(title) > 60:
        errors["title"] = N_("The title is at most 60 characters.")
    if starts_at is None:
        errors["starts_at"] = N_("Enter the start date and time.")
    if ends_at is None:
        errors["ends_at"] = N_("Enter the end date and time.")
    elif starts_at is not None and ends_at <= starts_at:
        errors["ends_at"] = N_("The end must be after the start.")
    elif starts_at is not None and ends_at - starts_at > timedelta(days=7):
        errors["ends_at"] = N_("A session lasts at most 7 days.")
    if errors:
        raise ValidationFailed(errors)
    return {"title": title, "starts_at": starts_at, "ends_at": ends_at}


async def create_session(*, actor: Actor, title: str, starts_at: datetime | None, ends_at: datetime | None) -> int:
    values = _check_session(title, starts_at, ends_at)
    async with engine().transaction():
        row = await fetchrow(
            "INSERT INTO flash_session (title, starts_at, ends_at, status, created_at) "
            "VALUES ({}, {}, {}, 'scheduled', {}) RETURNING id",
            values["title"],
            values["starts_at"],
            values["ends_at"],
            clock.now(),
        )
        assert row is not None
        await record_audit(
            actor=actor,
            action="flash.session_create",
            target_type="flash_session",
            target_id=row["id"],
            after={k: str(v) for k, v in values.items()},
        )
    return int(row["id"])


async def update_session(
    *, actor: Actor, session_id: int, title: str, starts_at: datetime | None, ends_at: datetime | None
) -> None:
    """Title and times of a session not cancelled and not over."""
    values = _check_session(title, starts_at, ends_at)
    async with engine().transaction():
        before = await fetchrow(
            "SELECT id, title, starts_at, ends_at, status FROM flash_session WHERE id = {} FOR UPDATE", session_id
        )
        if before is None:
            raise NotFound(SESSION_NOT_FOUND)
        if before["status"] == "cancelled" or before["ends_at"] <= clock.now():
            raise FlashError(N_("This session is over or cancelled and can no longer be changed."))
        await fetch(
            "UPDATE flash_session SET title = {}, starts_at = {}, ends_at = {} WHERE id = {}",
            values["title"],
            values["starts_at"],
            values["ends_at"],
            session_id,
        )
        await record_audit(
            actor=actor,
            action="flash.session_update",
            target_type="flash_session",
            target_id=session_id,
            before={k: str(before[k]) for k in ("title", "starts_at", "ends_at")},
            after={k: str(v) for k, v in values.items()},
        )


async def cancel_session(*, actor: Actor, session_id: int) -> int:
    """Cancel a session that is not over: its approved items stop selling and their unsold flash stock goes back
    to the SKUs now. Returns how many items gave stock back."""
    async with engine().transaction():
        row = await fetchrow("SELECT id, status, ends_at FROM flash_session WHERE id = {} FOR UPDATE", session_id)
        if row is None:
            raise NotFound(SESSION_NOT_FOUND)
        if row["status"] == "cancelled":
            raise FlashError(N_("This session is already cancelled."))
        if row["ends_at"] <= clock.now():
            raise FlashError(N_("This session is over or cancelled and can no longer be changed."))
        await fetch("UPDATE flash_session SET status = 'cancelled' WHERE id = {}", session_id)
        items = await fetch(
            "SELECT id FROM flash_item WHERE session = {} AND stock_reserved AND NOT returned ORDER BY id FOR UPDATE",
            session_id,
        )
        returned = await _return_items([r["id"] for r in items])
        await record_audit(
            actor=actor,
            action="flash.session_cancel",
            target_type="flash_session",
            target_id=session_id,
            before={"status": row["status"]},
            after={"status": "cancelled", "items_returned": returned},
        )
    return returned


async def admin_sessions(*, limit: int = 60) -> list[SessionRow]:
    """Sessions not ended more than 30 days ago, the latest start first, with their nomination counts."""
    now = clock.now()
    rows = await fetch(
        "SELECT s.id, s.title, s.starts_at, s.ends_at, s.status, "
        "count(f.id) FILTER (WHERE f.status = 'nominated') AS nominated, "
        "count(f.id) FILTER (WHERE f.status = 'approved') AS approved "
        "FROM flash_session s LEFT JOIN flash_item f ON f.session = s.id WHERE s.ends_at > {} "
        "GROUP BY s.id ORDER BY s.starts_at DESC, s.id DESC LIMIT {}",
        now - timedelta(days=30),
        limit,
    )
    return [_session_row(r, now) for r in rows]


async def get_session(*, session_id: int) -> SessionRow:
    row = await fetchrow("SELECT id, title, starts_at, ends_at, status FROM flash_session WHERE id = {}", session_id)
    if row is None:
        raise NotFound(SESSION_NOT_FOUND)
    return _session_row(row, clock.now())


@dataclass(frozen=True, slots=True)
class SessionResults:
    session: SessionRow
    items: list[ItemRow]
    sold: int
    orders: int
    gmv_fen: int


async def session_results(*, session_id: int) -> SessionResults:
    """The admin's view of one session: every nomination, and for the approved ones units sold, paid orders, GMV."""
    session = await get_session(session_id=session_id)
    rows = await fetch(_ITEM_SQL + " WHERE f.session = {} ORDER BY f.status = 'nominated' DESC, f.id", session_id)
    stats = await _paid_stats([r["id"] for r in rows if r["status"] == "approved"])
    items = [_item(r, stats) for r in rows]
    approved = [i for i in items if i.status == "approved"]
    return SessionResults(
        session=session,
        items=items,
        sold=sum(i.sold for i in approved),
        orders=sum(i.orders for i in approved),
        gmv_fen=sum(i.gmv_fen for i in approved),
    )


async def item_session_id(*, item_id: int) -> int:
    row = await fetchrow("SELECT session FROM flash_item WHERE id = {}", item_id)
    if row is None:
        raise NotFound(ITEM_NOT_FOUND)
    return int(row["session"])


async def approve_item(*, actor: Actor, item_id: int) -> None:
    """Approve a nomination: its flash stock leaves the SKU's stock with one conditional UPDATE (refused with a
    message when the SKU no longer has it), then the product's stock summary is refreshed."""
    item = await fetchrow(
        "SELECT f.id, f.sku, f.product, f.flash_stock, f.status, s.status AS session_status, s.ends_at "
        "FROM flash_item f JOIN flash_session s ON s.id = f.session WHERE f.id = {}",
        item_id,
    )
    if item is None:
        raise NotFound(ITEM_NOT_FOUND)
    if item["status"] != "nominated":
        raise FlashError(N_("This nomination has already been decided or withdrawn."))
    if item["session_status"] == "cancelled" or item["ends_at"] <= clock.now():
        raise FlashError(N_("This session is over or cancelled and can no longer be changed."))
    async with engine().transaction():
        taken = await fetchrow(
            "UPDATE sku SET stock = stock - {} WHERE id = {} AND stock >= {} RETURNING stock",
            item["flash_stock"],
            item["sku"],
            item["flash_stock"],
        )
        if taken is None:
            left = await fetchrow("SELECT stock FROM sku WHERE id = {}", item["sku"])
            raise FlashError(
                N_("The SKU has only %(left)s in stock: %(want)s cannot be reserved for the flash sale."),
                left=int(left["stock"]) if left else 0,
                want=item["flash_stock"],
            )
        done = await fetchrow(
            "UPDATE flash_item SET status = 'approved', stock_reserved = true, reviewed_by = {}, reviewed_at = {} "
            "WHERE id = {} AND status = 'nominated' RETURNING id",
            actor.user_id,
            clock.now(),
            item_id,
        )
        if done is None:  # decided meanwhile: the stock UPDATE above rolls back with this error
            raise FlashError(N_("This nomination has already been decided or withdrawn."))
        await _refresh_products([item["product"]])
        await record_audit(
            actor=actor,
            action="flash.item_approve",
            target_type="flash_item",
            target_id=item_id,
            before={"status": "nominated"},
            after={"status": "approved", "reserved": item["flash_stock"], "sku": item["sku"]},
        )


async def reject_item(*, actor: Actor, item_id: int, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": N_("Tell the seller why.")})
    if len(reason) > 200:
        raise ValidationFailed({"reason": N_("The reason is at most 200 characters.")})
    async with engine().transaction():
        done = await fetchrow(
            "UPDATE flash_item SET status = 'rejected', reason = {}, reviewed_by = {}, reviewed_at = {} "
            "WHERE id = {} AND status = 'nominated' RETURNING id, shop",
            reason,
            actor.user_id,
            clock.now(),
            item_id,
        )
        if done is None:
            if await fetchrow("SELECT id FROM flash_item WHERE id = {}", item_id) is None:
                raise NotFound(ITEM_NOT_FOUND)
            raise FlashError(N_("This nomination has already been decided or withdrawn."))
        await record_audit(
            actor=actor,
            action="flash.item_reject",
            target_type="flash_item",
            target_id=item_id,
            before={"status": "nominated"},
            after={"status": "rejected", "reason": reason},
        )
