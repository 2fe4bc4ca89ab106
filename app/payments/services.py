"""Paying for an order group and refunding it, through the configured gateway (app/payments/gateway.py).

- `start_payment`: the buyer's own unpaid group → a Payment (one open per group, reused) → the provider's URL.
- `handle_notice`: a provider's notice, verified, deduplicated by (provider, event id), amount-checked, then the
  payment is marked paid and the orders service marks the group paid in the SAME transaction. A payment that lands
  after the group was cancelled (or on a group another payment already paid) is refunded whole, automatically.
- `request_refund`: a pending Refund in the caller's transaction (a paid order being cancelled); `process_refunds`
  sends pending refunds through the gateway after commit (`schedule_refunds`) and as the worker's sweep.
- `payment_status`: what the return page shows; when a notice is late it asks the provider (`query`).

Lock order: payment row, then (through the orders service) the group and its orders. The unpaid-timeout sweep
locks the group then its orders and never a payment, so the two cannot deadlock."""

from __future__ import annotations

import json
import logging
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.config import get_settings
from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.core.i18n import N_, gettext
from app.core.money import format_fen
from app.core.principal import Actor
from app.payments.errors import BadNotice, GatewayError, PaymentError, RefundError, RefundRefused
from app.payments.gateway import Notice, PaymentRequest, gateway
from app.payments.tasks import spawn

log = logging.getLogger("jishi.payments")

QUERY_AFTER = timedelta(seconds=30)  # a notice this late: the return page asks the provider itself
QUERY_EVERY_SECONDS = 10.0  # at most one query per payment this often (the page polls every 2 s)
REFUND_BACKOFF_SECONDS = (60, 300, 1800, 7200, 21600, 86400)
REFUND_LEASE_SECONDS = 120
MERCHANT = N_("Jishi Mall")


def _actor(provider: str) -> Actor:
    return Actor(user_id=None, label=f"payment:{provider}")


def new_payment_no() -> str:
    """P + date (Beijing) + 12 random digits: unique by its column, unguessable, says nothing about volume."""
    day = (clock.now() + timedelta(hours=8)).strftime("%y%m%d")
    return f"P{day}{secrets.randbelow(10**12):012d}"


# ---------------------------------------------------------------------------------------------------------------
# starting a payment


def _check_payable(group: Mapping[str, Any]) -> None:
    if group["status"] == "paid":
        raise PaymentError(N_("This order has been paid already."))
    if group["status"] != "pending_payment":
        raise PaymentError(N_("This order was cancelled and can no longer be paid."))
    if group["pay_deadline_at"] <= clock.now():
        raise PaymentError(N_("The time to pay for this order has run out, so it will be cancelled."))


async def start_payment(*, group_no: str, buyer_id: int) -> str:
    """The URL to send the buyer to. Reuses the group's open payment (a second click, a return visit); refuses a
    group that is paid, cancelled or past its deadline (PaymentError); another buyer's group is not found."""
    from app.orders.services import group_for_payment, mark_group_paid

    group = await group_for_payment(group_no=group_no, buyer_id=buyer_id)
    _check_payable(group)
    settings = get_settings()
    total = int(group["total_fen"])
    if total == 0:  # nothing to charge (everything discounted away): no provider involved
        await mark_group_paid(group_id=group["id"], amount_fen=0, payment_id=None, actor=_actor("free"))
        return f"/pay/{group_no}/return"
    gw = gateway()
    async with engine().transaction():
        payment = await fetchrow(
            "SELECT id, no, provider, amount_fen FROM payment WHERE \"group\" = {} AND status = 'created' FOR UPDATE",
            group["id"],
        )
        if payment is not None and (payment["provider"] != gw.name or int(payment["amount_fen"]) != total):
            # the provider was switched in the config: close the old trade (a late notice on it is refunded)
            await fetch(
                "UPDATE payment SET status = 'closed', updated_at = {} WHERE id = {}", clock.now(), payment["id"]
            )
            payment = None
        if payment is None:
            payment = await fetchrow(
                'INSERT INTO payment (no, "group", buyer, provider, amount_fen, status, created_at, updated_at) '
                "VALUES ({}, {}, {}, {}, {}, 'created', {}, {}) "
                "ON CONFLICT (\"group\") WHERE status = 'created' DO NOTHING RETURNING id, no",
                new_payment_no(),
                group["id"],
                buyer_id,
                gw.name,
                total,
                clock.now(),
                clock.now(),
            )
        if payment is None:  # a concurrent click opened it first
            payment = await fetchrow(
                "SELECT id, no FROM payment WHERE \"group\" = {} AND status = 'created'", group["id"]
            )
            assert payment is not None
    base = settings.public_base_url
    return await gw.create_payment(
        PaymentRequest(
            payment_no=payment["no"],
            amount_fen=total,
            # the provider shows these as sent: in the buyer's language at the time
            subject=gettext(N_("Jishi Mall order %(no)s"), no=group_no),
            merchant=gettext(MERCHANT),
            return_url=f"{base}/pay/{group_no}/return",
            cancel_url=f"{base}/pay/{group_no}/return?left=1",
            notify_url=f"{base}/payments/notify/{gw.name}",
            expire_at=group["pay_deadline_at"],
        )
    )


# ---------------------------------------------------------------------------------------------------------------
# notices


class _Refused(Exception):
    """A verified notice we will not act on (unknown payment, wrong amount): rolled back, logged, not acknowledged."""


async def handle_notice(*, provider: str, headers: Mapping[str, str], body: bytes) -> bool:
    """True when the notice is handled now or was before (answer the provider's ack); False when it is rejected
    (bad signature, unknown payment, wrong amount): nothing changes and the provider will try again."""
    try:
        gw = gateway(provider)
    except LookupError:
        log.warning("notice for unknown payment provider %r", provider)
        return False
    try:
        notice = gw.verify_notice(headers, body)
    except BadNotice as exc:
        log.warning("rejected %s notice: %s (%s bytes)", provider, exc, len(body))
        return False
    try:
        outcome = await _apply(provider=provider, notice=notice, body=body.decode("utf-8", "replace"))
    except _Refused as exc:
        log.error("refused %s notice %s for %s: %s", provider, notice.event_id, notice.payment_no, exc)
        return False
    if outcome.startswith("refunded"):
        schedule_refunds()
    return True


async def _apply(*, provider: str, notice: Notice, body: str) -> str:
    """Act on a verified notice once. Returns the outcome recorded on the notice's row."""
    from app.orders.services import mark_group_paid

    async with engine().transaction():
        logged = await fetchrow(
            "INSERT INTO payment_notice (provider, event_id, payment_no, status, amount_fen, outcome, body, "
            "received_at) VALUES ({}, {}, {}, {}, {}, '', {}, {}) "
            "ON CONFLICT (provider, event_id) DO NOTHING RETURNING id",
            provider,
            notice.event_id[:64],
            notice.payment_no[:32],
            notice.status[:16],
            notice.amount_fen,
            body[:4000],
            clock.now(),
        )
        if logged is None:  # this event was handled before (or is being handled now: we waited for it)
            return "duplicate_event"
        payment = await fetchrow(
            'SELECT id, no, "group", amount_fen, status, provider_txn_id FROM payment '
            "WHERE no = {} AND provider = {} FOR UPDATE",
            notice.payment_no,
            provider,
        )
        if payment is None:
            raise _Refused("no such payment")
        outcome = "ignored"
        if notice.status == "paid":
            outcome = await _settle_paid(payment, notice, provider, mark_group_paid)
        elif notice.status in {"failed", "closed"} and payment["status"] == "created":
            await fetch(
                "UPDATE payment SET status = {}, updated_at = {} WHERE id = {}",
                notice.status,
                clock.now(),
                payment["id"],
            )
            outcome = notice.status
        await fetch(
            "UPDATE payment_notice SET payment = {}, outcome = {} WHERE id = {}", payment["id"], outcome, logged["id"]
        )
    return outcome


async def _settle_paid(payment: dict[str, Any], notice: Notice, provider: str, mark_group_paid: Any) -> str:
    if payment["status"] == "paid":
        if payment["provider_txn_id"] != notice.provider_txn_id:
            log.error("payment %s: second transaction %s from %s", payment["no"], notice.provider_txn_id, provider)
        return "duplicate"
    amount = int(payment["amount_fen"])
    if notice.amount_fen != amount:
        raise _Refused(f"amount {notice.amount_fen} fen, the payment is {amount} fen")
    group = await fetchrow("SELECT total_fen FROM order_group WHERE id = {}", payment["group"])
    if group is None or int(group["total_fen"]) != amount:
        raise _Refused(f"the payment is {amount} fen, the group {group and group['total_fen']} fen")
    now = clock.now()
    await fetch(
        "UPDATE payment SET status = 'paid', provider_txn_id = {}, paid_at = {}, updated_at = {} WHERE id = {}",
        notice.provider_txn_id[:64],
        notice.at or now,
        now,
        payment["id"],
    )
    result = await mark_group_paid(
        group_id=payment["group"], amount_fen=amount, payment_id=payment["id"], actor=_actor(provider)
    )
    if result == "paid":
        return "paid"
    if result == "amount_mismatch":
        raise _Refused("the orders service says the amount does not match")
    if result == "cancelled":  # paid after the deadline sweep cancelled the group: give it all back
        await _insert_refund(
            payment_id=payment["id"],
            order_id=None,
            amount_fen=amount,
            reason=N_("Paid after the order was cancelled"),
            key=f"late:{payment['no']}",
        )
        return "refunded_late"
    # "already_paid": another payment of this group got there first (paid twice): give this one back
    await _insert_refund(
        payment_id=payment["id"],
        order_id=None,
        amount_fen=amount,
        reason=N_("The order had already been paid"),
        key=f"twice:{payment['no']}",
    )
    return "refunded_twice"


# ---------------------------------------------------------------------------------------------------------------
# refunds


async def request_refund(*, order_id: int, amount_fen: int, reason: str, key: str) -> int:
    """A pending refund of `amount_fen` for a paid order, in the caller's transaction (it is sent after commit:
    call `schedule_refunds()` then). The same key again returns the same refund. Refunds of one payment never exceed
    it, and those of one order never exceed the order's total (RefundError)."""
    if engine().current_transaction.get() is None:
        async with engine().transaction():
            return await request_refund(order_id=order_id, amount_fen=amount_fen, reason=reason, key=key)
    if not key or len(key) > 64:
        raise ValueError("a refund key is 1-64 characters")
    if amount_fen <= 0:
        raise RefundError(N_("A refund must be more than zero."))
    order = await fetchrow('SELECT id, "group", total_fen FROM shop_order WHERE id = {}', order_id)
    if order is None:
        raise RefundError(N_("Order not found."))
    payment = await fetchrow(  # the payment that paid the group (one paid on top of it is refunded whole)
        "SELECT p.id FROM payment p WHERE p.\"group\" = {} AND p.status = 'paid' AND NOT EXISTS "
        '(SELECT 1 FROM refund r WHERE r.payment = p.id AND r."order" IS NULL) ORDER BY p.id LIMIT 1 FOR UPDATE',
        order["group"],
    )
    existing = await _refund_by_key(key)  # after the lock: a concurrent request with this key has committed
    if existing is not None:
        return existing
    if payment is None:
        raise RefundError(N_("This order has no payment to refund."))
    refunded = await fetchrow(
        "SELECT coalesce(sum(amount_fen), 0) AS n FROM refund WHERE \"order\" = {} AND status <> 'failed'", order_id
    )
    left = int(order["total_fen"]) - int(refunded["n"])
    if amount_fen > left:
        raise RefundError(N_("At most %(left)s of this order can still be refunded."), left=format_fen(max(left, 0)))
    return await _insert_refund(
        payment_id=payment["id"], order_id=order_id, amount_fen=amount_fen, reason=reason, key=key
    )


async def _refund_by_key(key: str) -> int | None:
    row = await fetchrow("SELECT id FROM refund WHERE idempotency_key = {}", key)
    return int(row["id"]) if row else None


async def _insert_refund(*, payment_id: int, order_id: int | None, amount_fen: int, reason: str, key: str) -> int:
    """With the payment row locked by the caller: the same key returns its refund; the sum never passes the payment."""
    existing = await _refund_by_key(key)
    if existing is not None:
        return existing
    payment = await fetchrow("SELECT amount_fen FROM payment WHERE id = {}", payment_id)
    refunded = await fetchrow(
        "SELECT coalesce(sum(amount_fen), 0) AS n FROM refund WHERE payment = {} AND status <> 'failed'", payment_id
    )
    left = int(payment["amount_fen"]) - int(refunded["n"])
    if amount_fen > left:
        raise RefundError(N_("At most %(left)s of this payment can still be refunded."), left=format_fen(max(left, 0)))
    now = clock.now()
    row = await fetchrow(
        'INSERT INTO refund ("order", payment, amount_fen, reason, idempotency_key, status, provider_refund_id, '
        "attempts, last_error, next_attempt_at, created_at, updated_at) "
        "VALUES ({}, {}, {}, {}, {}, 'pending', '', 0, '', {}, {}, {}) RETURNING id",
        order_id,
        payment_id,
        amount_fen,
        reason[:200],
        key,
        now,
        now,
        now,
    )
    assert row is not None
    from app.settlement.hooks import on_refund_requested

    await on_refund_requested(int(row["id"]))
    return int(row["id"])


def schedule_refunds() -> None:
    """After the commit that requested refunds: send them now in the background (the worker's sweep catches up)."""
    spawn(process_refunds())


_CLAIM_REFUND = (
    'SELECT r.id, r.amount_fen, r.idempotency_key, r.reason, r.attempts, r."order" AS order_id, p.no AS payment_no, '
    "p.provider, p.provider_txn_id, p.buyer FROM refund r JOIN payment p ON p.id = r.payment "
    "WHERE r.status = 'pending' AND r.next_attempt_at <= {} ORDER BY r.next_attempt_at, r.id LIMIT 1 "
    "FOR UPDATE OF r SKIP LOCKED"
)


async def _claim_refund() -> dict[str, Any] | None:
    now = clock.now()
    async with engine().transaction():
        row = await fetchrow(_CLAIM_REFUND, now)
        if row is None:
            return None
        await fetch(
            "UPDATE refund SET attempts = attempts + 1, next_attempt_at = {}, updated_at = {} WHERE id = {}",
            now + timedelta(seconds=REFUND_LEASE_SECONDS),
            now,
            row["id"],
        )
    return {**row, "attempts": int(row["attempts"]) + 1}


async def _send_refund(refund: dict[str, Any]) -> str:
    """One call to the provider (idempotent by the refund's key). Returns the refund's status afterwards."""
    now = clock.now()
    try:
        result = await gateway(refund["provider"]).refund(
            payment_no=refund["payment_no"],
            provider_txn_id=refund["provider_txn_id"] or "",
            amount_fen=int(refund["amount_fen"]),
            key=refund["idempotency_key"],
            reason=refund["reason"],
        )
    except RefundRefused as exc:
        log.error("refund %s refused by %s: %s", refund["id"], refund["provider"], exc)
        await fetch(
            "UPDATE refund SET status = 'failed', last_error = {}, updated_at = {} WHERE id = {}",
            str(exc)[:200],
            now,
            refund["id"],
        )
        return "failed"
    except (GatewayError, LookupError, OSError) as exc:
        tries = refund["attempts"]
        delay = REFUND_BACKOFF_SECONDS[tries - 1] if tries <= len(REFUND_BACKOFF_SECONDS) else None
        if delay is None:
            log.error("refund %s given up after %s attempts: %s", refund["id"], refund["attempts"], exc)
        else:
            log.warning("refund %s attempt %s failed: %s", refund["id"], refund["attempts"], exc)
        await fetch(
            "UPDATE refund SET status = {}, last_error = {}, next_attempt_at = {}, updated_at = {} WHERE id = {}",
            "failed" if delay is None else "pending",
            f"{type(exc).__name__}: {exc}"[:200],
            now + timedelta(seconds=delay or 0),
            now,
            refund["id"],
        )
        return "failed" if delay is None else "pending"
    if result.status != "succeeded":  # the provider is working on it: ask again (same key) in a minute
        await fetch(
            "UPDATE refund SET provider_refund_id = {}, next_attempt_at = {}, updated_at = {} WHERE id = {}",
            result.refund_id[:64],
            now + timedelta(seconds=60),
            now,
            refund["id"],
        )
        return "pending"
    async with engine().transaction():
        await fetch(
            "UPDATE refund SET status = 'succeeded', provider_refund_id = {}, succeeded_at = {}, updated_at = {}, "
            "last_error = '' WHERE id = {}",
            result.refund_id[:64],
            now,
            now,
            refund["id"],
        )
        await _tell_buyer(refund)
    return "succeeded"


async def _tell_buyer(refund: dict[str, Any]) -> None:
    from app.messaging.services import notify

    order = None
    if refund["order_id"] is not None:
        order = await fetchrow("SELECT id, no FROM shop_order WHERE id = {}", refund["order_id"])
    await notify(
        user_id=refund["buyer"],
        kind="refund_succeeded",
        title=N_("Refund of %(amount)s sent"),
        body=N_("The money goes back the way you paid, usually within minutes (order %(no)s)."),
        params={
            "amount": format_fen(int(refund["amount_fen"]), "en"),
            "no": order["no"] if order else refund["payment_no"],
        },
        link=f"/me/orders/{order['id']}" if order else "/me/orders",
    )


async def process_refunds(*, limit: int = 100) -> int:
    """Send due pending refunds (the worker's sweep, and right after a commit that asked for refunds). Several
    workers share the work (SKIP LOCKED and a lease). Returns how many were attempted."""
    done = 0
    while done < limit:
        refund = await _claim_refund()
        if refund is None:
            break
        await _send_refund(refund)
        done += 1
    return done


# ---------------------------------------------------------------------------------------------------------------
# the return page


@dataclass(frozen=True, slots=True)
class PaymentView:
    group_no: str
    state: str  # paid | waiting | expired | cancelled
    total_fen: int
    deadline: datetime
    paid_at: datetime | None
    orders: list[dict[str, Any]]
    refund_fen: int  # refunded or being refunded to the buyer for this group (a late or double payment)
    refund_done: bool


_last_query: dict[str, float] = {}


async def payment_status(*, group_no: str, buyer_id: int) -> PaymentView:
    """The group's payment as the buyer should see it. When the group is still unpaid and its open payment has
    waited longer than QUERY_AFTER for a notice, ask the provider directly (a notice may be late or lost)."""
    from app.orders.services import group_for_payment

    group = await group_for_payment(group_no=group_no, buyer_id=buyer_id)
    if group["status"] == "pending_payment" and await _sync_late_payment(group["id"]):
        group = await group_for_payment(group_no=group_no, buyer_id=buyer_id)
    refunds = await fetchrow(
        "SELECT coalesce(sum(r.amount_fen), 0) AS n, bool_and(r.status = 'succeeded') AS done FROM refund r "
        'JOIN payment p ON p.id = r.payment WHERE p."group" = {} AND r."order" IS NULL AND r.status <> \'failed\'',
        group["id"],
    )
    status = group["status"]
    if status == "pending_payment":
        status = "expired" if group["pay_deadline_at"] <= clock.now() else "waiting"
    return PaymentView(
        group_no=group["no"],
        state=status,
        total_fen=int(group["total_fen"]),
        deadline=group["pay_deadline_at"],
        paid_at=group["paid_at"],
        orders=list(group["orders"]),
        refund_fen=int(refunds["n"]) if refunds else 0,
        refund_done=bool(refunds and refunds["done"]),
    )


async def _sync_late_payment(group_id: int) -> bool:
    """Ask the provider about an open payment whose notice is late; apply a payment it reports. True if it did."""
    payment = await fetchrow(
        "SELECT no, provider, created_at FROM payment WHERE \"group\" = {} AND status = 'created'", group_id
    )
    if payment is None or payment["created_at"] > clock.now() - QUERY_AFTER:
        return False
    last = _last_query.get(payment["no"], 0.0)
    if time.monotonic() - last < QUERY_EVERY_SECONDS:
        return False
    _last_query[payment["no"]] = time.monotonic()
    if len(_last_query) > 10_000:
        _last_query.clear()
    try:
        state = await gateway(payment["provider"]).query(payment_no=payment["no"])
    except (GatewayError, LookupError, OSError) as exc:
        log.warning("query of payment %s failed: %s", payment["no"], exc)
        return False
    if state.status != "paid":
        return False
    notice = Notice(
        event_id=f"query:{state.provider_txn_id}",
        payment_no=payment["no"],
        provider_txn_id=state.provider_txn_id,
        amount_fen=state.amount_fen,
        status="paid",
        at=state.paid_at,
    )
    body = json.dumps({"query": payment["no"], "txn_id": state.provider_txn_id, "amount_fen": state.amount_fen})
    try:
        outcome = await _apply(provider=payment["provider"], notice=notice, body=body)
    except _Refused as exc:
        log.error("refused queried payment %s: %s", payment["no"], exc)
        return False
    if outcome.startswith("refunded"):
        schedule_refunds()
    return True
