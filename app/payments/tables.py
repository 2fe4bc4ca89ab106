"""Payments (issue 6). Our side: a Payment per attempt to pay an order group through a provider, the log of the
provider's notices we accepted (one row per provider event: a replayed notice finds its row and changes nothing), and
Refunds sent back through the same provider. The sandbox provider's own tables (prefixed `sandbox_`) stand for the
provider's systems: its charges, its outbox of signed notices and its refunds; our code reads them only through
app/payments/sandbox.py, as it would a real provider's API.

Constraints that --auto cannot express (a partial unique index: one open payment per group) are in the raw
migration beside the table's."""

from piccolo.columns import BigInt, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from app.accounts.tables import User
from app.orders.tables import Order, OrderGroup

PAYMENT_STATES = ("created", "paid", "failed", "closed")
REFUND_STATES = ("pending", "succeeded", "failed")


class Payment(Table, tablename="payment"):
    """One attempt to pay a group. At most one is open (`created`) per group; `paid` once the provider says so."""

    no = Varchar(length=32, unique=True)  # our trade number sent to the provider (Alipay's out_trade_no)
    group = ForeignKey(references=OrderGroup, null=False, on_delete=OnDelete.restrict, index=True)
    buyer = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict, index=True)
    provider = Varchar(length=16)
    amount_fen = BigInt()
    status = Varchar(length=16, default="created")
    provider_txn_id = Varchar(length=64, null=True, default=None, unique=True)
    paid_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    valid_status = Check("status IN ('created', 'paid', 'failed', 'closed')")
    valid_amount = Check("amount_fen > 0")


class PaymentNotice(Table, tablename="payment_notice"):
    """A verified notice we acted on. UNIQUE(provider, event_id): the first copy is processed, every later copy
    (a retry, a replay, ten at once) finds this row and changes nothing. Notices with a bad signature are never
    stored (an attacker could otherwise reserve a real event id); they are logged."""

    provider = Varchar(length=16)
    event_id = Varchar(length=64)
    payment = ForeignKey(references=Payment, null=True, default=None, on_delete=OnDelete.restrict, index=True)
    payment_no = Varchar(length=32)
    status = Varchar(length=16)  # what the provider said: paid | failed | closed
    amount_fen = BigInt()
    outcome = Varchar(length=24, default="")  # what we did: paid | duplicate | refunded_late | refunded_twice ...
    body = Text(default="")
    received_at = Timestamptz(default=TimestamptzNow())

    payment_notice_once = Unique([provider, event_id])


class Refund(Table, tablename="refund"):
    """Money going back through the provider. Written pending in the caller's transaction (a cancelled order), sent
    after commit; `idempotency_key` makes asking twice return the first refund. The sum of a payment's refunds that
    have not failed never exceeds the payment: checked by the service with the payment row locked."""

    order = ForeignKey(references=Order, null=True, default=None, on_delete=OnDelete.restrict, index=True)
    payment = ForeignKey(references=Payment, null=False, on_delete=OnDelete.restrict, index=True)
    amount_fen = BigInt()
    reason = Varchar(length=200, default="")
    idempotency_key = Varchar(length=64, unique=True)
    status = Varchar(length=16, default="pending")
    provider_refund_id = Varchar(length=64, default="")
    attempts = Integer(default=0)
    last_error = Varchar(length=200, default="")
    next_attempt_at = Timestamptz(default=TimestamptzNow())
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
    succeeded_at = Timestamptz(null=True, default=None)

    valid_status = Check("status IN ('pending', 'succeeded', 'failed')")
    valid_amount = Check("amount_fen > 0")


# ---------------------------------------------------------------------------------------------------------------
# the sandbox provider's own tables


class SandboxCharge(Table, tablename="sandbox_charge"):
    """The sandbox's trade: opened by create_payment, paid on its hosted page."""

    token = Varchar(length=43, unique=True)  # the cashier page's URL
    merchant_order_no = Varchar(length=32, unique=True)  # our Payment.no: creating it twice returns the same trade
    merchant = Varchar(length=64, default="")
    subject = Varchar(length=128, default="")
    amount_fen = BigInt()
    return_url = Varchar(length=500, default="")
    cancel_url = Varchar(length=500, default="")
    notify_url = Varchar(length=500, default="")
    status = Varchar(length=16, default="waiting")  # waiting | paid | closed
    failed_attempts = Integer(default=0)
    txn_id = Varchar(length=64, null=True, default=None, unique=True)
    expire_at = Timestamptz()
    paid_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())

    valid_status = Check("status IN ('waiting', 'paid', 'closed')")
    valid_amount = Check("amount_fen > 0")


class SandboxNotice(Table, tablename="sandbox_notice"):
    """The sandbox's outbox: a signed notice, posted until the merchant answers "success" or the attempts run out."""

    event_id = Varchar(length=64, unique=True)
    charge = ForeignKey(references=SandboxCharge, null=False, on_delete=OnDelete.cascade, index=True)
    url = Varchar(length=500)
    body = Text()
    status = Varchar(length=16, default="pending")  # pending | delivered | gave_up
    attempts = Integer(default=0)
    next_attempt_at = Timestamptz(default=TimestamptzNow(), index=True)
    last_error = Varchar(length=200, default="")
    delivered_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())

    valid_status = Check("status IN ('pending', 'delivered', 'gave_up')")


class SandboxRefund(Table, tablename="sandbox_refund"):
    """A refund the sandbox has made; (charge, request_key) makes a repeated request return the same refund."""

    charge = ForeignKey(references=SandboxCharge, null=False, on_delete=OnDelete.cascade, index=True)
    request_key = Varchar(length=64)
    refund_id = Varchar(length=64, unique=True)
    amount_fen = BigInt()
    created_at = Timestamptz(default=TimestamptzNow())

    sandbox_refund_once = Unique([charge, request_key])
    valid_amount = Check("amount_fen > 0")


TABLES = [Payment, PaymentNotice, Refund, SandboxCharge, SandboxNotice, SandboxRefund]
