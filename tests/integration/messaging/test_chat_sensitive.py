"""The sensitive-word filter in chat (decision 0020): "flag" words are masked and the message is sent, "block"
words refuse it with the text kept; quick replies are screened the same way."""

from __future__ import annotations

import httpx
import pytest

from app.core.db import fetch
from app.messaging import chat
from app.moderation.sensitive import forget_words
from tests.factories import login, make_shop, make_user, post_form


@pytest.fixture(autouse=True)
def _forget_words():  # type: ignore[no-untyped-def]
    """The word list is cached per process: the tests after these must not see their words."""
    yield
    forget_words()


async def _words() -> None:
    await fetch(
        "INSERT INTO sensitive_word (word, level) VALUES ('代开发票', 'block'), ('最便宜', 'flag'), ('WeChat', 'flag')"
    )
    forget_words()


async def test_flag_words_are_masked_and_block_words_refuse_the_message(client: httpx.AsyncClient) -> None:
    await _words()
    client.headers["Accept-Language"] = "en"
    shop = await make_shop()
    await login(client, await make_user())
    start = await client.get(f"/messages/start?shop={shop.id}")
    cid = int(start.headers["location"].rstrip("/").rsplit("/", 1)[1])
    sent = await post_form(client, f"/me/messages/{cid}", {"text": "这是全网最便宜的吗？加个wechat聊"})
    assert sent.status_code == 303
    refused = await post_form(client, f"/me/messages/{cid}", {"text": "能代开发票吗"})
    assert refused.status_code == 422 and "能代开发票吗" in refused.text
    assert "cannot be sent: it contains 代开发票" in refused.text and "file a complaint" in refused.text
    rows = await fetch("SELECT text FROM chat_message WHERE conversation = {} ORDER BY id", cid)
    assert [r["text"] for r in rows] == ["这是全网***的吗？加个***聊"]


async def test_quick_replies_with_a_block_word_are_refused() -> None:
    await _words()
    shop = await make_shop()
    try:
        await chat.add_quick_reply(shop_id=shop.id, text="本店可代开发票")
    except chat.ChatError as exc:
        assert exc.field == "text" and exc.params["words"] == "代开发票"
    else:
        raise AssertionError("a quick reply with a block word was saved")
    reply = await chat.add_quick_reply(shop_id=shop.id, text="全场最便宜")
    assert [q["text"] for q in await chat.quick_replies(shop_id=shop.id) if q["id"] == reply] == ["全场***"]
