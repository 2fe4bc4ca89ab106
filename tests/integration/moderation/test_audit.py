from datetime import date, timedelta

from app.accounts.tables import User
from app.moderation.services import list_audit
from app.moderation.tables import AuditLog
from tests.factories import login, make_user, post_form

EN = {"Accept-Language": "en"}


async def test_banning_a_user_is_audited_with_actor_before_after_and_ip(client):
    admin = await make_user(roles=("admin",), name="Boss")
    target = await make_user()
    await login(client, admin)
    r = await post_form(client, f"/admin/users/{target.id}/status", {"status": "banned", "reason": "spam"})
    assert r.status_code == 303
    assert (await User.select(User.status).where(User.id == target.id).first())["status"] == "banned"
    row = await AuditLog.select().where(AuditLog.action == "user.ban").first()
    assert row["actor"] == admin.id and row["target_id"] == str(target.id)
    assert row["before"] == '{"status": "active"}' and row["after"] == '{"reason": "spam", "status": "banned"}'
    assert row["ip"] == "127.0.0.1" and "Boss" in row["actor_label"]


async def test_admin_cannot_ban_themselves(client):
    admin = await make_user(roles=("admin",))
    await login(client, admin)
    r = await post_form(
        client,
        f"/admin/users/{admin.id}/status",
        {"status": "banned"},
        headers={**EN, "Referer": "http://testserver/admin/users/"},
    )
    assert r.status_code == 303
    page = await client.get("/admin/users/", headers=EN)
    assert "You cannot change the status of your own account." in page.text
    assert not await AuditLog.exists().where(AuditLog.action == "user.ban")


async def test_a_roles_change_is_audited_with_before_and_after(client):
    admin = await make_user(roles=("admin",))
    target = await make_user()
    await login(client, admin)
    await post_form(client, f"/admin/users/{target.id}/roles", {"roles": ["moderator", "finance"]})
    row = (
        await AuditLog.select()
        .where((AuditLog.action == "user.roles") & (AuditLog.target_id == str(target.id)))
        .first()
    )
    assert row["before"] == '{"roles": []}'
    assert row["after"] == '{"roles": ["finance", "moderator"]}'


async def test_audit_page_filters_by_actor_action_and_date(client):
    admin = await make_user(roles=("admin",), name="Auditor")
    a, b = await make_user(), await make_user()
    await login(client, admin)
    await post_form(client, f"/admin/users/{a.id}/status", {"status": "banned", "reason": "spam"})
    await post_form(client, f"/admin/users/{a.id}/status", {"status": "active", "reason": "appeal accepted"})
    await post_form(client, f"/admin/users/{b.id}/roles", {"roles": "moderator"})
    page = await list_audit(action="user.unban")
    assert [r["target_id"] for r in page.rows] == [str(a.id)]
    assert len((await list_audit(actor="auditor")).rows) == 3
    tomorrow = date.today() + timedelta(days=2)
    assert (await list_audit(day_from=tomorrow)).rows == []
    html = (await client.get("/admin/audit/?action=user.roles", headers=EN)).text
    assert "user.roles" in html and "user.unban</code>" not in html
