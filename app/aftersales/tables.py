"""Tables of the aftersales app (issue 8): after-sales requests (售后), their timeline, and disputes (纠纷)."""

from __future__ import annotations

from piccolo.columns import JSONB, BigInt, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check
from piccolo.table import Table

from app.accounts.tables import User
from app.orders.tables import Order, OrderItem
from app.sellers.tables import Shop


class AfterSale(Table, tablename="after_sale"):
    """One buyer request about one or several items of one order (AfterSaleItem). `order_item` is the request's
    first item, `amount_fen` / `refunded_fen` / `restocked_qty` the sums over its items. At most one open request
    per item: the partial unique index after_sale_item_one_open (raw migration) enforces it, so two concurrent
    requests end as one."""

    order = ForeignKey(references=Order, null=False, on_delete=OnDelete.restrict, index=True)
    order_item = ForeignKey(references=OrderItem, null=False, on_delete=OnDelete.restrict, index=True)
    buyer = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict, index=True)
    shop = ForeignKey(references=Shop, null=False, on_delete=OnDelete.restrict, index=True)
    kind = Varchar(length=16)  # refund_only | return_refund | exchange
    reason = Varchar(length=64)
    amount_fen = BigInt(default=0)  # what the buyer asks for (<= refundable when asked)
    refunded_fen = BigInt(default=0)  # what was actually refunded
    restocked_qty = Integer(default=0)  # units given back to the SKU's stock by this request
    note = Varchar(length=500, default="")
    photos = JSONB(default="[]")  # [{"key", "width", "height"}]
    status = Varchar(length=16, default="requested", index=True)
    reject_reason = Varchar(length=500, default="")
    return_address = JSONB(default="{}")  # {"name", "phone", "address"} given by the seller on approval
    return_carrier = Varchar(length=32, default="")
    return_tracking = Varchar(length=40, default="")
    replacement_carrier = Varchar(length=32, default="")  # an exchange: the seller's shipment of the new item
    replacement_tracking = Varchar(length=40, default="")
    reshipped_at = Timestamptz(null=True, default=None)
    deadline_at = Timestamptz(null=True, default=None, index=True)  # the current step's timeout
    approved_at = Timestamptz(null=True, default=None)
    shipped_at = Timestamptz(null=True, default=None)
    received_at = Timestamptz(null=True, default=None)
    closed_at = Timestamptz(null=True, default=None)  # refunded, arbitrated or closed
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())

    after_sale_valid_kind = Check("kind IN ('refund_only', 'return_refund', 'exchange')")
    after_sale_amount_positive = Check("amount_fen >= 0 AND refunded_fen >= 0")


class AfterSaleItem(Table, tablename="after_sale_item"):
    """One order item of a request: how many units and how much the buyer asks for it, what was refunded and
    restocked for it. `open` mirrors whether the request is open (rules.OPEN_STATES); the partial unique index
    after_sale_item_one_open (order_item) WHERE open keeps one open request per item."""

    after_sale = ForeignKey(references=AfterSale, null=False, on_delete=OnDelete.cascade, index=True)
    order_item = ForeignKey(references=OrderItem, null=False, on_delete=OnDelete.restrict, index=True)
    quantity = Integer(default=1)
    amount_fen = BigInt(default=0)
    refunded_fen = BigInt(default=0)
    restocked_qty = Integer(default=0)
    open = Boolean(default=True)


class AfterSaleEvent(Table, tablename="after_sale_event"):
    """The timeline: one row per step, shown to both sides."""

    after_sale = ForeignKey(references=AfterSale, null=False, on_delete=OnDelete.cascade, index=True)
    from_status = Varchar(length=16, default="")
    to_status = Varchar(length=16, default="")
    action = Varchar(length=32)  # requested, approved, rejected, shipped, received, refunded, escalated, ...
    actor = Integer(null=True, default=None)  # app_user.id; None: the system (sweeps)
    actor_side = Varchar(length=8, default="")  # buyer | shop | platform | system
    note = Varchar(length=500, default="")
    at = Timestamptz(default=TimestamptzNow())


class Dispute(Table, tablename="after_sale_dispute"):
    """平台介入: a rejected request the buyer escalated; the platform rules on it."""

    after_sale = ForeignKey(references=AfterSale, null=False, on_delete=OnDelete.restrict, unique=True)
    buyer_statement = Text(default="")
    buyer_evidence = JSONB(default="[]")
    seller_statement = Text(default="")
    seller_evidence = JSONB(default="[]")
    status = Varchar(length=16, default="open", index=True)  # open | ruled
    ruling = Varchar(length=16, default="")  # refund_full | refund_partial | rejected
    ruling_reason = Varchar(length=500, default="")
    ruled_by = Integer(null=True, default=None)
    amount_fen = BigInt(default=0)
    created_at = Timestamptz(default=TimestamptzNow())
    ruled_at = Timestamptz(null=True, default=None)
