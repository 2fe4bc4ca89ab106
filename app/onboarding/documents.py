"""Qualification documents: checked, stored privately, read back only by the applicant, the shop's owner and
platform staff, renewed by the shop, and swept daily for expiry (定期复查).

Storage: with the local backend, documents live in a folder beside the media root that no route serves
(`.data/private`); with S3 they go to the same bucket under `private/`, which the bucket policy must keep
private (only the app reads them, through `get`). Keys carry 128 random bits, and the only way to a file is
the permission-checked route in the controllers."""

from __future__ import annotations

import asyncio
import secrets
from datetime import date
from pathlib import Path
from typing import Any

from app.catalog.images import ImageRejected, process
from app.config import get_settings
from app.core.db import engine, fetch, fetchrow
from app.core.errors import NotFound
from app.core.i18n import N_
from app.core.principal import Actor, Principal
from app.core.storage import LocalStorage, Storage, get_storage
from app.messaging.services import notify
from app.moderation.services import record_audit
from app.onboarding.errors import DocumentRejected, StepInvalid
from app.onboarding.forms import DOCUMENT_KINDS, parse_day

MAX_BYTES = 5 * 1024 * 1024
WARN_DAYS = 30
TZ = "Asia/Shanghai"


def private_storage() -> Storage:
    settings = get_settings()
    if settings.storage_backend == "s3":
        return get_storage()
    return LocalStorage(Path(settings.media_root).parent / "private", base_url="/private-not-served/")


def today() -> date:
    from datetime import datetime
    from zoneinfo import ZoneInfo

    return datetime.now(ZoneInfo(TZ)).date()


async def _checked_file(data: bytes) -> tuple[bytes, str, str]:
    """(bytes to store, content type, extension). PDFs are kept as sent (header checked); images are decoded
    and re-encoded (the largest JPEG variant), so no uploaded image bytes are ever stored."""
    if not data:
        raise DocumentRejected(N_("Choose a file to upload."), field="file")
    if len(data) > MAX_BYTES:
        raise DocumentRejected(N_("The file is larger than %(mb)s MB."), field="file", mb=MAX_BYTES // (1024 * 1024))
    if data.startswith(b"%PDF-"):
        return data, "application/pdf", "pdf"
    try:
        processed = await asyncio.to_thread(process, data)
    except ImageRejected:
        raise DocumentRejected(
            N_("Upload a PDF or a photo (JPEG, PNG or WebP) of the document."), field="file"
        ) from None
    return processed.variants[f"{processed.largest}.jpg"], "image/jpeg", "jpg"


def _expiry(raw: str) -> date | None:
    parsed = parse_day(raw)
    if isinstance(parsed, str):
        raise StepInvalid({"expires_on": parsed})
    if parsed is not None and parsed <= today():
        raise StepInvalid({"expires_on": N_("This document has already expired: upload a valid one.")})
    return parsed


async def _store(data: bytes) -> tuple[str, str, int]:
    blob, content_type, ext = await _checked_file(data)
    key = f"private/onboarding/{secrets.token_hex(16)}.{ext}"
    await private_storage().put(key, blob, content_type)
    return key, content_type, len(blob)


def _kind(kind: str) -> str:
    if kind not in DOCUMENT_KINDS:
        raise StepInvalid({"kind": N_("Choose the kind of document.")})
    return kind


async def add_document(
    *, actor: Actor, application_id: int, kind: str, filename: str, data: bytes, expires_on: str
) -> int:
    """A document for an application the caller has already checked is the actor's and editable."""
    kind, expiry = _kind(kind), _expiry(expires_on)
    key, content_type, size = await _store(data)
    row = await fetchrow(
        "INSERT INTO application_document (application, kind, storage_key, content_type, filename, size_bytes, "
        "expires_on, uploaded_by, created_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, now()) RETURNING id",
        application_id,
        kind,
        key,
        content_type,
        (filename or "")[-120:],
        size,
        expiry,
        actor.user_id,
    )
    assert row is not None
    return int(row["id"])


async def remove_document(*, application_id: int, document_id: int) -> None:
    row = await fetchrow(
        "DELETE FROM application_document WHERE id = {} AND application = {} AND shop IS NULL RETURNING storage_key",
        document_id,
        application_id,
    )
    if row is None:
        raise NotFound(N_("This document does not exist."))
    await private_storage().delete(row["storage_key"])


async def application_documents(application_id: int) -> list[dict[str, Any]]:
    return await fetch(
        "SELECT id, kind, filename, content_type, size_bytes, expires_on, created_at FROM application_document "
        "WHERE application = {} ORDER BY id",
        application_id,
    )


async def shop_documents(shop_id: int) -> list[dict[str, Any]]:
    """The shop's documents, current ones first; `lapsed` when a current one is past its date."""
    rows = await fetch(
        "SELECT id, kind, filename, content_type, size_bytes, expires_on, warned_at, superseded_at, created_at, "
        "(superseded_at IS NULL AND expires_on IS NOT NULL AND expires_on < {}) AS lapsed "
        "FROM application_document WHERE shop = {} ORDER BY (superseded_at IS NULL) DESC, kind, id DESC",
        today(),
        shop_id,
    )
    return rows


async def read_document(*, viewer: Principal, document_id: int) -> tuple[bytes, str, str]:
    """(bytes, content type, file name) when the viewer may see the document; NotFound otherwise, so nobody
    learns whether someone else's document exists."""
    row = await fetchrow(
        "SELECT d.storage_key, d.content_type, d.filename, a.applicant FROM application_document d "
        "LEFT JOIN seller_application a ON a.id = d.application WHERE d.id = {}",
        document_id,
    )
    allowed = row is not None and (
        row["applicant"] == viewer.id
        or viewer.has_platform_role("operations")
        or await fetchrow(
            "SELECT 1 FROM application_document d JOIN shop_staff ss ON ss.shop = d.shop "
            "WHERE d.id = {} AND ss.\"user\" = {} AND ss.role = 'owner'",
            document_id,
            viewer.id,
        )
        is not None
    )
    if not allowed or row is None:
        raise NotFound(N_("This document does not exist."))
    data = await private_storage().get(row["storage_key"])
    if data is None:
        raise NotFound(N_("This document does not exist."))
    return data, row["content_type"], row["filename"]


async def renew_document(*, actor: Actor, shop_id: int, kind: str, filename: str, data: bytes, expires_on: str) -> int:
    """The shop uploads a current version of a document: the older ones of that kind are superseded, and the
    shop leaves rectification once no current document has lapsed. Audited."""
    kind, expiry = _kind(kind), _expiry(expires_on)
    key, content_type, size = await _store(data)
    async with engine().transaction():
        await fetch(
            "UPDATE application_document SET superseded_at = now() WHERE shop = {} AND kind = {} "
            "AND superseded_at IS NULL",
            shop_id,
            kind,
        )
        row = await fetchrow(
            "INSERT INTO application_document (shop, kind, storage_key, content_type, filename, size_bytes, "
            "expires_on, uploaded_by, created_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, now()) RETURNING id",
            shop_id,
            kind,
            key,
            content_type,
            (filename or "")[-120:],
            size,
            expiry,
            actor.user_id,
        )
        assert row is not None
        cleared = await fetchrow(
            "UPDATE shop SET rectification_since = NULL WHERE id = {} AND rectification_since IS NOT NULL "
            "AND NOT EXISTS (SELECT 1 FROM application_document d WHERE d.shop = shop.id "
            "AND d.superseded_at IS NULL AND d.expires_on < {}) RETURNING id",
            shop_id,
            today(),
        )
        await record_audit(
            actor=actor,
            action="shop.document_renew",
            target_type="shop",
            target_id=shop_id,
            after={"document": row["id"], "kind": kind, "expires_on": expiry, "rectification_cleared": bool(cleared)},
        )
    return int(row["id"])


# ---------------------------------------------------------------- the daily sweep (定期复查)
_WARN = (
    "WITH due AS ("
    " UPDATE application_document d SET warned_at = now() FROM shop s"
    " WHERE d.shop = s.id AND s.status <> 'closed' AND d.superseded_at IS NULL AND d.warned_at IS NULL"
    " AND d.expires_on IS NOT NULL AND d.expires_on <= {} AND d.expires_on >= {}"
    " RETURNING d.shop, d.expires_on, s.name)"
    ' INSERT INTO notification ("user", kind, title, body, params, link, created_at)'
    " SELECT ss.\"user\", 'shop.document_expiring', {}, {},"
    " jsonb_build_object('shop', due.name, 'date', to_char(due.expires_on, 'YYYY-MM-DD')),"
    " '/seller/qualifications', now()"
    " FROM due JOIN shop_staff ss ON ss.shop = due.shop AND ss.role = 'owner'"
)
_LAPSE = (
    "WITH lapsed AS ("
    " UPDATE shop s SET rectification_since = now()"
    " WHERE s.rectification_since IS NULL AND s.status <> 'closed' AND EXISTS ("
    " SELECT 1 FROM application_document d WHERE d.shop = s.id AND d.superseded_at IS NULL AND d.expires_on < {})"
    " RETURNING s.id, s.name)"
    ' INSERT INTO notification ("user", kind, title, body, params, link, created_at)'
    " SELECT ss.\"user\", 'shop.document_lapsed', {}, {}, jsonb_build_object('shop', lapsed.name),"
    " '/seller/qualifications', now()"
    " FROM lapsed JOIN shop_staff ss ON ss.shop = lapsed.id AND ss.role = 'owner'"
)


async def sweep_documents(*, on: date | None = None) -> None:
    """Idempotent: each document warns once (warned_at), each lapse marks the shop once (rectification_since);
    safe to run every minute and from several workers at once (each statement re-checks its rows)."""
    from datetime import timedelta

    day = on or today()
    await fetch(
        _WARN,
        day + timedelta(days=WARN_DAYS),
        day,
        N_("A qualification document expires soon"),
        N_("A document of %(shop)s expires on %(date)s. Upload a renewed one under Qualifications."),
    )
    await fetch(
        _LAPSE,
        day,
        N_("A qualification document has lapsed"),
        N_("%(shop)s is under rectification until it uploads a renewed document under Qualifications."),
    )


async def owner_ids(shop_id: int) -> list[int]:
    rows = await fetch('SELECT "user" FROM shop_staff WHERE shop = {} AND role = \'owner\' ORDER BY "user"', shop_id)
    return [r["user"] for r in rows]


async def notify_owners(shop_id: int, **kwargs: Any) -> None:
    for user_id in await owner_ids(shop_id):
        await notify(user_id=user_id, **kwargs)
