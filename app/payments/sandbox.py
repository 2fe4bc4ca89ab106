"""The sandbox payment provider: a stand-in for Alipay/WeChat Pay that behaves like them, so the whole payment path
(redirect, hosted cashier, asynchronous signed notice, retries, refunds) runs in development and tests.

- `create_payment` opens a trade in `sandbox_charge` (idempotent by our payment number) and returns the URL of its
  hosted cashier page (GET /sandbox/pay/{token}, app/payments/controllers.py).
- "Pay" on that page marks the trade paid and writes a signed notice to the sandbox's outbox (`sandbox_notice`) in
  one transaction, then delivers it in the background: POST {notify_url}, JSON body, header
  `X-Sandbox-Signature: sha256=<HMAC-SHA256 of the raw body>`. A notice is delivered when the merchant answers 200
  with the body "success"; otherwise it is retried with backoff (15 s, 1 min, 5 min, 30 min, 2 h, 6 h, 12 h, 24 h)
  and then given up. `deliver_due_notices` is the worker's sweep.
- A delivery is claimed with `FOR UPDATE SKIP LOCKED` and a lease (next_attempt_at moves past the send's timeout)
  before the HTTP call, so several workers never send one notice at the same moment and no database connection is
  held while waiting for the merchant; a worker that dies mid-send leaves the notice to be retried after the lease.
- `sender` is module-level so tests can replace it (they deliver through the ASGI client: there is no real server).
- `refund_fault` makes refunds fail in tests: "unreachable" (retryable) or "refused" (final)."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import urllib.error
import urllib.request
import uuid
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.config import Settings, get_settings
from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.payments.errors import BadNotice, GatewayError, RefundRefused
from app.payments.gateway import (
    SIGNATURE_HEADER,
    Notice,
    PaymentRequest,
    PaymentState,
    RefundResult,
    notify_key,
    sign,
    signature_valid,
)
from app.payments.tasks import spawn

log = logging.getLogger("jishi.payments.sandbox")

BACKOFF_SECONDS = (15, 60, 300, 1800, 7200, 21600, 43200, 86400)  # after the first attempt, then each retry
LEASE_SECONDS = 60  # a claimed notice is not due again for this long (longer than SEND_TIMEOUT)
SEND_TIMEOUT = 10.0

Sender = Callable[[str, bytes, dict[str, str]], Awaitable[tuple[int, str]]]


async def http_post(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
    """POST with the standard library in a thread: (status, first KB of the body)."""
    if not url.startswith(("http://", "https://")):
        raise ValueError(f"not an http(s) URL: {url!r}")

    def call() -> tuple[int, str]:
        req = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310 - scheme checked
        try:
            with urllib.request.urlopen(req, timeout=SEND_TIMEOUT) as resp:  # noqa: S310
                return int(resp.status), resp.read(1024).decode("utf-8", "replace")
        except urllib.error.HTTPError as exc:
            return int(exc.code), exc.read(1024).decode("utf-8", "replace")

    return await asyncio.to_thread(call)


sender: Sender = http_post  # tests replace this
refund_fault: str | None = None  # tests: "unreachable" | "refused"

# ---------------------------------------------------------------------------------------------------------------
# the provider as our services see it


def _txn_id() -> str:
    return f"SBX{clock.now():%Y%m%d%H%M%S}{secrets.randbelow(10**8):08d}"


class SandboxGateway:
    name = "sandbox"
    ack = "success"

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or get_settings()

    async def create_payment(self, request: PaymentRequest) -> str:
        await fetch(
            "INSERT INTO sandbox_charge (token, merchant_order_no, merchant, subject, amount_fen, return_url, "
            "cancel_url, notify_url, status, failed_attempts, expire_at, created_at) "
            "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, 'waiting', 0, {}, {}) "
            "ON CONFLICT (merchant_order_no) DO NOTHING",
            secrets.token_urlsafe(24),
            request.payment_no,
            request.merchant[:64],
            request.subject[:128],
            request.amount_fen,
            request.return_url,
            request.cancel_url,
            request.notify_url,
            request.expire_at,
            clock.now(),
        )
        row = await fetchrow("SELECT token FROM sandbox_charge WHERE merchant_order_no = {}", request.payment_no)
        assert row is not None
        return f"{self.settings.public_base_url}/sandbox/pay/{row['token']}"

    def verify_notice(self, headers: Mapping[str, str], body: bytes) -> Notice:
        signature = _header(headers, SIGNATURE_HEADER)
        if not signature_valid(body, signature, notify_key(self.settings)):
            raise BadNotice("missing signature" if not signature else "bad signature")
        try:
            data = json.loads(body)
            at = data.get("paid_at")
            notice = Notice(
                event_id=str(data["event_id"]),
                payment_no=str(data["out_trade_no"]),
                provider_txn_id=str(data["txn_id"]),
                amount_fen=int(data["amount_fen"]),
                status=str(data["status"]),
                at=datetime.fromisoformat(at) if at else None,
            )
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise BadNotice(f"unreadable body: {exc}") from None
        if notice.status not in {"paid", "closed"} or not notice.event_id or isinstance(data["amount_fen"], bool):
            raise BadNotice(f"unexpected notice {notice.status!r}")
        return notice

    async def refund(
        self, *, payment_no: str, provider_txn_id: str, amount_fen: int, key: str, reason: str
    ) -> RefundResult:
        if refund_fault == "unreachable":
            raise GatewayError("sandbox: connection refused")
        if refund_fault == "refused":
            raise RefundRefused("sandbox: refund refused")
        async with engine().transaction():
            charge = await fetchrow(
                "SELECT id, status, txn_id, amount_fen FROM sandbox_charge WHERE merchant_order_no = {} FOR UPDATE",
                payment_no,
            )
            if charge is None or charge["status"] != "paid" or charge["txn_id"] != provider_txn_id:
                raise RefundRefused("sandbox: no such paid trade")
            done = await fetchrow(
                "SELECT refund_id, amount_fen FROM sandbox_refund WHERE charge = {} AND request_key = {}",
                charge["id"],
                key,
            )
            if done is not None:  # the same request again: the same refund
                return RefundResult(refund_id=done["refund_id"], status="succeeded")
            total = await fetchrow(
                "SELECT coalesce(sum(amount_fen), 0) AS n FROM sandbox_refund WHERE charge = {}", charge["id"]
            )
            if int(total["n"]) + amount_fen > int(charge["amount_fen"]):
                raise RefundRefused("sandbox: refunds would exceed the trade")
            refund_id = f"SBR{clock.now():%Y%m%d%H%M%S}{secrets.randbelow(10**8):08d}"
            await fetch(
                "INSERT INTO sandbox_refund (charge, request_key, refund_id, amount_fen, created_at) "
                "VALUES ({}, {}, {}, {}, {})",
                charge["id"],
                key,
                refund_id,
                amount_fen,
                clock.now(),
            )
        return RefundResult(refund_id=refund_id, status="succeeded")

    async def query(self, *, payment_no: str) -> PaymentState:
        row = await fetchrow(
            "SELECT status, txn_id, amount_fen, paid_at FROM sandbox_charge WHERE merchant_order_no = {}", payment_no
        )
        if row is None:
            return PaymentState(status="unknown")
        return PaymentState(
            status=row["status"],
            provider_txn_id=row["txn_id"] or "",
            amount_fen=int(row["amount_fen"]),
            paid_at=row["paid_at"],
        )


def _header(headers: Mapping[str, str], name: str) -> str | None:
    value = headers.get(name)
    if value is None:
        lowered = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == lowered), None)
    return value


# ---------------------------------------------------------------------------------------------------------------
# the hosted cashier


@dataclass(frozen=True, slots=True)
class Charge:
    token: str
    merchant: str
    subject: str
    order_no: str
    amount_fen: int
    status: str  # waiting | paid | closed
    expired: bool
    failed_attempts: int
    return_url: str
    cancel_url: str
    expire_at: datetime


async def charge(*, token: str) -> Charge | None:
    row = await fetchrow(
        "SELECT token, merchant, subject, merchant_order_no, amount_fen, status, failed_attempts, return_url, "
        "cancel_url, expire_at FROM sandbox_charge WHERE token = {}",
        token,
    )
    if row is None:
        return None
    return Charge(
        token=row["token"],
        merchant=row["merchant"],
        subject=row["subject"],
        order_no=row["merchant_order_no"],
        amount_fen=int(row["amount_fen"]),
        status=row["status"],
        expired=row["status"] == "waiting" and row["expire_at"] <= clock.now(),
        failed_attempts=int(row["failed_attempts"]),
        return_url=row["return_url"],
        cancel_url=row["cancel_url"],
        expire_at=row["expire_at"],
    )


async def pay(*, token: str) -> str:
    """The buyer pressed "Pay": "paid" (the notice is on its way), "already_paid" (a second click), "expired",
    or "missing". The trade and its outbound notice are written in one transaction."""
    async with engine().transaction():
        row = await fetchrow(
            "SELECT id, merchant_order_no, amount_fen, status, notify_url, expire_at FROM sandbox_charge "
            "WHERE token = {} FOR UPDATE",
            token,
        )
        if row is None:
            return "missing"
        if row["status"] == "paid":
            return "already_paid"
        now = clock.now()
        if row["status"] != "waiting" or row["expire_at"] <= now:
            return "expired"
        txn_id = _txn_id()
        await fetch(
            "UPDATE sandbox_charge SET status = 'paid', txn_id = {}, paid_at = {} WHERE id = {}", txn_id, now, row["id"]
        )
        notice_id = await _queue_notice(
            charge_id=row["id"],
            url=row["notify_url"],
            payload={
                "out_trade_no": row["merchant_order_no"],
                "txn_id": txn_id,
                "amount_fen": int(row["amount_fen"]),
                "status": "paid",
                "paid_at": now.isoformat(),
            },
        )
    spawn(deliver(notice_id=notice_id))  # first attempt now, without holding up the buyer's redirect
    return "paid"


async def fail(*, token: str) -> Charge | None:
    """The buyer pressed "Fail" (a declined card): the trade stays open, nothing is sent to the merchant."""
    await fetch(
        "UPDATE sandbox_charge SET failed_attempts = failed_attempts + 1 WHERE token = {} AND status = 'waiting'",
        token,
    )
    return await charge(token=token)


async def _queue_notice(*, charge_id: int, url: str, payload: dict[str, Any]) -> int:
    event_id = uuid.uuid4().hex
    now = clock.now()
    body = json.dumps({"event_id": event_id, **payload, "sent_at": now.isoformat()}, separators=(",", ":"))
    row = await fetchrow(
        "INSERT INTO sandbox_notice (event_id, charge, url, body, status, attempts, next_attempt_at, last_error, "
        "created_at) VALUES ({}, {}, {}, {}, 'pending', 0, {}, '', {}) RETURNING id",
        event_id,
        charge_id,
        url,
        body,
        now,
        now,
    )
    assert row is not None
    return int(row["id"])


# ---------------------------------------------------------------------------------------------------------------
# delivery


def next_delay(attempts: int) -> timedelta | None:
    """After `attempts` failed deliveries, how long until the next one (None: give up)."""
    if attempts < 1 or attempts > len(BACKOFF_SECONDS):
        return None
    return timedelta(seconds=BACKOFF_SECONDS[attempts - 1])


_CLAIM_DUE = (
    "SELECT id, url, body, attempts FROM sandbox_notice WHERE status = 'pending' AND next_attempt_at <= {} "
    "ORDER BY next_attempt_at, id LIMIT 1 FOR UPDATE SKIP LOCKED"
)
_CLAIM_ONE = (
    "SELECT id, url, body, attempts FROM sandbox_notice WHERE status = 'pending' AND next_attempt_at <= {} "
    "AND id = {} FOR UPDATE SKIP LOCKED"
)


async def _claim(notice_id: int | None) -> dict[str, Any] | None:
    """Take one due notice (this one, or the oldest due) for LEASE_SECONDS; None when nothing is due."""
    now = clock.now()
    async with engine().transaction():
        if notice_id is None:
            row = await fetchrow(_CLAIM_DUE, now)
        else:
            row = await fetchrow(_CLAIM_ONE, now, notice_id)
        if row is None:
            return None
        await fetch(
            "UPDATE sandbox_notice SET next_attempt_at = {}, attempts = attempts + 1 WHERE id = {}",
            now + timedelta(seconds=LEASE_SECONDS),
            row["id"],
        )
    return {**row, "attempts": int(row["attempts"]) + 1}


async def _send(notice: dict[str, Any]) -> None:
    body = notice["body"].encode()
    headers = {
        "Content-Type": "application/json",
        SIGNATURE_HEADER: sign(body, notify_key()),
        "User-Agent": "jishi-sandbox-pay/1",
    }
    error = ""
    try:
        status, text = await sender(notice["url"], body, headers)
        if status == 200 and text.strip() == "success":
            await fetch(
                "UPDATE sandbox_notice SET status = 'delivered', delivered_at = {}, last_error = '' WHERE id = {}",
                clock.now(),
                notice["id"],
            )
            return
        error = f"HTTP {status}: {text[:100]}"
    except Exception as exc:  # any failure to deliver is retried
        error = f"{type(exc).__name__}: {exc}"[:200]
    delay = next_delay(notice["attempts"])
    if delay is None:
        log.error("sandbox notice %s given up after %s attempts: %s", notice["id"], notice["attempts"], error)
        await fetch(
            "UPDATE sandbox_notice SET status = 'gave_up', last_error = {} WHERE id = {}", error[:200], notice["id"]
        )
        return
    log.warning("sandbox notice %s attempt %s failed: %s", notice["id"], notice["attempts"], error)
    await fetch(
        "UPDATE sandbox_notice SET next_attempt_at = {}, last_error = {} WHERE id = {}",
        clock.now() + delay,
        error[:200],
        notice["id"],
    )


async def deliver(*, notice_id: int) -> bool:
    """One attempt at this notice now, if it is due and no one else holds it. True if an attempt was made."""
    claimed = await _claim(notice_id)
    if claimed is None:
        return False
    await _send(claimed)
    return True


async def deliver_due_notices(*, limit: int = 200) -> int:
    """The worker's sweep: one attempt at every due notice (several workers share the work). Returns attempts."""
    done = 0
    while done < limit:
        claimed = await _claim(None)
        if claimed is None:
            break
        await _send(claimed)
        done += 1
    return done
