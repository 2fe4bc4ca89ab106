"""In-app notifications: notify() from any domain service; the reader's page lists and marks them read."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.core.db import fetch, fetchrow
from app.core.i18n import gettext


@dataclass(frozen=True, slots=True)
class NotificationView:
    id: int
    kind: str
    title: str
    body: str
    link: str
    read: bool
    created_at: datetime


async def notify(
    *, user_id: int, kind: str, title: str, body: str = "", link: str = "", params: dict[str, Any] | None = None
) -> int:
    """title and body are message ids marked with N_(...) and %(name)s placeholders filled from params."""
    row = await fetchrow(
        'INSERT INTO notification ("user", kind, title, body, params, link, created_at) '
        "VALUES ({}, {}, {}, {}, {}::jsonb, {}, now()) RETURNING id",
        user_id,
        kind,
        title,
        body,
        json.dumps(params or {}, ensure_ascii=False),
        link,
    )
    assert row is not None
    return int(row["id"])


def _render(message: str, params: dict[str, Any]) -> str:
    text = gettext(message) if message else ""
    try:
        return text % params if params else text
    except (KeyError, ValueError, TypeError):
        return text


async def list_notifications(*, user_id: int, limit: int = 50) -> list[NotificationView]:
    rows = await fetch(
        'SELECT id, kind, title, body, params, link, read_at, created_at FROM notification WHERE "user" = {} '
        "ORDER BY created_at DESC, id DESC LIMIT {}",
        user_id,
        limit,
    )
    views = []
    for r in rows:
        params = r["params"]
        params = json.loads(params) if isinstance(params, str) else (params or {})
        views.append(
            NotificationView(
                id=r["id"],
                kind=r["kind"],
                title=_render(r["title"], params),
                body=_render(r["body"], params),
                link=r["link"],
                read=r["read_at"] is not None,
                created_at=r["created_at"],
            )
        )
    return views


async def unread_count(*, user_id: int) -> int:
    row = await fetchrow('SELECT count(*) AS n FROM notification WHERE "user" = {} AND read_at IS NULL', user_id)
    return int(row["n"]) if row else 0


async def mark_read(*, user_id: int, notification_id: int | None = None) -> None:
    """One notification, or all of the user's when notification_id is None."""
    if notification_id is None:
        await fetch('UPDATE notification SET read_at = now() WHERE "user" = {} AND read_at IS NULL', user_id)
    else:
        await fetch(
            'UPDATE notification SET read_at = now() WHERE "user" = {} AND id = {} AND read_at IS NULL',
            user_id,
            notification_id,
        )
