"""One of the buyer's orders, whole: price breakdown from the items' snapshots, times, the tracking events whose time
has come, the other orders of the same checkout; and the invoice the shop uploaded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.core import clock
from app.core.db import fetch, fetchrow
from app.core.errors import NotFound
from app.core.i18n import N_
from app.orders.buyer._list import ORDER_NOT_FOUND, BuyerActions, Item, _items, _json, carrier_name, minutes_left
from app.orders.errors import OrderNotFound


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
class OrderDetail(BuyerActions):
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
