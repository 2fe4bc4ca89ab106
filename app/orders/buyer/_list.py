"""The tabs of /me/orders, their counts (also the shortcuts on /me), and one page of order cards."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.core import clock
from app.core.db import fetch, fetchrow
from app.core.i18n import N_
from app.orders.errors import OrderNotFound

PAGE_SIZE = 20
CARD_ITEMS = 3  # items pictured on a card; the rest are counted
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
    id: int = 0  # the order item's id (reviews and after-sales hang off it)
    stock_source: str = ""  # "gift:<promotion>" marks a free gift


class BuyerActions:
    """What the buyer may do with an order, the same on its card and its detail page."""

    status: str
    minutes_left: int

    @property
    def can_pay(self) -> bool:
        return self.status == "pending_payment" and self.minutes_left > 0

    @property
    def can_cancel(self) -> bool:
        return self.status == "pending_payment"

    @property
    def can_confirm(self) -> bool:
        return self.status in ("shipped", "delivered")


@dataclass
class OrderCard(BuyerActions):
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
SELECT i.id, i."order" AS order_id, i.stock_source, i.product, i.title, i.spec, i.quantity, i.unit_price_fen,
       i.gross_fen, i.paid_fen, i.adjustments, i.image_key,
       coalesce(si.width, pi.width, 0) AS width, coalesce(si.height, pi.height, 0) AS height
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
        id=int(r["id"]),
        stock_source=r["stock_source"] or "",
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
