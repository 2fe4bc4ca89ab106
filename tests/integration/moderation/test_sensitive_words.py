"""The sensitive-word list: bulk add (duplicates skipped), level change, delete, search; audited; screen() sees
every change at once in this process."""

from __future__ import annotations

import pytest

from app.moderation.sensitive import forget_words, screen
from app.moderation.tables import AuditLog, SensitiveWord
from tests.factories import login, make_user, post_form

EN = {"Accept-Language": "en"}


@pytest.fixture(autouse=True)
def _fresh_words():  # type: ignore[no-untyped-def]
    forget_words()
    yield
    forget_words()


async def _words() -> dict[str, str]:
    return {r["word"]: r["level"] for r in await SensitiveWord.select(SensitiveWord.word, SensitiveWord.level)}


async def test_bulk_add_skips_duplicates_and_screen_sees_the_words(client):
    moderator = await make_user(roles=("moderator",))
    await login(client, moderator)
    assert (await screen("正品假货")).ok
    r = await post_form(
        client, "/admin/sensitive-words/", {"words": "假货\n 高仿 \n\n假货\n代开发票", "level": "block"}
    )
    assert r.status_code == 303
    assert await _words() == {"假货": "block", "高仿": "block", "代开发票": "block"}
    assert (await screen("正品假货")).blocked == ["假货"]
    r = await post_form(client, "/admin/sensitive-words/", {"words": "高仿\n最便宜", "level": "flag"}, headers=EN)
    page = await client.get(r.headers["location"], headers=EN)
    assert "1 added, 1 already on the list." in page.text
    assert (await _words())["高仿"] == "block"  # an existing word keeps its level
    assert (await screen("全网最便宜")).flagged == ["最便宜"]
    assert await AuditLog.count().where(AuditLog.action == "sensitive_word.add") == 4


async def test_an_empty_list_or_a_bad_level_is_refused_keeping_the_input(client):
    moderator = await make_user(roles=("moderator",))
    await login(client, moderator)
    r = await post_form(client, "/admin/sensitive-words/", {"words": " \n ", "level": "block"}, headers=EN)
    assert r.status_code == 422 and "Enter at least one word, one per line." in r.text
    r = await post_form(client, "/admin/sensitive-words/", {"words": "枪支", "level": "ban"}, headers=EN)
    assert r.status_code == 422 and "Choose block or flag." in r.text and ">枪支</textarea>" in r.text
    assert await _words() == {}


async def test_delete_and_level_change_are_audited_and_screen_sees_them(client):
    moderator = await make_user(roles=("admin",))
    await login(client, moderator)
    await post_form(client, "/admin/sensitive-words/", {"words": "枪支\n第一", "level": "block"})
    ids = {r["word"]: r["id"] for r in await SensitiveWord.select(SensitiveWord.id, SensitiveWord.word)}
    assert (await screen("销量第一")).blocked == ["第一"]
    r = await post_form(client, f"/admin/sensitive-words/{ids['第一']}/level", {"level": "flag"})
    assert r.status_code == 303
    found = await screen("销量第一")
    assert found.ok and found.flagged == ["第一"]
    r = await post_form(
        client, f"/admin/sensitive-words/{ids['枪支']}/delete", {"back": "/admin/sensitive-words/?q=枪"}
    )
    assert r.status_code == 303 and r.headers["location"] == "/admin/sensitive-words/?q=%E6%9E%AA"
    assert (await screen("枪支")).ok
    assert await _words() == {"第一": "flag"}
    actions = [r["action"] for r in await AuditLog.select(AuditLog.action).order_by(AuditLog.id)]
    assert actions[-2:] == ["sensitive_word.level", "sensitive_word.delete"]
    assert (await post_form(client, f"/admin/sensitive-words/{ids['枪支']}/delete")).status_code == 404


async def test_the_list_searches_and_filters_by_level(client):
    moderator = await make_user(roles=("moderator",))
    await login(client, moderator)
    await post_form(client, "/admin/sensitive-words/", {"words": "假货\n假一赔十", "level": "block"})
    await post_form(client, "/admin/sensitive-words/", {"words": "最便宜", "level": "flag"})
    page = await client.get("/admin/sensitive-words/?q=假", headers=EN)
    assert "假货" in page.text and "假一赔十" in page.text and "最便宜" not in page.text and "2 words" in page.text
    page = await client.get("/admin/sensitive-words/?level=flag", headers=EN)
    assert "最便宜" in page.text and "假货" not in page.text
