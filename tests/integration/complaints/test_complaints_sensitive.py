"""Complaints and the sensitive-word filter (decision 0020): never refused nor masked — a buyer must be able to
write 假货 about fake goods — but the words found are shown to the handler in the queue and on the complaint."""

from __future__ import annotations

import httpx
import pytest

from app.core.db import fetch, fetchrow
from app.moderation.sensitive import forget_words
from tests.factories import login, make_shop, make_user


@pytest.fixture(autouse=True)
def _forget_words():  # type: ignore[no-untyped-def]
    """The word list is cached per process: the tests after these must not see their words."""
    yield
    forget_words()


async def test_a_complaint_with_listed_words_is_filed_whole_and_flagged_for_the_handler(
    client: httpx.AsyncClient,
) -> None:
    await fetch(
        "INSERT INTO sensitive_word (word, level) VALUES ('假货', 'block'), ('高仿', 'block'), ('第一', 'flag')"
    )
    forget_words()
    client.headers["Accept-Language"] = "en"
    shop = await make_shop()
    await login(client, await make_user())
    await client.get("/login")
    text = "收到的是假货，明显是高仿，客服还说自己是第一品牌。"
    response = await client.post(
        "/complaints/new",
        data={"_csrf_token": client.cookies["csrftoken"], "shop": str(shop.id), "category": "fake", "text": text},
    )
    assert response.status_code == 303
    row = await fetchrow("SELECT id, text, flagged_words FROM complaint ORDER BY id DESC LIMIT 1")
    assert row["text"] == text  # nothing masked
    assert row["flagged_words"] in ('["假货", "高仿", "第一"]', ["假货", "高仿", "第一"])
    client.cookies.clear()
    await login(client, await make_user(roles=("moderator",)))
    queue = await client.get("/admin/complaints/")
    assert "Flagged" in queue.text
    detail = await client.get(f"/admin/complaints/{row['id']}")
    assert "Contains listed words: 假货、高仿、第一" in detail.text and text in detail.text


async def test_a_clean_complaint_is_not_flagged(client: httpx.AsyncClient) -> None:
    shop = await make_shop()
    await login(client, await make_user())
    await client.get("/login")
    text = "快递三天没有更新，客服一直不回复消息。"
    response = await client.post(
        "/complaints/new",
        data={"_csrf_token": client.cookies["csrftoken"], "shop": str(shop.id), "category": "delivery", "text": text},
    )
    assert response.status_code == 303
    row = await fetchrow("SELECT flagged_words FROM complaint ORDER BY id DESC LIMIT 1")
    assert row["flagged_words"] in ("[]", [])
