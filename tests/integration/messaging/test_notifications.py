"""The notification centre: unread count, opening one marks it read, mark-all-read."""

from __future__ import annotations

import httpx

from app.core.db import fetchrow
from app.messaging.services import notify, unread_count
from tests.factories import login, make_user, post_form


async def test_unread_count_open_and_mark_all_read(client: httpx.AsyncClient) -> None:
    user = await make_user()
    other = await make_user()
    first = await notify(user_id=user.id, kind="t", title="Order paid", link="/me/orders/")
    await notify(user_id=user.id, kind="t", title="Order shipped")
    await notify(user_id=other.id, kind="t", title="Order shipped")
    await login(client, user)
    page = await client.get("/me/notifications/")
    assert "2 unread" in page.text or "2 条未读" in page.text

    opened = await client.get(f"/me/notifications/{first}")
    assert opened.status_code == 303 and opened.headers["location"] == "/me/orders/"
    assert await unread_count(user_id=user.id) == 1

    assert (await post_form(client, "/me/notifications/read-all")).status_code == 303
    assert await unread_count(user_id=user.id) == 0
    assert await unread_count(user_id=other.id) == 1  # only the reader's own
    row = await fetchrow('SELECT count(*) AS n FROM notification WHERE "user" = {} AND read_at IS NULL', user.id)
    assert row is not None and row["n"] == 0
