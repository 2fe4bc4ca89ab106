"""Re-review (定期复查) sweep, renewals, suspending a shop, and the notifications page."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.core.db import fetch, fetchrow
from app.messaging.services import notify
from app.onboarding.documents import sweep_documents
from app.worker import SWEEPS
from tests.factories import login, make_product, make_shop, make_user, post_form
from tests.integration.onboarding.helpers import PDF, audit_actions


@pytest.fixture(autouse=True)
def private_files(override_settings, tmp_path):  # type: ignore[no-untyped-def]
    override_settings(media_root=tmp_path / "media")


async def _document(shop_id: int, expires_on: date, kind: str = "licence") -> int:
    row = await fetchrow(
        "INSERT INTO application_document (shop, kind, storage_key, content_type, expires_on, created_at) "
        "VALUES ({}, {}, 'private/onboarding/x.pdf', 'application/pdf', {}, now()) RETURNING id",
        shop_id,
        kind,
        expires_on,
    )
    return int(row["id"])


async def test_the_sweep_warns_once_30_days_ahead_and_marks_lapses(client):
    assert any(sweep is sweep_documents for _name, sweep in SWEEPS)
    shop = await make_shop()
    today = date.today()
    soon = await _document(shop.id, today + timedelta(days=20))
    await _document(shop.id, today + timedelta(days=90), kind="brand_auth")  # not yet

    await sweep_documents(on=today)
    await sweep_documents(on=today)
    notes = await fetch('SELECT kind, "user", params FROM notification ORDER BY id')
    assert [(n["kind"], n["user"]) for n in notes] == [("shop.document_expiring", shop.owner.id)]
    assert (await fetchrow("SELECT warned_at FROM application_document WHERE id = {}", soon))["warned_at"]
    assert (await fetchrow("SELECT rectification_since FROM shop WHERE id = {}", shop.id))[
        "rectification_since"
    ] is None

    # 21 days later the licence has lapsed: rectification starts, once
    later = today + timedelta(days=21)
    await sweep_documents(on=later)
    await sweep_documents(on=later)
    shop_row = await fetchrow("SELECT status, rectification_since FROM shop WHERE id = {}", shop.id)
    assert shop_row["rectification_since"] is not None and shop_row["status"] == "active"
    kinds = [n["kind"] for n in await fetch("SELECT kind FROM notification ORDER BY id")]
    assert kinds == ["shop.document_expiring", "shop.document_lapsed"]


async def test_uploading_a_renewed_document_ends_rectification(client):
    shop = await make_shop()
    await _document(shop.id, date.today() - timedelta(days=1))
    await sweep_documents()
    assert (await fetchrow("SELECT rectification_since FROM shop WHERE id = {}", shop.id))["rectification_since"]

    await login(client, shop.owner)
    page = await client.get("/seller/qualifications/")
    assert page.status_code == 200 and ("rectification" in page.text.lower() or "整改" in page.text)
    r = await post_form(
        client,
        "/seller/qualifications/",
        {"kind": "licence", "expires_on": (date.today() + timedelta(days=700)).isoformat()},
        files={"file": ("new.pdf", PDF, "application/pdf")},
    )
    assert r.status_code == 303, r.text[:1000]
    assert (await fetchrow("SELECT rectification_since FROM shop WHERE id = {}", shop.id))[
        "rectification_since"
    ] is None
    current = await fetch("SELECT kind FROM application_document WHERE shop = {} AND superseded_at IS NULL", shop.id)
    assert [c["kind"] for c in current] == ["licence"]
    assert "shop.document_renew" in await audit_actions("shop", shop.id)
    await sweep_documents()  # nothing lapsed any more: it stays cleared
    assert (await fetchrow("SELECT rectification_since FROM shop WHERE id = {}", shop.id))[
        "rectification_since"
    ] is None


async def test_suspending_a_shop_hides_its_products_and_reopening_shows_them(client, new_client):
    shop = await make_shop()
    product = await make_product(shop=shop, title="暂停测试商品")
    async with new_client() as shopper:
        assert (await shopper.get(f"/p/{product}")).status_code == 200
    await login(client, await make_user(roles=("operations",)))
    listing = await client.get("/admin/shops/", params={"q": shop.name})
    assert shop.name in listing.text
    r = await post_form(client, f"/admin/shops/{shop.id}/status", {"action": "suspend", "reason": ""})
    assert r.status_code == 422  # a reason is required
    r = await post_form(client, f"/admin/shops/{shop.id}/status", {"action": "suspend", "reason": "虚假宣传"})
    assert r.status_code == 303
    row = await fetchrow("SELECT status, status_reason FROM shop WHERE id = {}", shop.id)
    assert dict(row) == {"status": "suspended", "status_reason": "虚假宣传"}
    async with new_client() as shopper:
        assert (await shopper.get(f"/p/{product}")).status_code == 404
        found = await shopper.get("/search", params={"q": "暂停测试商品"})
        assert f'href="/p/{product}"' not in found.text
    suspended = await client.get("/admin/shops/", params={"status": "suspended"})
    assert shop.name in suspended.text

    r = await post_form(client, f"/admin/shops/{shop.id}/status", {"action": "reopen"})
    assert r.status_code == 303
    async with new_client() as shopper:
        assert (await shopper.get(f"/p/{product}")).status_code == 200
    r = await post_form(client, f"/admin/shops/{shop.id}/status", {"action": "close", "reason": "清退"})
    assert r.status_code == 303
    assert await audit_actions("shop", shop.id) == ["shop.create", "shop.suspend", "shop.reopen", "shop.close"]
    kinds = [
        r["kind"] for r in await fetch('SELECT kind FROM notification WHERE "user" = {} ORDER BY id', shop.owner.id)
    ]
    assert kinds == ["shop.suspend", "shop.reopen", "shop.close"]


async def test_notifications_page_lists_marks_and_opens(client, new_client):
    user = await make_user()
    first = await notify(user_id=user.id, kind="test", title="Payment recorded", link="/seller/apply/status")
    await notify(
        user_id=user.id,
        kind="test",
        title="Your shop is open",
        body="%(shop)s is open: welcome to the Seller Center.",
        params={"shop": "小店"},
        link="/seller/",
    )
    other = await make_user()
    theirs = await notify(user_id=other.id, kind="test", title="Payment recorded", link="/x")

    assert (await client.get("/me/notifications/")).status_code in (302, 303)  # login first
    await login(client, user)
    page = await client.get("/me/notifications/", headers={"accept-language": "en"})
    assert page.status_code == 200
    assert page.text.count("note--unread") == 2 and "小店 is open" in page.text
    r = await client.get(f"/me/notifications/{first}")
    assert r.status_code == 303 and r.headers["location"] == "/seller/apply/status"
    page = await client.get("/me/notifications/")
    assert page.text.count("note--unread") == 1
    # someone else's notification: not followed, not marked
    r = await client.get(f"/me/notifications/{theirs}")
    assert r.headers["location"] == "/me/notifications/"
    assert (await fetchrow("SELECT read_at FROM notification WHERE id = {}", theirs))["read_at"] is None
    r = await post_form(client, "/me/notifications/read-all")
    assert r.status_code == 303
    page = await client.get("/me/notifications/")
    assert "note--unread" not in page.text
