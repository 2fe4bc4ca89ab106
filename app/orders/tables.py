"""Orders: one checkout is an OrderGroup (one payment); it holds one Order per shop; each Order holds OrderItems
that snapshot what was bought and what it cost (the pricing engine's result), so refunds and statements never
depend on today's catalog. Every state change writes an OrderEvent (app/orders/states.py)."""

from piccolo.columns import (
    JSONB,
    UUID,
    BigInt,
    ForeignKey,
    Integer,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check
from piccolo.table import Table

from app.accounts.tables import User
from app.sellers.tables import Shop

ORDER_STATES = ("pending_payment", "paid", "shipped", "delivered", "completed", "cancelled")
GROUP_STATES = ("pending_payment", "paid", "cancelled")


class OrderGroup(Table, tablename="order_group"):
    """One checkout: one payment pays all its orders. `checkout_token` makes a resubmitted form return this group."""

    no = Varchar(length=24, unique=True)  # human-friendly and unguessable: date + random digits
    buyer = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict, index=True)
    checkout_token = UUID(unique=True)
    status = Varchar(length=16, default="pending_payment")
    total_fen = BigInt(default=0)
    address = JSONB(default="{}")  # the delivery address as it was at checkout (empty: every order is pickup)
    pay_deadline_at = Timestamptz()
    paid_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())

    valid_status = Check("status IN ('pending_payment', 'paid', 'cancelled')")
    valid_total = Check("total_fen >= 0")


class Order(Table, tablename="shop_order"):  # "order" is an SQL keyword
    no = Varchar(length=24, unique=True)
    group = ForeignKey(references=OrderGroup, null=False, on_delete=OnDelete.restrict, index=True)
    shop = ForeignKey(references=Shop, null=False, on_delete=OnDelete.restrict, index=True)
    buyer = ForeignKey(references=User, null=False, on_delete=OnDelete.restrict, index=True)
    status = Varchar(length=20, default="pending_payment", index=True)
    goods_fen = BigInt(default=0)
    discount_fen = BigInt(default=0)  # <= 0
    shipping_fen = BigInt(default=0)
    total_fen = BigInt(default=0)  # goods + discount + shipping: what the buyer pays for this order
    delivery = Varchar(length=8, default="express")  # express | pickup (自提)
    address = JSONB(default="{}")  # receiver snapshot for express delivery
    pickup_point = JSONB(default="{}")  # the pickup point's snapshot (name, address, hours) for pickup orders
    pickup_code = Varchar(length=12, default="")  # shown to the buyer once paid; the seller verifies it
    buyer_note = Varchar(length=200, default="")
    invoice = JSONB(default="{}")  # requested invoice: {"kind": personal|company, "title", "tax_no"}; {}: none
    invoice_key = Varchar(length=128, default="")  # the issued PDF in private storage
    carrier = Varchar(length=32, default="")
    tracking_no = Varchar(length=40, default="")
    cancel_reason = Varchar(length=200, default="")
    pay_deadline_at = Timestamptz()
    paid_at = Timestamptz(null=True, default=None)
    shipped_at = Timestamptz(null=True, default=None)
    delivered_at = Timestamptz(null=True, default=None)
    completed_at = Timestamptz(null=True, default=None)
    cancelled_at = Timestamptz(null=True, default=None)
    auto_confirm_at = Timestamptz(null=True, default=None)  # set when shipped: the sweep confirms receipt then
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())

    valid_status = Check("status IN ('pending_payment', 'paid', 'shipped', 'delivered', 'completed', 'cancelled')")
    valid_delivery = Check("delivery IN ('express', 'pickup')")
    valid_money = Check("goods_fen >= 0 AND discount_fen <= 0 AND shipping_fen >= 0 AND total_fen >= 0")


class OrderItem(Table, tablename="order_item"):
    """What was bought, as it was: title, spec, picture and the pricing engine's line (gross, each adjustment with
    its reason and bearer, paid). `sku`/`product` are plain ids: the catalog may change or delete them later."""

    order = ForeignKey(references=Order, null=False, on_delete=OnDelete.cascade, index=True)
    sku = Integer(index=True)
    product = Integer(index=True)
    title = Varchar(length=120)
    spec = Varchar(length=200, default="")  # "颜色: 红 / 尺码: M"
    image_key = Varchar(length=128, default="")
    unit_price_fen = BigInt()
    quantity = Integer()
    gross_fen = BigInt()
    paid_fen = BigInt()  # gross + adjustments: what a refund of this whole line returns
    adjustments = JSONB(default="[]")  # [{"reason": msgid, "amount_fen": -n, "bearer": "shop", "source": ""}]
    weight_g = Integer(default=0)
    # where the units came from, so a cancellation gives them back there: "" the SKU's stock, "flash:<item id>" a
    # flash sale's own stock, "gift:<promotion id>" a gift promotion's gift stock
    stock_source = Varchar(length=40, default="")

    valid_quantity = Check("quantity > 0")
    valid_money = Check("unit_price_fen >= 0 AND gross_fen >= 0 AND paid_fen >= 0 AND paid_fen <= gross_fen")


class OrderEvent(Table, tablename="order_event"):
    """One row per state change (and per notable action such as an invoice upload), written by states.transition."""

    order = ForeignKey(references=Order, null=False, on_delete=OnDelete.cascade, index=True)
    from_status = Varchar(length=20, default="")
    to_status = Varchar(length=20, default="")
    action = Varchar(length=32, default="")  # e.g. paid, shipped, cancelled_by_buyer, timeout, invoice_uploaded
    actor = Integer(null=True, default=None)  # app_user.id, None for the system (worker, gateway)
    actor_label = Varchar(length=64, default="")
    reason = Varchar(length=500, default="")
    at = Timestamptz(default=TimestamptzNow())


class TrackingEvent(Table, tablename="tracking_event"):
    """The carrier's events for a shipped order (the sandbox carrier produces them; a real one would push them)."""

    order = ForeignKey(references=Order, null=False, on_delete=OnDelete.cascade, index=True)
    status = Varchar(length=24)  # collected | in_transit | out_for_delivery | delivered
    description = Varchar(length=200)  # a msgid with %(city)s-style params
    params = JSONB(default="{}")
    at = Timestamptz()


TABLES = [OrderGroup, Order, OrderItem, OrderEvent, TrackingEvent]
