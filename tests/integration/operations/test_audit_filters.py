"""Audit log filters (/admin/audit/): actor (id or name), action, target type and id, date range, paginated; the
CSV export keeps the filters, starts with a UTF-8 BOM and guards against spreadsheet formulas."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

from app.core import clock
from app.core.db import fetch
from app.core.principal import Actor
from app.moderation import services
from app.moderation.services import list_audit, record_audit
from tests.factories import login, make_user


async def _entries(admin_id: int) -> None:
    boss = Actor(user_id=admin_id, ip="10.0.0.1", label="Boss <boss@example.com>")
    other = Actor(user_id=None, ip=None, label='=HYPERLINK("http://evil")')
    await record_audit(
        actor=boss, action="setting.update", target_type="setting", target_id="orders.x", after={"value": 1}
    )
    await record_audit(actor=boss, action="user.ban", target_type="user", target_id=7, after={"reason": "-spam"})
    await record_audit(actor=other, action="user.ban", target_type="user", target_id=8, after={"reason": "x"})


async def test_filters_by_actor_action_target_and_dates() -> None:
    admin = await make_user()
    await _entries(admin.id)
    assert [r["target_id"] for r in (await list_audit(target_type="user")).rows] == ["8", "7"]
    assert [r["target_id"] for r in (await list_audit(target_type="user", target_id="7")).rows] == ["7"]
    assert len((await list_audit(actor=str(admin.id))).rows) == 2
    assert len((await list_audit(actor="boss")).rows) == 2
    assert [r["target_id"] for r in (await list_audit(action="user.ban", actor="boss")).rows] == ["7"]
    today = clock.now().date()
    assert len((await list_audit(day_from=today - timedelta(days=1), day_to=today + timedelta(days=1))).rows) == 3
    assert (await list_audit(day_to=today - timedelta(days=2))).rows == []


async def test_pages_of_fifty(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.setattr(services, "PAGE_SIZE", 2)
    admin = await make_user()
    await _entries(admin.id)
    first, second = await list_audit(page=1), await list_audit(page=2)
    assert first.has_next and not second.has_next
    assert [r["target_id"] for r in first.rows + second.rows] == ["8", "7", "orders.x"]


async def test_the_page_and_the_csv_need_an_admin(client) -> None:  # type: ignore[no-untyped-def]
    anonymous = await client.get("/admin/audit/export.csv")
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["location"]
    await login(client, await make_user(roles=("operations",)))
    assert (await client.get("/admin/audit/")).status_code == 403
    assert (await client.get("/admin/audit/export.csv")).status_code == 403


async def test_the_csv_keeps_the_filters_and_is_safe_to_open(client) -> None:  # type: ignore[no-untyped-def]
    admin = await make_user(roles=("admin",))
    await _entries(admin.id)
    await login(client, admin)
    page = await client.get("/admin/audit/", params={"target_type": "user", "target_id": "7"})
    assert page.status_code == 200 and 'value="7"' in page.text
    assert "export.csv?actor=&action=&target_type=user&target_id=7" in page.text

    response = await client.get("/admin/audit/export.csv", params={"action": "user.ban"})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/csv")
    assert "attachment" in response.headers["content-disposition"]
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:5] == ["id", "time", "actor_id", "actor", "action"]
    assert [r[6] for r in rows[1:]] == ["8", "7"]
    assert rows[1][3] == '\'=HYPERLINK("http://evil")'  # a formula is shown as text
    assert rows[2][2] == str(admin.id) and rows[2][8] == '{"reason": "-spam"}'
    assert len(await fetch("SELECT id FROM audit_log")) == 4  # with the admin's own user.roles entry
