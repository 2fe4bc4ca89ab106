"""The buyer's side of orders (/me/orders): the tabs and their counts, one order's detail (price breakdown from the
items' snapshots, times, tracking the carrier has reported so far, the other orders of the same checkout),
confirming receipt, and the worker's auto-confirm sweep.

Every read is filtered by the buyer's id, so another buyer's order is simply not found. Status changes go through
app/orders/states.transition; cancelling an unpaid order is the lead's app/orders/services.cancel_unpaid (it cancels
the whole checkout, since one payment covers it)."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.core.errors import NotFound
from app.core.i18n import N_
from app.core.principal import Actor
from app.orders.errors import IllegalTransition, OrderNotFound
from app.orders.states import transition

PAGE_SIZE = 20
CARD_ITEMS = 3  # items pictured on a card; the rest are counted
SYSTEM = Actor(user_id=None, label="system")
ORDER_NOT_FOUND = N_("Order not found.")

# the tabs of /me/orders, in order: key → (label msgid, SQL condition on shop_order o; fixed strings, no input)
TABS: dict[str, tuple[str, str]] = {
    "all": (N_("All"), "TRUE"),
    "unpaid": (N_("Unpaid"), "o.status = 'pending_payment'"),
    "to_ship": (N_("To ship"), "o.status = 'paid'"),
    "to_receive": (N_("To receive"), "o.status IN ('shipped', 'delivered')"),
    "completed": (N_("Completed"), "o.status = 'completed'"),
    # after-sales: for now, paid orders cancelled with a full refund; return/refund requests come with after-sales
    "after_sales": (N_("After-sales"), "o.status = 'cancelled' AND o.paid_at IS NOT NULL"),
}


def _json(value: Any, default: Any) -> Any:
    if value is None:
        return default
    return json.loads(value) if isinstance(value, str) else value


def carrier_name(code: str) -> str:
    """A msgid for a carrier code (the code itself when the seller side does not know it)."""
    try:
        from app.orders.carrier import carrier_name as named  # the seller side's carriers (issue 6, being built)
    except ImportError:
        return code
    return named(code)


def minutes_left(deadline: datetime | None, now: datetime) -> int:
    """Whole minutes until the payment deadline, rounded up (0: the time is up)."""
    if deadline is None:
        return 0
    seconds = (deadline - now).total_seconds()
    return max(0, math.ceil(seconds / 60))


# ---------------------------------------------------------------------------------------------------------------
# counts (the tabs, and the shortcuts on /me)


@dataclass(frozen=True, slots=True)
class Counts:
    all: int = 0
    unpaid: int = 0
    to_ship: int = 0
    to_receive: int = 0
    completed: int = 0
    after_sales: int = 0

    def get(self, tab: str) -> int:
        return int(getattr(self, tab, 0))


async def status_counts(*, buyer_id: int) -> Counts:
    """How many of the buyer's orders each tab holds, in one query."""
    row = await fetchrow(
        "SELECT count(*) AS n_all, "
        "count(*) FILTER (WHERE status = 'pending_payment') AS unpaid, "
        "count(*) FILTER (WHERE status = 'paid') AS to_ship, "
        "count(*) FILTER (WHERE status IN ('shipped', 'delivered')) AS to_receive, "
        "count(*) FILTER (WHERE status = 'completed') AS completed, "
        "count(*) FILTER (WHERE status = 'cancelled' AND paid_at IS NOT NULL) AS after_sales "
        "FROM shop_order WHERE buyer = {}",
        buyer_id,
    )
    if row is None:
        return Counts()
    return Counts(
        all=int(row["n_all"]),
        unpaid=int(row["unpaid"]),
        to_ship=int(row["to_ship"]),
        to_receive=int(row["to_receive"]),
        completed=int(row["completed"]),
        after_sales=int(row["after_sales"]),
    )


# ---------------------------------------------------------------------------------------------------------------
# the list


@dataclass(frozen=True, slots=True)
class Item:
    product_id: int
    title: str
    spec: str
    quantity: int
    unit_price_fen: int
    gross_fen: int
    paid_fen: int
    image_key: str  # "" when the picture's size is no longer known (the template shows a placeholder)
    image_width: int
    image_height: int
    adjustments: tuple[dict[str, Any], ...] = ()


@dataclass
class OrderCard:
    id: int
    no: str
    group_no: str
    shop_id: int
    shop_name: str
    status: str
    delivery: str
    total_fen: int
    pay_deadline_at: datetime | None
    minutes_left: int
    paid_at: datetime | None
    carrier: str
    tracking_no: str
    checkout_shops: list[str]  # every shop of this checkout, this one included (one payment covers them all)
    items: list[Item] = field(default_factory=list)
    quantity: int = 0  # pieces in the whole order

    @property
    def can_pay(self) -> bool:
        return self.status == "pending_payment" and self.minutes_left > 0

    @property
    def can_cancel(self) -> bool:
        return self.status == "pending_payment"

    @property
    def can_confirm(self) -> bool:
        return self.status in ("shipped", "delivered")

    @property
    def has_tracking(self) -> bool:
        return bool(self.tracking_no) and self.status in ("shipped", "delivered", "completed")

    @property
    def refunded(self) -> bool:
        return self.status == "cancelled" and self.paid_at is not None

    @property
    def more_items(self) -> int:
        return max(0, len(self.items) - CARD_ITEMS)


@dataclass
class OrderPage:
    tab: str
    page: int
    has_next: bool
    orders: list[OrderCard]
    counts: Counts


_CARD_SQL = """
SELECT o.id, o.no, o.status, o.delivery, o.total_fen, o.pay_deadline_at, o.paid_at, o.carrier, o.tracking_no,
       o."group" AS group_id, o.shop AS shop_id, s.name AS shop_name, g.no AS group_no
FROM shop_order o JOIN shop s ON s.id = o.shop JOIN order_group g ON g.id = o."group"
WHERE o.buyer = {{}} AND {where}
ORDER BY o.created_at DESC, o.id DESC
LIMIT {{}} OFFSET {{}}
"""

# the picture's size comes from the shop's image space (or the product), by the key the snapshot kept
_ITEMS_SQL = """
SELECT i."order" AS order_id, i.product, i.title, i.spec, i.quantity, i.unit_price_fen, i.gross_fen, i.paid_fen,
       i.adjustments, i.image_key, coalesce(si.width, pi.width, 0) AS width, coalesce(si.height, pi.height, 0) AS height
FROM order_item i JOIN shop_order o ON o.id = i."order"
LEFT JOIN LATERAL (SELECT width, height FROM shop_image WHERE shop = o.shop AND key = i.image_key LIMIT 1) si ON TRUE
LEFT JOIN LATERAL (SELECT width, height FROM product_image WHERE product = i.product AND key = i.image_key LIMIT 1)
     pi ON TRUE
WHERE i."order" = ANY({}::int[]) AND o.buyer = {}
ORDER BY i."order", i.id
"""


def _item(r: dict[str, Any]) -> Item:
    width, height = int(r["width"] or 0), int(r["height"] or 0)
    known = bool(r["image_key"]) and width > 0 and height > 0
    return Item(
        product_id=int(r["product"]),
        title=r["title"],
        spec=r["spec"],
        quantity=int(r["quantity"]),
        unit_price_fen=int(r["unit_price_fen"]),
        gross_fen=int(r["gross_fen"]),
        paid_fen=int(r["paid_fen"]),
        image_key=r["image_key"] if known else "",
        image_width=width if known else 0,
        image_height=height if known else 0,
        adjustments=tuple(_json(r["adjustments"], [])),
    )


async def _items(order_ids: list[int], buyer_id: int) -> dict[int, list[Item]]:
    out: dict[int, list[Item]] = {}
    if not order_ids:
        return out
    for r in await fetch(_ITEMS_SQL, order_ids, buyer_id):
        out.setdefault(int(r["order_id"]), []).append(_item(r))
    return out


async def _checkout_shops(group_ids: list[int], buyer_id: int) -> dict[int, list[str]]:
    rows = await fetch(
        'SELECT o."group" AS group_id, s.name FROM shop_order o JOIN shop s ON s.id = o.shop '
        'WHERE o."group" = ANY({}::int[]) AND o.buyer = {} ORDER BY o.id',
        group_ids,
        buyer_id,
    )
    out: dict[int, list[str]] = {}
    for r in rows:
        out.setdefault(int(r["group_id"]), []).append(r["name"])
    return out


def parse_tab(value: str | None) -> str:
    return value if value in TABS else "all"


def parse_page(value: str | None) -> int:
    text = (value or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 5:
        return 1
    return max(1, int(text))


def _card(r: dict[str, Any], items: list[Item], shops: dict[int, list[str]], now: datetime) -> OrderCard:
    return OrderCard(
        id=int(r["id"]),
        no=r["no"],
        group_no=r["group_no"],
        shop_id=int(r["shop_id"]),
        shop_name=r["shop_name"],
        status=r["status"],
        delivery=r["delivery"],
        total_fen=int(r["total_fen"]),
        pay_deadline_at=r["pay_deadline_at"],
        minutes_left=minutes_left(r["pay_deadline_at"], now) if r["status"] == "pending_payment" else 0,
        paid_at=r["paid_at"],
        carrier=r["carrier"],
        tracking_no=r["tracking_no"],
        checkout_shops=shops.get(int(r["group_id"]), [r["shop_name"]]),
        items=items,
        quantity=sum(i.quantity for i in items),
    )


async def list_orders(*, buyer_id: int, tab: str = "all", page: int = 1) -> OrderPage:
    """One page (20) of the buyer's orders in a tab, newest first, with the tabs' counts."""
    tab = parse_tab(tab)
    page = max(1, page)
    sql = _CARD_SQL.format(where=TABS[tab][1])
    rows = await fetch(sql, buyer_id, PAGE_SIZE + 1, (page - 1) * PAGE_SIZE)
    has_next = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    now = clock.now()
    ids = [int(r["id"]) for r in rows]
    items = await _items(ids, buyer_id)
    shops = await _checkout_shops(sorted({int(r["group_id"]) for r in rows}), buyer_id)
    cards = [_card(r, items.get(int(r["id"]), []), shops, now) for r in rows]
    return OrderPage(tab=tab, page=page, has_next=has_next, orders=cards, counts=await status_counts(buyer_id=buyer_id))


async def order_card(*, buyer_id: int, order_id: int) -> OrderCard:
    """One card, as the list shows it (after an htmx action on it)."""
    rows = await fetch(_CARD_SQL.format(where="o.id = {}"), buyer_id, order_id, 1, 0)
    if not rows:
        raise OrderNotFound(ORDER_NOT_FOUND)
    items = await _items([order_id], buyer_id)
    shops = await _checkout_shops([int(rows[0]["group_id"])], buyer_id)
    return _card(rows[0], items.get(order_id, []), shops, clock.now())


# ---------------------------------------------------------------------------------------------------------------
# the detail


@dataclass(frozen=True, slots=True)
class Discount:
    reason: str  # msgid
    amount_fen: int  # negative


@dataclass(frozen=True, slots=True)
class Track:
    status: str
    description: str  # msgid
    params: dict[str, Any]
    at: datetime


@dataclass(frozen=True, slots=True)
class Sibling:
    id: int
    no: str
    status: str
    shop_name: str
    total_fen: int


@dataclass
class OrderDetail:
    id: int
    no: str
    group_no: str
    shop_id: int
    shop_name: str
    status: str
    delivery: str
    address: dict[str, Any]
    pickup_point: dict[str, Any]
    pickup_code: str
    buyer_note: str
    invoice: dict[str, Any]
    invoice_key: str
    carrier: str
    carrier_name: str  # msgid
    tracking_no: str
    cancel_reason: str  # a msgid or the seller's words
    goods_fen: int
    discount_fen: int
    shipping_fen: int
    total_fen: int
    discounts: list[Discount]
    items: list[Item]
    created_at: datetime
    pay_deadline_at: datetime | None
    minutes_left: int
    paid_at: datetime | None
    shipped_at: datetime | None
    delivered_at: datetime | None
    completed_at: datetime | None
    cancelled_at: datetime | None
    auto_confirm_at: datetime | None
    tracking: list[Track]
    siblings: list[Sibling]  # the other orders of the same checkout

    @property
    def can_pay(self) -> bool:
        return self.status == "pending_payment" and self.minutes_left > 0

    @property
    def can_cancel(self) -> bool:
        return self.status == "pending_payment"

    @property
    def can_confirm(self) -> bool:
        return self.status in ("shipped", "delivered")

    @property
    def refunded(self) -> bool:
        return self.status == "cancelled" and self.paid_at is not None

    @property
    def show_pickup_code(self) -> bool:
        return self.delivery == "pickup" and bool(self.pickup_code) and self.status == "paid"

    @property
    def checkout_shops(self) -> list[str]:
        return [self.shop_name, *(s.shop_name for s in self.siblings)]


def _discounts(items: list[Item]) -> list[Discount]:
    """Each discount once, with its whole amount: the engine spread it over the lines it covered."""
    totals: dict[str, int] = {}
    for item in items:
        for adj in item.adjustments:
            reason = str(adj.get("reason") or "")
            totals[reason] = totals.get(reason, 0) + int(adj.get("amount_fen") or 0)
    return [Discount(reason, amount) for reason, amount in totals.items() if amount]


async def order_detail(*, buyer_id: int, order_id: int) -> OrderDetail:
    """One of the buyer's orders, whole. Another buyer's order is not found."""
    r = await fetchrow(
        "SELECT o.*, s.name AS shop_name, g.no AS group_no FROM shop_order o JOIN shop s ON s.id = o.shop "
        'JOIN order_group g ON g.id = o."group" WHERE o.id = {} AND o.buyer = {}',
        order_id,
        buyer_id,
    )
    if r is None:
        raise OrderNotFound(ORDER_NOT_FOUND)
    now = clock.now()
    items = (await _items([order_id], buyer_id)).get(order_id, [])
    tracking = await fetch(
        'SELECT status, description, params, at FROM tracking_event WHERE "order" = {} AND at <= {} '
        "ORDER BY at DESC, id DESC",
        order_id,
        now,
    )
    siblings = await fetch(
        "SELECT o.id, o.no, o.status, o.total_fen, s.name AS shop_name FROM shop_order o JOIN shop s ON s.id = o.shop "
        'WHERE o."group" = {} AND o.buyer = {} AND o.id <> {} ORDER BY o.id',
        r["group"],
        buyer_id,
        order_id,
    )
    return OrderDetail(
        id=int(r["id"]),
        no=r["no"],
        group_no=r["group_no"],
        shop_id=int(r["shop"]),
        shop_name=r["shop_name"],
        status=r["status"],
        delivery=r["delivery"],
        address=_json(r["address"], {}),
        pickup_point=_json(r["pickup_point"], {}),
        pickup_code=r["pickup_code"] or "",
        buyer_note=r["buyer_note"] or "",
        invoice=_json(r["invoice"], {}),
        invoice_key=r["invoice_key"] or "",
        carrier=r["carrier"] or "",
        carrier_name=carrier_name(r["carrier"]) if r["carrier"] else "",
        tracking_no=r["tracking_no"] or "",
        cancel_reason=r["cancel_reason"] or "",
        goods_fen=int(r["goods_fen"]),
        discount_fen=int(r["discount_fen"]),
        shipping_fen=int(r["shipping_fen"]),
        total_fen=int(r["total_fen"]),
        discounts=_discounts(items),
        items=items,
        created_at=r["created_at"],
        pay_deadline_at=r["pay_deadline_at"],
        minutes_left=minutes_left(r["pay_deadline_at"], now) if r["status"] == "pending_payment" else 0,
        paid_at=r["paid_at"],
        shipped_at=r["shipped_at"],
        delivered_at=r["delivered_at"],
        completed_at=r["completed_at"],
        cancelled_at=r["cancelled_at"],
        auto_confirm_at=r["auto_confirm_at"],
        tracking=[Track(t["status"], t["description"], _json(t["params"], {}), t["at"]) for t in tracking],
        siblings=[Sibling(int(s["id"]), s["no"], s["status"], s["shop_name"], int(s["total_fen"])) for s in siblings],
    )


async def invoice_for_download(*, buyer_id: int, order_id: int) -> tuple[str, str]:
    """(order no., storage key) of the invoice the shop uploaded; not found when the order is someone else's or the
    shop has not uploaded one yet."""
    row = await fetchrow("SELECT no, invoice_key FROM shop_order WHERE id = {} AND buyer = {}", order_id, buyer_id)
    if row is None:
        raise OrderNotFound(ORDER_NOT_FOUND)
    if not row["invoice_key"]:
        raise NotFound(N_("The shop has not uploaded the invoice yet."))
    return row["no"], row["invoice_key"]


# ---------------------------------------------------------------------------------------------------------------
# confirming receipt


async def _complete(order_id: int, status: str, *, action: str, actor: Actor, buyer_id: int | None = None) -> None:
    """shipped → delivered → completed (both events recorded), or delivered → completed. The row is locked already."""
    if status == "shipped":
        await transition(order_id=order_id, to="delivered", action=action, actor=actor, buyer_id=buyer_id)
    await transition(
        order_id=order_id, to="completed", action=action, actor=actor, buyer_id=buyer_id, expect={"delivered"}
    )


async def confirm_receipt(*, buyer_id: int, order_id: int, actor: Actor) -> bool:
    """The buyer confirms the goods arrived: the order is completed. True when it was completed now; False when it
    was completed already (a second click, or the auto-confirm sweep got there first). Another buyer's order is not
    found; an order not shipped yet is refused with a clear message."""
    async with engine().transaction():
        row = await fetchrow(
            "SELECT id, status FROM shop_order WHERE id = {} AND buyer = {} FOR UPDATE", order_id, buyer_id
        )
        if row is None:
            raise OrderNotFound(ORDER_NOT_FOUND)
        status = row["status"]
        if status == "completed":
            return False
        if status not in ("shipped", "delivered"):
            if status == "cancelled":
                raise IllegalTransition(N_("This order was cancelled, so there is nothing to receive."))
            raise IllegalTransition(N_("You can confirm receipt once the order has been shipped."))
        await _complete(order_id, status, action="confirmed_by_buyer", actor=actor, buyer_id=buyer_id)
    return True


async def auto_confirm(*, batch: int = 100) -> int:
    """The worker's sweep: complete shipped or delivered orders whose auto-confirm time has passed. Safe with several
    workers and against the buyer confirming at the same moment (SKIP LOCKED; the status is the guard, so running
    it again changes nothing). Returns how many orders it completed."""
    done = 0
    while True:
        async with engine().transaction():
            rows = await fetch(
                "SELECT id, status FROM shop_order WHERE status IN ('shipped', 'delivered') AND auto_confirm_at <= {} "
                "ORDER BY id LIMIT {} FOR UPDATE SKIP LOCKED",
                clock.now(),
                batch,
            )
            for row in rows:
                await _complete(row["id"], row["status"], action="auto_confirmed", actor=SYSTEM)
                done += 1
        if len(rows) < batch:
            return done
