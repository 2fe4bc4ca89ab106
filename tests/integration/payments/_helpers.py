"""Helpers for the payments tests: an order group to pay, a logged-in buyer, the sandbox's pay button, and notices
signed the way the sandbox signs them (for replays, forgeries and wrong amounts)."""

from __future__ import annotations

import json
import uuid
from urllib.parse import urlsplit

import httpx

from app.core.db import fetch, fetchrow
from app.payments.gateway import SIGNATURE_HEADER, notify_key, sign
from app.payments.tasks import drain
from tests.factories import TestUser, login, make_product, make_user, post_form
from tests.order_factories import TestGroup, make_order_group

EN = {"Accept-Language": "en"}


async def buyer_with_group(
    client: httpx.AsyncClient, *, prices: tuple[int, ...] = (1000, 2500)
) -> tuple[TestUser, TestGroup]:
    """A signed-in buyer with an unpaid group of one order per price (each in its own shop)."""
    buyer = await make_user(locale="en")
    items = []
    for price in prices:
        product = await make_product(skus=[{"price_fen": price, "stock": 10}])
        items.append((product, 1))
    group = await make_order_group(buyer, items)
    await login(client, buyer)
    return buyer, group


async def open_cashier(client: httpx.AsyncClient, group: TestGroup) -> str:
    """GET /pay/{no} → the sandbox cashier's path."""
    response = await client.get(f"/pay/{group.no}", headers=EN)
    assert response.status_code == 303, response.text[:300]
    location = response.headers["location"]
    assert location.startswith("http://testserver/sandbox/pay/")
    return urlsplit(location).path


async def press_pay(client: httpx.AsyncClient, cashier: str, *, wait: bool = True) -> httpx.Response:
    response = await post_form(client, f"{cashier}/pay", headers=EN)
    if wait:
        await drain()
    return response


async def pay_group(client: httpx.AsyncClient, group: TestGroup) -> httpx.Response:
    return await press_pay(client, await open_cashier(client, group))


async def payment_of(group: TestGroup) -> dict:  # type: ignore[type-arg]
    row = await fetchrow('SELECT * FROM payment WHERE "group" = {} ORDER BY id DESC LIMIT 1', group.id)
    assert row is not None
    return row


async def group_status(group: TestGroup) -> tuple[str, set[str]]:
    row = await fetchrow("SELECT status FROM order_group WHERE id = {}", group.id)
    orders = await fetch('SELECT status FROM shop_order WHERE "group" = {}', group.id)
    return row["status"], {o["status"] for o in orders}


def signed_notice(
    payment_no: str, amount_fen: int, *, txn_id: str = "SBXTEST1", event_id: str | None = None, status: str = "paid"
) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(
        {
            "event_id": event_id or uuid.uuid4().hex,
            "out_trade_no": payment_no,
            "txn_id": txn_id,
            "amount_fen": amount_fen,
            "status": status,
            "paid_at": "2026-11-23T10:00:00+00:00",
        }
    ).encode()
    return body, {"Content-Type": "application/json", SIGNATURE_HEADER: sign(body, notify_key())}


async def post_notice(client: httpx.AsyncClient, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return await client.post("/payments/notify/sandbox", content=body, headers=headers)


async def paid_events() -> int:
    row = await fetchrow("SELECT count(*) AS n FROM order_event WHERE action = 'paid'")
    return int(row["n"])
