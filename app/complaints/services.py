"""Complaints to the platform (投诉) about a shop or an order: a buyer files one with a category, a text and
evidence photos; platform staff (moderator or operations) move it open → handling → resolved | dismissed with
a note. Every change is on the complaint's timeline and in the audit log, and the complainant is notified.
A buyer only ever reads their own complaints: others' are simply not found."""

from __future__ import annotations

import asyncio
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.catalog.images import ImageRejected, process
from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.core.errors import DomainError, NotFound, ValidationFailed
from app.core.i18n import N_
from app.core.principal import Actor
from app.messaging.services import notify
from app.moderation.sensitive import screen
from app.moderation.services import record_audit
from app.onboarding.documents import private_storage

CATEGORIES = ("fake", "not_described", "service", "delivery", "other")
STATUSES = ("open", "handling", "resolved", "dismissed")
# Which status may follow which: a complaint is taken up (handling) before it is resolved; an obviously
# unfounded one may be dismissed straight away.
TRANSITIONS: dict[str, frozenset[str]] = {
    "open": frozenset({"handling", "dismissed"}),
    "handling": frozenset({"resolved", "dismissed"}),
    "resolved": frozenset(),
    "dismissed": frozenset(),
}
FINAL = frozenset({"resolved", "dismissed"})
MAX_TEXT = 2000
MIN_TEXT = 10
MAX_NOTE = 1000
MAX_PHOTOS = 4
MAX_PHOTO_BYTES = 5 * 1024 * 1024

COMPLAINT_NOT_FOUND = N_("This complaint does not exist.")
SHOP_NOT_FOUND = N_("This shop does not exist.")
ORDER_NOT_FOUND = N_("This order does not exist.")
CHOOSE_CATEGORY = N_("Choose what the complaint is about.")
TEXT_TOO_SHORT = N_("Describe what happened in at least %(min)s characters.")
TEXT_TOO_LONG = N_("At most %(max)s characters.")
TOO_MANY_PHOTOS = N_("At most %(max)s photos.")
PHOTO_NOT_IMAGE = N_("Each photo must be a JPEG, PNG or WebP image of at most %(mb)s MB.")
OWN_SHOP = N_("You cannot complain about your own shop.")
ILLEGAL_TRANSITION = N_("This complaint cannot go from “%(from)s” to “%(to)s”.")
NOTE_REQUIRED = N_("Write a note for the complainant.")


class ComplaintError(DomainError):
    code = "complaint_error"


def can_move(from_status: str, to_status: str) -> bool:
    return to_status in TRANSITIONS.get(from_status, frozenset())


def validate(*, category: str, text: str, photo_count: int) -> dict[str, str]:
    """The form's field errors (msgids), empty when it may be filed."""
    errors: dict[str, str] = {}
    if category not in CATEGORIES:
        errors["category"] = CHOOSE_CATEGORY
    length = len(text.strip())
    if length < MIN_TEXT:
        errors["text"] = TEXT_TOO_SHORT
    elif length > MAX_TEXT:
        errors["text"] = TEXT_TOO_LONG
    if photo_count > MAX_PHOTOS:
        errors["photos"] = TOO_MANY_PHOTOS
    return errors


@dataclass(frozen=True, slots=True)
class ComplaintView:
    id: int
    complainant_id: int
    complainant_name: str
    shop_id: int
    shop_name: str
    order_id: int | None
    order_no: str
    category: str
    text: str
    status: str
    resolution: str
    handler_name: str
    created_at: datetime
    updated_at: datetime
    flagged_words: list[str]


def _view(row: dict[str, Any]) -> ComplaintView:
    out = dict(row)
    if isinstance(out.get("flagged_words"), str):
        out["flagged_words"] = json.loads(out["flagged_words"])
    return ComplaintView(**out)


_SQL = (
    "SELECT c.id, c.complainant AS complainant_id, "
    "COALESCE(NULLIF(u.display_name, ''), u.email, u.phone) AS complainant_name, c.shop AS shop_id, "
    "s.name AS shop_name, c.\"order\" AS order_id, COALESCE(o.no, '') AS order_no, c.category, c.text, "
    "c.status, c.resolution, COALESCE(NULLIF(h.display_name, ''), h.email, h.phone, '') AS handler_name, "
    "c.created_at, c.updated_at, c.flagged_words FROM complaint c JOIN app_user u ON u.id = c.complainant "
    'JOIN shop s ON s.id = c.shop LEFT JOIN shop_order o ON o.id = c."order" '
    "LEFT JOIN app_user h ON h.id = c.handled_by "
)


async def target(*, complainant_id: int, shop_id: int | None, order_id: int | None) -> dict[str, Any]:
    """What the complaint is about: {shop_id, shop_name, order_id, order_no}. Someone else's order or an
    unknown shop: NotFound."""
    if order_id is not None:
        row = await fetchrow(
            "SELECT o.id AS order_id, o.no AS order_no, s.id AS shop_id, s.name AS shop_name FROM shop_order o "
            "JOIN shop s ON s.id = o.shop WHERE o.id = {} AND o.buyer = {}",
            order_id,
            complainant_id,
        )
        if row is None:
            raise NotFound(ORDER_NOT_FOUND)
        return dict(row)
    if shop_id is None:
        raise NotFound(SHOP_NOT_FOUND)
    row = await fetchrow("SELECT id AS shop_id, name AS shop_name FROM shop WHERE id = {}", shop_id)
    if row is None:
        raise NotFound(SHOP_NOT_FOUND)
    return {**dict(row), "order_id": None, "order_no": ""}


def _photo(data: bytes) -> tuple[bytes, int, int]:
    if len(data) > MAX_PHOTO_BYTES:
        raise ComplaintError(PHOTO_NOT_IMAGE, field="photos", mb=MAX_PHOTO_BYTES // (1024 * 1024))
    try:
        processed = process(data)
    except ImageRejected:
        raise ComplaintError(PHOTO_NOT_IMAGE, field="photos", mb=MAX_PHOTO_BYTES // (1024 * 1024)) from None
    largest = processed.largest
    height = max(1, round(processed.height * largest / processed.width)) if processed.width else processed.height
    return processed.variants[f"{largest}.jpg"], largest, height


async def file_complaint(
    *,
    actor: Actor,
    complainant_id: int,
    shop_id: int | None = None,
    order_id: int | None = None,
    category: str,
    text: str,
    photos: list[bytes] | None = None,
) -> int:
    photos = [p for p in (photos or []) if p]
    about = await target(complainant_id=complainant_id, shop_id=shop_id, order_id=order_id)
    if await fetchrow('SELECT 1 FROM shop_staff WHERE shop = {} AND "user" = {}', about["shop_id"], complainant_id):
        raise ComplaintError(OWN_SHOP)
    errors = validate(category=category, text=text, photo_count=len(photos))
    if errors:
        raise ValidationFailed(errors)
    stored: list[tuple[str, int, int]] = []
    for data in photos:  # decoded and re-encoded before anything is written
        blob, width, height = await asyncio.to_thread(_photo, data)
        key = f"private/complaints/{secrets.token_hex(16)}.jpg"
        await private_storage().put(key, blob, "image/jpeg")
        stored.append((key, width, height))
    # never refused, never masked: a complaint about fake goods must be able to say 假货; the words found are
    # shown to the handler (decision 0020)
    found = await screen(text)
    flagged = list(dict.fromkeys([*found.blocked, *found.flagged]))
    now = clock.now()
    async with engine().transaction():
        row = await fetchrow(
            'INSERT INTO complaint (complainant, shop, "order", category, text, status, resolution, flagged_words, '
            "created_at, updated_at) VALUES ({}, {}, {}, {}, {}, 'open', '', {}::jsonb, {}, {}) RETURNING id",
            complainant_id,
            about["shop_id"],
            about["order_id"],
            category,
            text.strip(),
            json.dumps(flagged, ensure_ascii=False),
            now,
            now,
        )
        assert row is not None
        complaint_id = int(row["id"])
        for key, width, height in stored:
            await fetch(
                "INSERT INTO complaint_photo (complaint, image_key, width, height) VALUES ({}, {}, {}, {})",
                complaint_id,
                key,
                width,
                height,
            )
        await fetch(
            "INSERT INTO complaint_event (complaint, actor, status, note, created_at) VALUES ({}, {}, 'open', '', {})",
            complaint_id,
            complainant_id,
            now,
        )
    return complaint_id


# ---------------------------------------------------------------- reading
async def complainant_complaints(*, complainant_id: int) -> list[ComplaintView]:
    rows = await fetch(_SQL + "WHERE c.complainant = {} ORDER BY c.id DESC", complainant_id)
    return [_view(r) for r in rows]


async def complainant_complaint(*, complainant_id: int, complaint_id: int) -> ComplaintView:
    row = await fetchrow(_SQL + "WHERE c.id = {} AND c.complainant = {}", complaint_id, complainant_id)
    if row is None:
        raise NotFound(COMPLAINT_NOT_FOUND)
    return _view(row)


async def admin_queue(*, status: str = "", limit: int = 200) -> list[ComplaintView]:
    if status in STATUSES:
        rows = await fetch(_SQL + "WHERE c.status = {} ORDER BY c.id LIMIT {}", status, limit)
    else:  # the open and in-hand ones, oldest first
        rows = await fetch(_SQL + "WHERE c.status IN ('open', 'handling') ORDER BY c.id LIMIT {}", limit)
    return [_view(r) for r in rows]


async def status_counts() -> dict[str, int]:
    rows = await fetch("SELECT status, count(*) AS n FROM complaint GROUP BY status")
    return {r["status"]: int(r["n"]) for r in rows}


async def admin_complaint(*, complaint_id: int) -> ComplaintView:
    row = await fetchrow(_SQL + "WHERE c.id = {}", complaint_id)
    if row is None:
        raise NotFound(COMPLAINT_NOT_FOUND)
    return _view(row)


async def photos(*, complaint_id: int) -> list[dict[str, Any]]:
    return await fetch("SELECT id, width, height FROM complaint_photo WHERE complaint = {} ORDER BY id", complaint_id)


async def photo_bytes(*, complaint_id: int, photo_id: int) -> bytes:
    """A photo of a complaint the caller already proved access to."""
    row = await fetchrow(
        "SELECT image_key FROM complaint_photo WHERE id = {} AND complaint = {}", photo_id, complaint_id
    )
    data = await private_storage().get(row["image_key"]) if row else None
    if data is None:
        raise NotFound(COMPLAINT_NOT_FOUND)
    return data


async def timeline(*, complaint_id: int) -> list[dict[str, Any]]:
    return await fetch(
        "SELECT e.status, e.note, e.created_at, e.actor = c.complainant AS by_complainant "
        "FROM complaint_event e JOIN complaint c ON c.id = e.complaint WHERE e.complaint = {} ORDER BY e.id",
        complaint_id,
    )


# ---------------------------------------------------------------- handling
async def change_status(*, actor: Actor, complaint_id: int, to_status: str, note: str) -> None:
    """Platform staff move a complaint on with a note (required when closing it: it is the resolution the
    complainant reads). Audited and notified in the same transaction."""
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        raise ComplaintError(TEXT_TOO_LONG, field="note", max=MAX_NOTE)
    if to_status in FINAL and not note:
        raise ComplaintError(NOTE_REQUIRED, field="note")
    now = clock.now()
    async with engine().transaction():
        row = await fetchrow("SELECT id, status, complainant FROM complaint WHERE id = {} FOR UPDATE", complaint_id)
        if row is None:
            raise NotFound(COMPLAINT_NOT_FOUND)
        if not can_move(row["status"], to_status):
            raise ComplaintError(ILLEGAL_TRANSITION, field="status", **{"from": row["status"], "to": to_status})
        await fetch(
            "UPDATE complaint SET status = {}, handled_by = {}, updated_at = {}, "
            "resolution = CASE WHEN {} THEN {} ELSE resolution END WHERE id = {}",
            to_status,
            actor.user_id,
            now,
            to_status in FINAL,
            note,
            complaint_id,
        )
        await fetch(
            "INSERT INTO complaint_event (complaint, actor, status, note, created_at) VALUES ({}, {}, {}, {}, {})",
            complaint_id,
            actor.user_id,
            to_status,
            note,
            now,
        )
        await record_audit(
            actor=actor,
            action=f"complaint.{to_status}",
            target_type="complaint",
            target_id=complaint_id,
            before={"status": row["status"]},
            after={"status": to_status, "note": note},
        )
        await notify(
            user_id=int(row["complainant"]),
            kind="complaint.status",
            title=STATUS_TITLES[to_status],
            body=N_("Note from the platform: %(note)s") if note else "",
            link=f"/me/complaints/{complaint_id}",
            params={"id": complaint_id, "note": note},
        )


STATUS_TITLES = {
    "handling": N_("Your complaint #%(id)s is being handled"),
    "resolved": N_("Your complaint #%(id)s is resolved"),
    "dismissed": N_("Your complaint #%(id)s was dismissed"),
}
