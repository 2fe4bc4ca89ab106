"""Buyer–seller conversations (联系客服): one thread per buyer and shop, started from a product, an order or
the shop page; text and photos; unread counts per side; the shop's service staff share its inbox; the shop's
first-response time is recorded once per conversation. Every read is filtered by the buyer's or the shop's id,
so someone else's conversation is simply not found."""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.catalog.images import ImageRejected, process
from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.core.errors import DomainError, NotFound
from app.core.i18n import N_
from app.moderation.sensitive import mask, screen
from app.onboarding.documents import private_storage

MAX_TEXT = 1000
MAX_IMAGE_BYTES = 5 * 1024 * 1024
MAX_QUICK_REPLIES = 10
MAX_QUICK_REPLY = 500
PAGE = 200  # messages shown when a thread opens

CONVERSATION_NOT_FOUND = N_("This conversation does not exist.")
SHOP_NOT_FOUND = N_("This shop does not exist.")
PRODUCT_NOT_FOUND = N_("This product does not exist.")
ORDER_NOT_FOUND = N_("This order does not exist.")
EMPTY = N_("Write a message or choose a photo.")
TOO_LONG = N_("A message has at most %(max)s characters.")
NOT_AN_IMAGE = N_("This file is not a photo we can read. Use a JPEG, PNG or WebP image.")
IMAGE_TOO_LARGE = N_("The photo is larger than %(mb)s MB.")
OWN_SHOP = N_("You cannot start a conversation with your own shop.")
BLOCKED_WORDS = N_(
    "This message cannot be sent: it contains %(words)s, which is not allowed on the platform. "
    "To report fake goods or fraud, file a complaint to the platform."
)
QUICK_EMPTY = N_("Write the reply's text.")
QUICK_TOO_LONG = N_("A quick reply has at most %(max)s characters.")
QUICK_TOO_MANY = N_("A shop has at most %(max)s quick replies.")


class ChatError(DomainError):
    code = "chat_error"


@dataclass(frozen=True, slots=True)
class ConversationView:
    id: int
    shop_id: int
    shop_name: str
    buyer_id: int
    buyer_name: str
    product_id: int | None
    product_title: str
    order_id: int | None
    order_no: str
    last_message_at: datetime | None
    last_text: str
    buyer_unread: int
    shop_unread: int
    first_response_seconds: int | None
    waiting_since: datetime | None


@dataclass(frozen=True, slots=True)
class MessageView:
    id: int
    side: str
    sender_id: int
    sender_name: str
    text: str
    has_image: bool
    image_width: int | None
    image_height: int | None
    created_at: datetime


_CONV_SQL = (
    "SELECT c.id, c.shop AS shop_id, s.name AS shop_name, c.buyer AS buyer_id, "
    "COALESCE(NULLIF(u.display_name, ''), '#' || u.id::text) AS buyer_name, c.product AS product_id, "
    "COALESCE(p.title, '') AS product_title, c.order AS order_id, COALESCE(o.no, '') AS order_no, "
    "c.last_message_at, c.buyer_unread, c.shop_unread, c.first_response_seconds, c.waiting_since, "
    "COALESCE((SELECT CASE WHEN m.text <> '' THEN m.text ELSE '[image]' END FROM chat_message m "
    "WHERE m.conversation = c.id ORDER BY m.id DESC LIMIT 1), '') AS last_text "
    "FROM conversation c JOIN shop s ON s.id = c.shop JOIN app_user u ON u.id = c.buyer "
    "LEFT JOIN product p ON p.id = c.product LEFT JOIN shop_order o ON o.id = c.order "
)


def _conv(row: dict[str, Any]) -> ConversationView:
    return ConversationView(**row)


# ---------------------------------------------------------------- starting
async def start_conversation(
    *, buyer_id: int, shop_id: int | None = None, product_id: int | None = None, order_id: int | None = None
) -> int:
    """Find or create the buyer's conversation with the shop of the product, order or shop given; the
    product or order becomes its context. Someone else's order, or an unknown product or shop: NotFound."""
    if order_id is not None:
        row = await fetchrow("SELECT shop FROM shop_order WHERE id = {} AND buyer = {}", order_id, buyer_id)
        if row is None:
            raise NotFound(ORDER_NOT_FOUND)
        shop_id = int(row["shop"])
    elif product_id is not None:
        row = await fetchrow("SELECT shop FROM product WHERE id = {} AND status IN ('active', 'delisted')", product_id)
        if row is None:
            raise NotFound(PRODUCT_NOT_FOUND)
        shop_id = int(row["shop"])
    if shop_id is None or await fetchrow("SELECT 1 FROM shop WHERE id = {} AND status <> 'closed'", shop_id) is None:
        raise NotFound(SHOP_NOT_FOUND)
    if await fetchrow('SELECT 1 FROM shop_staff WHERE shop = {} AND "user" = {}', shop_id, buyer_id) is not None:
        raise ChatError(OWN_SHOP)
    row = await fetchrow(
        'INSERT INTO conversation (shop, buyer, product, "order", buyer_unread, shop_unread, created_at) '
        "VALUES ({}, {}, {}, {}, 0, 0, {}) ON CONFLICT (shop, buyer) DO UPDATE SET "
        "product = COALESCE(EXCLUDED.product, conversation.product), "
        '"order" = CASE WHEN EXCLUDED.product IS NOT NULL OR EXCLUDED."order" IS NOT NULL '
        'THEN EXCLUDED."order" ELSE conversation."order" END '
        "RETURNING id",
        shop_id,
        buyer_id,
        product_id,
        order_id,
        clock.now(),
    )
    assert row is not None
    return int(row["id"])


# ---------------------------------------------------------------- reading
async def buyer_conversations(*, buyer_id: int) -> list[ConversationView]:
    rows = await fetch(_CONV_SQL + "WHERE c.buyer = {} ORDER BY c.last_message_at DESC NULLS LAST, c.id DESC", buyer_id)
    return [_conv(r) for r in rows]


async def shop_conversations(*, shop_id: int, limit: int = 200) -> list[ConversationView]:
    rows = await fetch(
        _CONV_SQL + "WHERE c.shop = {} AND c.last_message_at IS NOT NULL "
        "ORDER BY c.shop_unread > 0 DESC, c.last_message_at DESC, c.id DESC LIMIT {}",
        shop_id,
        limit,
    )
    return [_conv(r) for r in rows]


async def buyer_conversation(*, buyer_id: int, conversation_id: int) -> ConversationView:
    row = await fetchrow(_CONV_SQL + "WHERE c.id = {} AND c.buyer = {}", conversation_id, buyer_id)
    if row is None:
        raise NotFound(CONVERSATION_NOT_FOUND)
    return _conv(row)


async def shop_conversation(*, shop_id: int, conversation_id: int) -> ConversationView:
    row = await fetchrow(_CONV_SQL + "WHERE c.id = {} AND c.shop = {}", conversation_id, shop_id)
    if row is None:
        raise NotFound(CONVERSATION_NOT_FOUND)
    return _conv(row)


async def messages(*, conversation_id: int, after_id: int = 0, limit: int = PAGE) -> list[MessageView]:
    """The thread's messages, oldest first: the last `limit` ones, or those newer than after_id."""
    rows = await fetch(
        "SELECT * FROM (SELECT m.id, m.side, m.sender AS sender_id, "
        "COALESCE(NULLIF(u.display_name, ''), '#' || u.id::text) AS sender_name, m.text, "
        "m.image_key IS NOT NULL AS has_image, m.image_width, m.image_height, m.created_at "
        "FROM chat_message m JOIN app_user u ON u.id = m.sender WHERE m.conversation = {} AND m.id > {} "
        "ORDER BY m.id DESC LIMIT {}) t ORDER BY id",
        conversation_id,
        after_id,
        limit,
    )
    return [MessageView(**r) for r in rows]


async def message_image(*, conversation_id: int, message_id: int) -> bytes:
    """The photo of a message of a conversation the caller already proved access to."""
    row = await fetchrow(
        "SELECT image_key FROM chat_message WHERE id = {} AND conversation = {} AND image_key IS NOT NULL",
        message_id,
        conversation_id,
    )
    data = await private_storage().get(row["image_key"]) if row else None
    if data is None:
        raise NotFound(CONVERSATION_NOT_FOUND)
    return data


async def buyer_unread_total(*, buyer_id: int) -> int:
    row = await fetchrow("SELECT COALESCE(sum(buyer_unread), 0) AS n FROM conversation WHERE buyer = {}", buyer_id)
    return int(row["n"]) if row else 0


async def shop_unread_total(*, shop_id: int) -> int:
    row = await fetchrow("SELECT COALESCE(sum(shop_unread), 0) AS n FROM conversation WHERE shop = {}", shop_id)
    return int(row["n"]) if row else 0


async def average_first_response(*, shop_id: int, days: int = 30) -> int | None:
    """The shop's mean first-response time in seconds over conversations answered in the last `days` days."""
    row = await fetchrow(
        "SELECT avg(first_response_seconds)::int AS s FROM conversation WHERE shop = {} "
        "AND first_response_seconds IS NOT NULL AND last_message_at >= {}",
        shop_id,
        clock.now() - timedelta(days=days),
    )
    return row["s"] if row and row["s"] is not None else None


async def mark_read(*, conversation_id: int, side: str) -> None:
    """The reader's side has seen everything: its unread count goes to zero."""
    if side == "buyer":
        await fetch("UPDATE conversation SET buyer_unread = 0 WHERE id = {} AND buyer_unread <> 0", conversation_id)
    else:
        await fetch("UPDATE conversation SET shop_unread = 0 WHERE id = {} AND shop_unread <> 0", conversation_id)


# ---------------------------------------------------------------- sending
def _check_image(data: bytes) -> tuple[bytes, int, int]:
    """Decode and re-encode (no uploaded bytes are ever stored): the largest JPEG variant."""
    if len(data) > MAX_IMAGE_BYTES:
        raise ChatError(IMAGE_TOO_LARGE, field="image", mb=MAX_IMAGE_BYTES // (1024 * 1024))
    try:
        processed = process(data)
    except ImageRejected:
        raise ChatError(NOT_AN_IMAGE, field="image") from None
    largest = processed.largest
    height = round(processed.height * largest / processed.width) if processed.width else processed.height
    return processed.variants[f"{largest}.jpg"], largest, max(1, height)


async def send_message(
    *, conversation_id: int, sender_id: int, side: str, text: str = "", image: bytes | None = None
) -> int:
    """Post a message (the caller checked the sender may write in this conversation, on this side). The other
    side's unread count goes up; the shop's first reply after the buyer's first unanswered message records
    the first-response time (once per conversation)."""
    if side not in ("buyer", "shop"):
        raise ValueError(side)
    text = (text or "").strip()
    if len(text) > MAX_TEXT:
        raise ChatError(TOO_LONG, field="text", max=MAX_TEXT)
    if not text and not image:
        raise ChatError(EMPTY, field="text")
    text = await _screened(text)
    key, width, height = None, None, None
    if image:
        blob, width, height = await asyncio.to_thread(_check_image, image)
        key = f"private/chat/{secrets.token_hex(16)}.jpg"
        await private_storage().put(key, blob, "image/jpeg")
    now = clock.now()
    async with engine().transaction():
        conv = await fetchrow(
            "SELECT id, waiting_since, first_response_seconds FROM conversation WHERE id = {} FOR UPDATE",
            conversation_id,
        )
        if conv is None:
            raise NotFound(CONVERSATION_NOT_FOUND)
        row = await fetchrow(
            "INSERT INTO chat_message (conversation, sender, side, text, image_key, image_width, image_height, "
            "created_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}) RETURNING id",
            conversation_id,
            sender_id,
            side,
            text,
            key,
            width,
            height,
            now,
        )
        assert row is not None
        if side == "buyer":
            await fetch(
                "UPDATE conversation SET shop_unread = shop_unread + 1, last_message_at = {}, "
                "waiting_since = COALESCE(waiting_since, {}) WHERE id = {}",
                now,
                now,
                conversation_id,
            )
        else:
            first = conv["first_response_seconds"]
            if first is None and conv["waiting_since"] is not None:
                first = max(0, int((now - conv["waiting_since"]).total_seconds()))
            await fetch(
                "UPDATE conversation SET buyer_unread = buyer_unread + 1, last_message_at = {}, "
                "waiting_since = NULL, first_response_seconds = {} WHERE id = {}",
                now,
                first,
                conversation_id,
            )
    return int(row["id"])


async def _screened(text: str, field: str = "text") -> str:
    """The sensitive-word filter for chat (decision 0020): a "block" word refuses the message, "flag" words are
    masked (***) and the message is sent."""
    if not text:
        return text
    found = await screen(text)
    if found.blocked:
        raise ChatError(BLOCKED_WORDS, field=field, words="、".join(found.blocked))
    return mask(text, found.flagged) if found.flagged else text


# ---------------------------------------------------------------- quick replies
async def quick_replies(*, shop_id: int) -> list[dict[str, Any]]:
    return await fetch("SELECT id, text FROM chat_quick_reply WHERE shop = {} ORDER BY position, id", shop_id)


async def add_quick_reply(*, shop_id: int, text: str) -> int:
    text = (text or "").strip()
    if not text:
        raise ChatError(QUICK_EMPTY, field="text")
    if len(text) > MAX_QUICK_REPLY:
        raise ChatError(QUICK_TOO_LONG, field="text", max=MAX_QUICK_REPLY)
    text = await _screened(text)
    async with engine().transaction():
        await fetch("SELECT id FROM shop WHERE id = {} FOR UPDATE", shop_id)  # serialise the count check
        count = await fetchrow("SELECT count(*) AS n FROM chat_quick_reply WHERE shop = {}", shop_id)
        if count and count["n"] >= MAX_QUICK_REPLIES:
            raise ChatError(QUICK_TOO_MANY, field="text", max=MAX_QUICK_REPLIES)
        row = await fetchrow(
            "INSERT INTO chat_quick_reply (shop, text, position) VALUES ({}, {}, {}) RETURNING id",
            shop_id,
            text,
            int(count["n"]) if count else 0,
        )
    assert row is not None
    return int(row["id"])


async def update_quick_reply(*, shop_id: int, reply_id: int, text: str) -> None:
    text = (text or "").strip()
    if not text:
        raise ChatError(QUICK_EMPTY, field="text")
    if len(text) > MAX_QUICK_REPLY:
        raise ChatError(QUICK_TOO_LONG, field="text", max=MAX_QUICK_REPLY)
    text = await _screened(text)
    rows = await fetch(
        "UPDATE chat_quick_reply SET text = {} WHERE id = {} AND shop = {} RETURNING id", text, reply_id, shop_id
    )
    if not rows:
        raise NotFound(N_("This quick reply does not exist."))


async def delete_quick_reply(*, shop_id: int, reply_id: int) -> None:
    rows = await fetch("DELETE FROM chat_quick_reply WHERE id = {} AND shop = {} RETURNING id", reply_id, shop_id)
    if not rows:
        raise NotFound(N_("This quick reply does not exist."))
