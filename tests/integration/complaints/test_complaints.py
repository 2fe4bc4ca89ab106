"""Complaints (投诉): filing from a shop or an order with photos, the buyer's own list, the admin queue with
audited status changes and the complainant's notification."""

from __future__ import annotations

import io
import re

import httpx
from PIL import Image

from app.core.db import fetch, fetchrow
from tests.factories import login, make_product, make_shop, make_user, post_form
from tests.order_factories import make_order_group

DETAIL = re.compile(r"/me/complaints/(\d+)$")
TEXT = "收到的商品是假货，包装和正品完全不同。"


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(out, "PNG")
    return out.getvalue()


async def _as(client: httpx.AsyncClient, user) -> None:  # type: ignore[no-untyped-def]
    client.cookies.clear()
    await login(client, user)


async def _file(client: httpx.AsyncClient, fields: dict, files: list | None = None) -> httpx.Response:  # type: ignore[type-arg]
    await client.get("/login")
    token = client.cookies["csrftoken"]
    return await client.post("/complaints/new", data={"_csrf_token": token, **fields}, files=files or None)


async def test_file_from_an_order_with_photos_and_follow_it(client: httpx.AsyncClient) -> None:
    shop = await make_shop()
    product = await make_product(shop=shop)
    buyer = await make_user()
    group = await make_order_group(buyer, [(product, 1)])
    order_id = group.order_ids[0]
    await _as(client, buyer)
    form = await client.get(f"/complaints/new?order={order_id}")
    assert form.status_code == 200 and shop.name in form.text and group.no[:4] in form.text

    response = await _file(
        client,
        {"order": str(order_id), "category": "fake", "text": TEXT},
        files=[("photos", ("a.png", png(), "image/png")), ("photos", ("b.png", png(), "image/png"))],
    )
    assert response.status_code == 303, response.text[:500]
    complaint_id = int(DETAIL.search(response.headers["location"]).group(1))  # type: ignore[union-attr]
    row = await fetchrow(
        'SELECT shop, "order", category, status, complainant FROM complaint WHERE id = {}', complaint_id
    )
    assert row is not None and dict(row) == {
        "shop": shop.id,
        "order": order_id,
        "category": "fake",
        "status": "open",
        "complainant": buyer.id,
    }
    photos = await fetch("SELECT id FROM complaint_photo WHERE complaint = {} ORDER BY id", complaint_id)
    assert len(photos) == 2

    detail = await client.get(f"/me/complaints/{complaint_id}")
    assert TEXT in detail.text and shop.name in detail.text
    photo = await client.get(f"/me/complaints/{complaint_id}/photos/{photos[0]['id']}")
    assert photo.status_code == 200 and photo.content[:2] == b"\xff\xd8"
    assert f"#{complaint_id}" in (await client.get("/me/complaints/")).text

    await _as(client, await make_user())  # someone else
    assert (await client.get(f"/me/complaints/{complaint_id}")).status_code == 404
    assert (await client.get(f"/me/complaints/{complaint_id}/photos/{photos[0]['id']}")).status_code == 404
    assert f"#{complaint_id}" not in (await client.get("/me/complaints/")).text
    assert (await client.get(f"/complaints/new?order={order_id}")).status_code == 404


async def test_bad_input_keeps_the_form_and_files_nothing(client: httpx.AsyncClient) -> None:
    client.headers["Accept-Language"] = "en"  # the messages below are checked in English
    shop = await make_shop()
    await _as(client, await make_user())
    short = await _file(client, {"shop": str(shop.id), "category": "", "text": "太差"})
    assert short.status_code == 422
    assert "at least 10 characters" in short.text and "Choose what the complaint is about" in short.text
    assert "太差" in short.text
    not_image = await _file(
        client,
        {"shop": str(shop.id), "category": "service", "text": TEXT},
        files=[("photos", ("x.jpg", b"not an image at all" * 20, "image/jpeg"))],
    )
    assert not_image.status_code == 422 and "JPEG, PNG or WebP" in not_image.text and TEXT in not_image.text
    assert await fetchrow("SELECT 1 FROM complaint") is None
    assert (await client.get("/complaints/new?shop=999999")).status_code == 404


async def test_admin_queue_status_changes_are_audited_and_notified(client: httpx.AsyncClient) -> None:
    client.headers["Accept-Language"] = "en"  # the messages below are checked in English
    shop = await make_shop()
    buyer = await make_user()
    await _as(client, buyer)
    response = await _file(client, {"shop": str(shop.id), "category": "service", "text": TEXT})
    complaint_id = int(DETAIL.search(response.headers["location"]).group(1))  # type: ignore[union-attr]

    await _as(client, await make_user())  # a buyer is no platform staff
    assert (await client.get("/admin/complaints/")).status_code == 403
    await _as(client, await make_user(roles=("finance",)))
    assert (await client.get("/admin/complaints/")).status_code == 403
    assert (
        await post_form(client, f"/admin/complaints/{complaint_id}/status", {"status": "handling"})
    ).status_code == 403

    moderator = await make_user(roles=("moderator",), name="审核员")
    await _as(client, moderator)
    queue = await client.get("/admin/complaints/")
    assert queue.status_code == 200 and f"#{complaint_id}" in queue.text and shop.name in queue.text

    illegal = await post_form(client, f"/admin/complaints/{complaint_id}/status", {"status": "resolved", "note": "x"})
    assert illegal.status_code == 422
    assert (await fetchrow("SELECT status FROM complaint WHERE id = {}", complaint_id))["status"] == "open"  # type: ignore[index]

    taken = await post_form(client, f"/admin/complaints/{complaint_id}/status", {"status": "handling", "note": ""})
    assert taken.status_code == 303
    no_note = await post_form(client, f"/admin/complaints/{complaint_id}/status", {"status": "resolved", "note": " "})
    assert no_note.status_code == 422 and "Write a note" in no_note.text

    await _as(client, await make_user(roles=("operations",)))
    done = await post_form(
        client, f"/admin/complaints/{complaint_id}/status", {"status": "resolved", "note": "已责令店铺整改并退款"}
    )
    assert done.status_code == 303
    row = await fetchrow("SELECT status, resolution, handled_by FROM complaint WHERE id = {}", complaint_id)
    assert row is not None and row["status"] == "resolved" and row["resolution"] == "已责令店铺整改并退款"
    again = await post_form(client, f"/admin/complaints/{complaint_id}/status", {"status": "dismissed", "note": "x"})
    assert again.status_code == 422

    audits = await fetch(
        "SELECT action FROM audit_log WHERE target_type = 'complaint' AND target_id = {} ORDER BY id",
        str(complaint_id),
    )
    assert [a["action"] for a in audits] == ["complaint.handling", "complaint.resolved"]
    events = await fetch("SELECT status FROM complaint_event WHERE complaint = {} ORDER BY id", complaint_id)
    assert [e["status"] for e in events] == ["open", "handling", "resolved"]
    notes = await fetch('SELECT kind, link FROM notification WHERE "user" = {} ORDER BY id', buyer.id)
    assert [n["kind"] for n in notes] == ["complaint.status", "complaint.status"]
    assert notes[0]["link"] == f"/me/complaints/{complaint_id}"

    await _as(client, buyer)
    detail = await client.get(f"/me/complaints/{complaint_id}")
    assert "已责令店铺整改并退款" in detail.text
