"""Users (/admin/users/): ban and unban need a reason (kept, shown, audited, sent to the user, sessions ended),
search by id, email, mobile or nickname, the detail page, and the admin-issued one-time password reset link."""

from __future__ import annotations

import re

from app.core.db import fetch, fetchrow
from app.membership import ledger
from tests.factories import login, make_product, make_user, post_form
from tests.order_factories import make_order_group

EN = {"Accept-Language": "en"}


async def test_users_pages_need_the_operations_role(client) -> None:  # type: ignore[no-untyped-def]
    target = await make_user()
    anonymous = await client.get(f"/admin/users/{target.id}")
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["location"]
    await login(client, await make_user(roles=("finance",)))
    assert (await client.get(f"/admin/users/{target.id}")).status_code == 403
    assert (await post_form(client, f"/admin/users/{target.id}/reset")).status_code == 403
    assert await fetch("SELECT id FROM password_reset") == []


async def test_a_ban_needs_a_reason_which_is_kept_shown_and_sent_and_signs_the_user_out(client, new_client) -> None:  # type: ignore[no-untyped-def]
    ops = await make_user(roles=("operations",))
    target = await make_user(name="捣乱者")
    async with new_client() as theirs:
        await login(theirs, target)
        await login(client, ops)
        page = f"/admin/users/{target.id}"
        refused = await post_form(
            client, f"{page}/status", {"status": "banned", "reason": "  ", "from": "detail"}, headers=EN
        )
        assert refused.status_code == 422 and "Give a reason" in refused.text
        assert (await fetchrow("SELECT status FROM app_user WHERE id = {}", target.id))["status"] == "active"
        too_long = "x" * 201
        refused = await post_form(
            client, f"{page}/status", {"status": "banned", "reason": too_long, "from": "detail"}, headers=EN
        )
        assert refused.status_code == 422 and f'value="{too_long}"' in refused.text

        done = await post_form(
            client, f"{page}/status", {"status": "banned", "reason": "刷单 spam", "back": page, "from": "detail"}
        )
        assert done.status_code == 303 and done.headers["location"] == page
        assert "Log in to see your orders" in (await theirs.get("/me", headers=EN)).text  # their session ended
    note = await fetchrow('SELECT kind, params FROM notification WHERE "user" = {}', target.id)
    assert note["kind"] == "account.banned" and "刷单 spam" in note["params"]
    audit = await fetchrow("SELECT actor, after FROM audit_log WHERE action = 'user.ban'")
    assert audit["actor"] == ops.id and '"reason": "刷单 spam"' in audit["after"]
    listing = await client.get("/admin/users/?status=banned", headers=EN)
    assert "刷单 spam" in listing.text
    detail = await client.get(page, headers=EN)
    assert "Banned: 刷单 spam" in detail.text and "Status history" in detail.text

    await post_form(client, f"{page}/status", {"status": "active", "reason": "appeal accepted", "back": page})
    detail = await client.get(page, headers=EN)
    assert "Unbanned" in detail.text and "Reason: appeal accepted" in detail.text and "Banned: " not in detail.text


async def test_search_by_id_email_mobile_or_nickname(client) -> None:  # type: ignore[no-untyped-def]
    await login(client, await make_user(roles=("operations",)))
    a = await make_user(name="Alice_1", email="alice@example.com")
    b = await make_user(name="Bob")
    for q, expected in ((str(b.id), b.id), (f"#{b.id}", b.id), ("ALICE@example", a.id), ("alice_", a.id)):
        page = await client.get("/admin/users/", params={"q": q})
        ids = {int(x) for x in re.findall(r'id="user-(\d+)"', page.text)}
        assert expected in ids, q
    page = await client.get("/admin/users/", params={"q": "bob"})
    assert {int(x) for x in re.findall(r'id="user-(\d+)"', page.text)} == {b.id}


async def test_the_detail_page_counts_orders_gmv_and_points(client) -> None:  # type: ignore[no-untyped-def]
    buyer = await make_user(name="Carol")
    product = await make_product(skus=[{"price_fen": 2500, "stock": 10}])
    await make_order_group(buyer, [(product, 2)], status="paid")
    await make_order_group(buyer, [(product, 1)])  # not paid: counted as an order, not in GMV
    await ledger.add_entry(user_id=buyer.id, delta=120, reason="checkin", ref="t1")
    await login(client, await make_user(roles=("operations",)))
    page = await client.get(f"/admin/users/{buyer.id}", headers=EN)
    assert page.status_code == 200
    stats = dict(re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", page.text))
    assert stats == {"Orders": "2", "Paid orders": "1", "GMV": "¥50.00", "Points": "120"}
    assert (await client.get("/admin/users/999999")).status_code == 404


async def test_a_reset_link_works_once_and_signs_the_user_out_everywhere(client, new_client) -> None:  # type: ignore[no-untyped-def]
    ops = await make_user(roles=("operations",))
    target = await make_user()
    await login(client, ops)
    issued = await post_form(client, f"/admin/users/{target.id}/reset", headers=EN)
    assert issued.status_code == 200 and issued.headers["cache-control"] == "no-store"
    link = re.search(r"<code>https?://[^<]+(/reset/[A-Za-z0-9_-]+)</code>", issued.text)
    assert link, issued.text[:2000]
    path = link.group(1)
    token = path.rsplit("/", 1)[1]
    stored = await fetchrow("SELECT token_hash, expires_at - created_at AS ttl FROM password_reset")
    assert token not in stored["token_hash"] and stored["ttl"].total_seconds() == 24 * 3600
    assert await fetchrow("SELECT id FROM notification WHERE kind = 'account.password_reset'")
    async with new_client() as theirs:
        await login(theirs, target)
        async with new_client() as anon:
            assert (await anon.get(path)).status_code == 200
            bad = await post_form(anon, path, {"new": "short", "confirm": "short"}, headers=EN)
            assert bad.status_code == 422 and "at least 8 characters" in bad.text
            mismatch = await post_form(anon, path, {"new": "brand-new-pass-1", "confirm": "other-pass-22"}, headers=EN)
            assert mismatch.status_code == 422 and "do not match" in mismatch.text
            ok = await post_form(anon, path, {"new": "brand-new-pass-1", "confirm": "brand-new-pass-1"})
            assert ok.status_code == 303 and ok.headers["location"] == "/login"
            again = await anon.get(path, headers=EN)
            assert again.status_code == 404 and "not valid any more" in again.text
            assert (
                await post_form(anon, path, {"new": "another-pass-77", "confirm": "another-pass-77"})
            ).status_code == 404
        assert "Log in to see your orders" in (await theirs.get("/me", headers=EN)).text
    async with new_client() as fresh:
        await login(fresh, target, password="brand-new-pass-1")
    actions = [
        r["action"]
        for r in await fetch("SELECT action FROM audit_log WHERE target_id = {} ORDER BY id", str(target.id))
    ]
    assert actions == ["user.password_reset_issued", "user.password_reset_done"]


async def test_a_new_link_voids_the_older_one(client) -> None:  # type: ignore[no-untyped-def]
    await login(client, await make_user(roles=("operations",)))
    target = await make_user()
    first = re.search(
        r"(/reset/[A-Za-z0-9_-]+)</code>", (await post_form(client, f"/admin/users/{target.id}/reset")).text
    )
    second = re.search(
        r"(/reset/[A-Za-z0-9_-]+)</code>", (await post_form(client, f"/admin/users/{target.id}/reset")).text
    )
    assert first and second
    assert (await client.get(first.group(1))).status_code == 404
    assert (await client.get(second.group(1))).status_code == 200


async def test_operations_staff_cannot_reset_an_administrators_password(client) -> None:  # type: ignore[no-untyped-def]
    admin = await make_user(roles=("admin",))
    await login(client, await make_user(roles=("operations",)))
    refused = await post_form(client, f"/admin/users/{admin.id}/reset", headers=EN)
    assert refused.status_code == 403 and "Only an administrator" in refused.text
    assert await fetch("SELECT id FROM password_reset") == []


async def test_operations_staff_cannot_ban_platform_staff(client) -> None:  # type: ignore[no-untyped-def]
    moderator = await make_user(roles=("moderator",))
    await login(client, await make_user(roles=("operations",)))
    refused = await post_form(
        client, f"/admin/users/{moderator.id}/status", {"status": "banned", "reason": "x"}, headers=EN
    )
    assert refused.status_code == 403 and "Only an administrator" in refused.text
    assert (await fetchrow("SELECT status FROM app_user WHERE id = {}", moderator.id))["status"] == "active"
