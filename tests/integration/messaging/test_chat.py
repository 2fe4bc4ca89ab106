"""Buyer–seller conversations: starting one, both sides writing, unread counts, the shared inbox's
permissions, first-response time, photos and the polling fragment."""

from __future__ import annotations

import io
import re
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from PIL import Image

from app.core import clock
from app.core.db import fetchrow
from tests.factories import login, make_product, make_shop, make_user, post_form
from tests.order_factories import make_order_group

THREAD = re.compile(r"/me/messages/(\d+)$")


def png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "PNG")
    return out.getvalue()


async def _as(client: httpx.AsyncClient, user) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
    client.cookies.clear()
    await login(client, user)
    return client


async def _start(client: httpx.AsyncClient, query: str) -> int:
    response = await client.get(f"/messages/start?{query}")
    assert response.status_code == 303, response.text[:300]
    match = THREAD.search(response.headers["location"])
    assert match, response.headers["location"]
    return int(match.group(1))


async def _conv(cid: int) -> dict:  # type: ignore[type-arg]
    row = await fetchrow("SELECT * FROM conversation WHERE id = {}", cid)
    assert row is not None
    return row


async def test_start_from_product_shop_and_order_finds_one_conversation(client: httpx.AsyncClient) -> None:
    shop = await make_shop()
    product = await make_product(shop=shop, title="保温杯")
    buyer = await make_user()
    group = await make_order_group(buyer, [(product, 1)])
    await _as(client, buyer)

    from_product = await _start(client, f"product={product}")
    assert (await _conv(from_product))["product"] == product
    assert await _start(client, f"shop={shop.id}") == from_product
    from_order = await _start(client, f"order={group.order_ids[0]}")
    assert from_order == from_product
    conv = await _conv(from_order)
    assert conv["order"] == group.order_ids[0] and conv["buyer"] == buyer.id and conv["shop"] == shop.id

    page = await client.get(f"/me/messages/{from_order}")
    assert page.status_code == 200
    assert shop.name in page.text and "保温杯" in page.text


async def test_someone_elses_order_or_unknown_product_is_not_found(client: httpx.AsyncClient) -> None:
    product = await make_product()
    owner = await make_user()
    group = await make_order_group(owner, [(product, 1)])
    await _as(client, await make_user())
    assert (await client.get(f"/messages/start?order={group.order_ids[0]}")).status_code == 404
    assert (await client.get("/messages/start?product=999999")).status_code == 404
    assert (await client.get("/messages/start?shop=abc")).status_code == 404
    assert await fetchrow("SELECT 1 FROM conversation") is None


async def test_login_required(client: httpx.AsyncClient) -> None:
    shop = await make_shop()
    response = await client.get(f"/messages/start?shop={shop.id}")
    assert response.status_code in (302, 303, 401)
    assert (await client.get("/me/messages/")).status_code in (302, 303, 401)


async def test_both_sides_write_unread_counts_and_first_response(client: httpx.AsyncClient) -> None:
    service = await make_user(name="客服小王")
    shop = await make_shop(staff=((service, "service"),))
    buyer = await make_user(name="买家甲")
    start = datetime(2026, 11, 23, 8, 0, tzinfo=UTC)
    original = clock._now
    clock.use_clock(lambda: start)
    try:
        await _as(client, buyer)
        cid = await _start(client, f"shop={shop.id}")
        sent = await post_form(client, f"/me/messages/{cid}", {"text": "请问什么时候发货？"})
        assert sent.status_code == 303 and sent.headers["location"] == f"/me/messages/{cid}"
        await post_form(client, f"/me/messages/{cid}", {"text": "在吗"})
        conv = await _conv(cid)
        assert conv["shop_unread"] == 2 and conv["buyer_unread"] == 0 and conv["first_response_seconds"] is None

        clock.use_clock(lambda: start + timedelta(minutes=5))
        await _as(client, service)
        inbox = await client.get("/seller/messages/")
        assert inbox.status_code == 200 and "买家甲" in inbox.text and "在吗" in inbox.text
        assert "2 unread" in inbox.text or "2 条未读" in inbox.text
        thread = await client.get(f"/seller/messages/{cid}")
        assert "请问什么时候发货？" in thread.text
        assert (await _conv(cid))["shop_unread"] == 0  # marked read on open
        reply = await post_form(client, f"/seller/messages/{cid}", {"text": "今天下午发货"})
        assert reply.status_code == 303
        conv = await _conv(cid)
        assert conv["first_response_seconds"] == 300 and conv["buyer_unread"] == 1 and conv["waiting_since"] is None

        clock.use_clock(lambda: start + timedelta(hours=2))
        await _as(client, buyer)
        await post_form(client, f"/me/messages/{cid}", {"text": "谢谢"})
        await _as(client, service)
        await post_form(client, f"/seller/messages/{cid}", {"text": "不客气"})
        assert (await _conv(cid))["first_response_seconds"] == 300  # recorded once
        inbox = await client.get("/seller/messages/")
        assert "5 min" in inbox.text or "5 分钟" in inbox.text  # the shop's average first response

        await _as(client, buyer)
        listing = await client.get("/me/messages/")
        assert shop.name in listing.text and "不客气" in listing.text
        assert (await _conv(cid))["buyer_unread"] == 2
        thread = await client.get(f"/me/messages/{cid}")
        assert "今天下午发货" in thread.text and "不客气" in thread.text
        assert (await _conv(cid))["buyer_unread"] == 0
    finally:
        clock.use_clock(original)


async def test_empty_and_too_long_messages_are_refused_keeping_the_text(client: httpx.AsyncClient) -> None:
    client.headers["Accept-Language"] = "en"  # the messages below are checked in English
    shop = await make_shop()
    await _as(client, await make_user())
    cid = await _start(client, f"shop={shop.id}")
    empty = await post_form(client, f"/me/messages/{cid}", {"text": "   "})
    assert empty.status_code == 422 and "Write a message" in empty.text
    long_text = "长" * 1001
    too_long = await post_form(client, f"/me/messages/{cid}", {"text": long_text})
    assert too_long.status_code == 422 and long_text in too_long.text
    assert await fetchrow("SELECT 1 FROM chat_message") is None


async def test_other_shop_and_other_roles_cannot_read(client: httpx.AsyncClient) -> None:
    shop = await make_shop()
    warehouse = await make_user()
    other_shop = await make_shop()
    await add_warehouse(shop.id, warehouse)
    buyer = await make_user()
    await _as(client, buyer)
    cid = await _start(client, f"shop={shop.id}")
    await post_form(client, f"/me/messages/{cid}", {"text": "hello"})

    await _as(client, other_shop.owner)
    assert (await client.get(f"/seller/messages/{cid}")).status_code == 404
    assert (await post_form(client, f"/seller/messages/{cid}", {"text": "x"})).status_code == 404
    assert (await client.get(f"/seller/messages/{cid}/since?after=0")).status_code == 404
    assert "hello" not in (await client.get("/seller/messages/")).text

    await _as(client, warehouse)
    assert (await client.get("/seller/messages/")).status_code == 403
    assert (await client.get(f"/seller/messages/{cid}")).status_code == 403

    await _as(client, await make_user())  # another buyer
    assert (await client.get(f"/me/messages/{cid}")).status_code == 404
    assert (await post_form(client, f"/me/messages/{cid}", {"text": "x"})).status_code == 404

    await _as(client, shop.owner)
    assert "hello" in (await client.get(f"/seller/messages/{cid}")).text


async def add_warehouse(shop_id: int, user) -> None:  # type: ignore[no-untyped-def]
    from app.sellers.services import add_staff
    from tests.factories import SYSTEM

    await add_staff(actor=SYSTEM, shop_id=shop_id, user_id=user.id, role="warehouse")


async def test_photo_is_reencoded_and_a_non_image_is_refused(client: httpx.AsyncClient) -> None:
    client.headers["Accept-Language"] = "en"  # the messages below are checked in English
    shop = await make_shop()
    buyer = await make_user()
    await _as(client, buyer)
    cid = await _start(client, f"shop={shop.id}")
    token = client.cookies["csrftoken"]
    bad = await client.post(
        f"/me/messages/{cid}",
        data={"_csrf_token": token, "text": "看图"},
        files={"image": ("x.jpg", b"<?php echo 1; ?>" * 10, "image/jpeg")},
    )
    assert bad.status_code == 422 and "not a photo" in bad.text and "看图" in bad.text
    assert await fetchrow("SELECT 1 FROM chat_message") is None

    good = await client.post(
        f"/me/messages/{cid}", data={"_csrf_token": token}, files={"image": ("a.png", png(), "image/png")}
    )
    assert good.status_code == 303
    msg = await fetchrow("SELECT id, image_key, image_width FROM chat_message")
    assert msg is not None and msg["image_key"].endswith(".jpg") and msg["image_width"] == 40
    image = await client.get(f"/me/messages/{cid}/images/{msg['id']}")
    assert image.status_code == 200 and image.headers["content-type"] == "image/jpeg"
    assert image.content[:2] == b"\xff\xd8"

    await _as(client, shop.owner)
    assert (await client.get(f"/seller/messages/{cid}/images/{msg['id']}")).status_code == 200
    await _as(client, await make_user())
    assert (await client.get(f"/me/messages/{cid}/images/{msg['id']}")).status_code == 404


async def test_poll_returns_only_newer_messages_and_htmx_send(client: httpx.AsyncClient) -> None:
    client.headers["Accept-Language"] = "en"  # the messages below are checked in English
    shop = await make_shop()
    await _as(client, await make_user())
    cid = await _start(client, f"shop={shop.id}")
    await post_form(client, f"/me/messages/{cid}", {"text": "第一条"})
    first = await fetchrow("SELECT id FROM chat_message")
    assert first is not None
    sent = await post_form(client, f"/me/messages/{cid}", {"text": "第二条"}, headers={"HX-Request": "true"})
    assert sent.status_code == 200 and sent.headers.get("hx-trigger") == "chat-sent"
    assert 'id="chat-compose"' in sent.text and "第二条" not in sent.text  # a fresh, empty form
    second = await fetchrow("SELECT max(id) AS id FROM chat_message")
    assert second is not None

    poll = await client.get(f"/me/messages/{cid}/since?after={first['id']}", headers={"HX-Request": "true"})
    assert poll.status_code == 200
    assert "第二条" in poll.text and "第一条" not in poll.text
    assert f"since?after={second['id']}" in poll.text  # the next poller asks for what follows
    nothing = await client.get(f"/me/messages/{cid}/since?after={second['id']}")
    assert "chat-msg" not in nothing.text and f"since?after={second['id']}" in nothing.text

    error = await post_form(client, f"/me/messages/{cid}", {"text": ""}, headers={"HX-Request": "true"})
    assert error.status_code == 422 and 'id="chat-compose"' in error.text and "Write a message" in error.text


async def test_quick_replies_editable_and_sent_with_one_tap(client: httpx.AsyncClient) -> None:
    shop = await make_shop()
    buyer = await make_user()
    await _as(client, buyer)
    cid = await _start(client, f"shop={shop.id}")
    await post_form(client, f"/me/messages/{cid}", {"text": "有货吗"})

    await _as(client, shop.owner)
    assert (await post_form(client, "/seller/messages/quick-replies", {"text": "亲，有货的"})).status_code == 303
    empty = await post_form(client, "/seller/messages/quick-replies", {"text": ""})
    assert empty.status_code == 422
    reply = await fetchrow("SELECT id FROM chat_quick_reply")
    assert reply is not None
    edited = await post_form(client, f"/seller/messages/quick-replies/{reply['id']}", {"text": "亲，现货当天发"})
    assert edited.status_code == 303
    page = await client.get(f"/seller/messages/{cid}")
    assert "亲，现货当天发" in page.text
    assert (await post_form(client, f"/seller/messages/{cid}", {"quick": str(reply["id"])})).status_code == 303
    sent = await fetchrow("SELECT text, side FROM chat_message ORDER BY id DESC LIMIT 1")
    assert sent is not None and dict(sent) == {"text": "亲，现货当天发", "side": "shop"}

    other = await make_shop()
    await _as(client, other.owner)
    assert (await post_form(client, f"/seller/messages/quick-replies/{reply['id']}/delete")).status_code == 404


@pytest.mark.parametrize("query", ["", "product=&shop="])
async def test_start_without_target_is_not_found(client: httpx.AsyncClient, query: str) -> None:
    await _as(client, await make_user())
    assert (await client.get(f"/messages/start?{query}")).status_code == 404


async def test_concurrent_sends_count_every_message_and_unread_badges(client: httpx.AsyncClient, asgi) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    from app.messaging import chat

    shop = await make_shop()
    buyer = await make_user()
    cid = await chat.start_conversation(buyer_id=buyer.id, shop_id=shop.id)
    await asyncio.gather(
        *(chat.send_message(conversation_id=cid, sender_id=buyer.id, side="buyer", text=f"m{i}") for i in range(8))
    )
    assert (await _conv(cid))["shop_unread"] == 8

    await _as(client, shop.owner)
    badge = await client.get("/seller/messages/unread")
    assert badge.status_code == 200 and 'id="chat-unread"' in badge.text and ">8<" in badge.text
    await client.get(f"/seller/messages/{cid}")
    assert "chat-unread" not in (await client.get("/seller/messages/unread")).text

    await _as(client, buyer)
    assert "chat-unread" not in (await client.get("/me/messages/unread")).text
