"""Platform staff (/admin/staff/): admins only; give a role by email or mobile number, remove one; never the last
administrator; audited."""

from __future__ import annotations

import asyncio

from app.accounts.services import set_platform_roles
from app.core.db import fetch
from app.core.errors import ValidationFailed
from app.core.principal import Actor
from app.operations import staff
from tests.factories import login, make_user, new_phone, post_form


async def test_only_admins_manage_staff(client) -> None:  # type: ignore[no-untyped-def]
    anonymous = await client.get("/admin/staff/")
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["location"]
    await login(client, await make_user(roles=("moderator",)))
    assert (await client.get("/admin/staff/")).status_code == 403
    other = await make_user()
    assert (
        await post_form(client, "/admin/staff/add", {"identifier": other.identifier, "role": "admin"})
    ).status_code == 403
    assert await fetch('SELECT * FROM platform_role WHERE "user" = {}', other.id) == []


async def test_give_and_remove_a_role_with_the_roles_explained(client) -> None:  # type: ignore[no-untyped-def]
    admin = await make_user(roles=("admin",), name="老板")
    phone = new_phone()
    clerk = await make_user(phone=phone, name="小王")
    await login(client, admin)
    page = await client.get("/admin/staff/", headers={"Accept-Language": "en"})
    assert "Settlement statements, payouts" in page.text and "老板" in page.text and "小王" not in page.text

    done = await post_form(client, "/admin/staff/add", {"identifier": f"{phone[:3]} {phone[3:]}", "role": "finance"})
    assert done.status_code == 303
    page = await client.get("/admin/staff/")
    assert f'id="staff-{clerk.id}"' in page.text
    roles = await fetch('SELECT role FROM platform_role WHERE "user" = {}', clerk.id)
    assert [r["role"] for r in roles] == ["finance"]

    await post_form(client, f"/admin/staff/{clerk.id}/remove", {"role": "finance"})
    assert await fetch('SELECT role FROM platform_role WHERE "user" = {}', clerk.id) == []
    audit = await fetch(
        "SELECT actor, before, after FROM audit_log WHERE action = 'user.roles' AND target_id = {} ORDER BY id",
        str(clerk.id),
    )
    assert [a["actor"] for a in audit] == [admin.id, admin.id]
    assert '"finance"' in audit[0]["after"] and '"finance"' in audit[1]["before"]


async def test_bad_input_gets_a_message_and_keeps_what_was_typed(client) -> None:  # type: ignore[no-untyped-def]
    await login(client, await make_user(roles=("admin",)))
    en = {"Accept-Language": "en"}
    unknown = await post_form(
        client, "/admin/staff/add", {"identifier": "nobody@example.com", "role": "finance"}, headers=en
    )
    assert unknown.status_code == 422
    assert (
        "No account uses this email or mobile number" in unknown.text and 'value="nobody@example.com"' in unknown.text
    )
    bad_role = await post_form(client, "/admin/staff/add", {"identifier": "x@example.com", "role": "owner"}, headers=en)
    assert bad_role.status_code == 422 and "Choose a role from the list." in bad_role.text
    mod = await make_user(roles=("moderator",))
    twice = await post_form(client, "/admin/staff/add", {"identifier": mod.identifier, "role": "moderator"}, headers=en)
    assert twice.status_code == 422 and "already has this role" in twice.text


async def test_the_last_administrator_cannot_be_removed_even_by_two_admins_at_once(client) -> None:  # type: ignore[no-untyped-def]
    a = await make_user(roles=("admin",))
    b = await make_user(roles=("admin",))
    results = await asyncio.gather(
        staff.remove_role(actor=Actor(user_id=a.id, ip=None, label="a"), user_id=b.id, role="admin"),
        staff.remove_role(actor=Actor(user_id=b.id, ip=None, label="b"), user_id=a.id, role="admin"),
        return_exceptions=True,
    )
    assert sum(1 for r in results if isinstance(r, ValidationFailed)) == 1
    admins = await fetch("SELECT \"user\" FROM platform_role WHERE role = 'admin'")
    assert len(admins) == 1
    last = next(u for u in (a, b) if u.id == admins[0]["user"])

    await login(client, last)
    refused = await post_form(
        client, f"/admin/staff/{last.id}/remove", {"role": "admin"}, headers={"Accept-Language": "en"}
    )
    assert refused.status_code == 422 and "at least one administrator" in refused.text
    assert len(await fetch("SELECT id FROM platform_role WHERE role = 'admin'")) == 1
    missing = await post_form(client, f"/admin/staff/{last.id}/remove", {"role": "finance"})
    assert missing.status_code == 404


async def test_the_users_page_roles_form_cannot_remove_the_last_administrator_either() -> None:
    a = await make_user(roles=("admin",))
    b = await make_user(roles=("admin",))
    results = await asyncio.gather(
        set_platform_roles(actor=Actor(user_id=a.id, ip=None, label="a"), user_id=b.id, roles=[]),
        set_platform_roles(actor=Actor(user_id=b.id, ip=None, label="b"), user_id=a.id, roles=["finance"]),
        return_exceptions=True,
    )
    assert sum(1 for r in results if isinstance(r, ValidationFailed)) == 1
    assert len(await fetch("SELECT id FROM platform_role WHERE role = 'admin'")) == 1
