"""Reading the shop's orders: the list (tabs, search, pages), the detail, the batch form's rows and the printables.
Every query is filtered by the shop id."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.core import clock
from app.core.db import fetch, fetchrow
from app.core.errors import NotFound
from app.core.i18n import N_
from app.orders import carrier as carriers

PAGE_SIZE = 20
TABS = ("all", "pending_payment", "paid", "shipped", "delivered", "completed", "cancelled")
MAX_BATCH = 50  # orders shipped or printed at once
MAX_REASON = 200
ORDER_NOT_FOUND = N_("Order not found.")


# ---------------------------------------------------------------------------------------------------------------
# reading


@dataclass(frozen=True, slots=True)
class ItemView:
    title: str
    spec: str
    image_key: str
    quantity: int
    unit_price_fen: int
    gross_fen: int
    paid_fen: int
    adjustments: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class OrderRow:
    id: int
    no: str
    status: str
    created_at: datetime
    total_fen: int
    delivery: str
    buyer_note: str
    address: dict[str, Any]
    pickup_point: dict[str, Any]
    carrier: str
    tracking_no: str
    items: list[ItemView]

    @property
    def receiver(self) -> str:
        return str(self.address.get("receiver", ""))

    @property
    def mobile(self) -> str:
        return str(self.address.get("mobile", ""))


@dataclass(frozen=True, slots=True)
class OrderPage:
    rows: list[OrderRow]
    page: int
    has_next: bool


@dataclass(frozen=True, slots=True)
class TrackingView:
    status: str
    description: str  # msgid
    params: dict[str, Any]
    at: datetime


@dataclass(frozen=True, slots=True)
class EventView:
    actor: int | None
    from_status: str
    to_status: str
    action: str
    actor_label: str
    reason: str
    at: datetime


@dataclass(frozen=True, slots=True)
class OrderDetail:
    order: OrderRow
    buyer_id: int
    buyer_name: str
    goods_fen: int
    discount_fen: int
    shipping_fen: int
    invoice: dict[str, Any]
    has_invoice_pdf: bool
    cancel_reason: str
    times: dict[str, datetime | None]  # paid_at, shipped_at, ... auto_confirm_at
    events: list[EventView]
    tracking: list[TrackingView]


def from_json(value: Any, default: Any) -> Any:
    if value is None:
        return default
    return json.loads(value) if isinstance(value, str) else value


ROW_COLUMNS = (
    "o.id, o.no, o.status, o.created_at, o.total_fen, o.delivery, o.buyer_note, o.address, o.pickup_point, "
    "o.carrier, o.tracking_no"
)


async def _items(order_ids: Sequence[int]) -> dict[int, list[ItemView]]:
    rows = await fetch(
        'SELECT "order", title, spec, image_key, quantity, unit_price_fen, gross_fen, paid_fen, adjustments '
        'FROM order_item WHERE "order" = ANY({}::int[]) ORDER BY id',
        list(order_ids),
    )
    out: dict[int, list[ItemView]] = {}
    for r in rows:
        out.setdefault(r["order"], []).append(
            ItemView(
                title=r["title"],
                spec=r["spec"],
                image_key=r["image_key"],
                quantity=int(r["quantity"]),
                unit_price_fen=int(r["unit_price_fen"]),
                gross_fen=int(r["gross_fen"]),
                paid_fen=int(r["paid_fen"]),
                adjustments=from_json(r["adjustments"], []),
            )
        )
    return out


async def order_rows(rows: list[dict[str, Any]]) -> list[OrderRow]:
    items = await _items([r["id"] for r in rows])
    return [
        OrderRow(
            id=r["id"],
            no=r["no"],
            status=r["status"],
            created_at=r["created_at"],
            total_fen=int(r["total_fen"]),
            delivery=r["delivery"],
            buyer_note=r["buyer_note"],
            address=from_json(r["address"], {}),
            pickup_point=from_json(r["pickup_point"], {}),
            carrier=r["carrier"],
            tracking_no=r["tracking_no"],
            items=items.get(r["id"], []),
        )
        for r in rows
    ]


def _pattern(q: str) -> str:
    return q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def list_orders(*, shop_id: int, tab: str = "all", q: str = "", page: int = 1) -> OrderPage:
    """One tab of the shop's orders, newest first. q matches the start of an order no., the buyer's phone or email,
    or the receiver's name or mobile in the delivery address."""
    status = tab if tab in TABS and tab != "all" else None
    page = max(1, min(page, 10_000))
    q = q.strip()[:64]
    like = f"%{_pattern(q)}%" if q else None
    prefix = f"{_pattern(q)}%" if q else None
    rows = await fetch(
        f"SELECT {ROW_COLUMNS} FROM shop_order o JOIN app_user u ON u.id = o.buyer "  # noqa: S608 (fixed columns)
        "WHERE o.shop = {} AND ({}::text IS NULL OR o.status = {}) AND ({}::text IS NULL OR o.no LIKE {} "
        "OR u.phone LIKE {} OR u.email ILIKE {} OR o.address->>'receiver' ILIKE {} OR o.address->>'mobile' LIKE {}) "
        "ORDER BY o.created_at DESC, o.id DESC LIMIT {} OFFSET {}",
        shop_id,
        status,
        status,
        like,
        prefix,
        like,
        like,
        like,
        like,
        PAGE_SIZE + 1,
        (page - 1) * PAGE_SIZE,
    )
    return OrderPage(await order_rows(rows[:PAGE_SIZE]), page, len(rows) > PAGE_SIZE)


async def tab_counts(*, shop_id: int) -> dict[str, int]:
    counts = dict.fromkeys(TABS, 0)
    for r in await fetch("SELECT status, count(*) AS n FROM shop_order WHERE shop = {} GROUP BY status", shop_id):
        counts[r["status"]] = int(r["n"])
        counts["all"] += int(r["n"])
    return counts


async def visible_tracking(*, order_id: int) -> list[TrackingView]:
    """The carrier's events whose time has come, newest first (the sandbox plans the later ones ahead)."""
    rows = await fetch(
        'SELECT status, description, params, at FROM tracking_event WHERE "order" = {} AND at <= {} '
        "ORDER BY at DESC, id DESC",
        order_id,
        clock.now(),
    )
    return [TrackingView(r["status"], r["description"], from_json(r["params"], {}), r["at"]) for r in rows]


_TIMES = ("paid_at", "shipped_at", "delivered_at", "completed_at", "cancelled_at", "auto_confirm_at")


async def order_detail(*, shop_id: int, order_id: int) -> OrderDetail:
    row = await fetchrow(
        f"SELECT {ROW_COLUMNS}, o.goods_fen, o.discount_fen, o.shipping_fen, o.invoice, o.invoice_key, "  # noqa: S608
        "o.cancel_reason, o.paid_at, o.shipped_at, o.delivered_at, o.completed_at, o.cancelled_at, o.auto_confirm_at, "
        "o.buyer, u.display_name AS buyer_name FROM shop_order o JOIN app_user u ON u.id = o.buyer "
        "WHERE o.id = {} AND o.shop = {}",
        order_id,
        shop_id,
    )
    if row is None:
        raise NotFound(ORDER_NOT_FOUND)
    events = await fetch(
        'SELECT actor, from_status, to_status, action, actor_label, reason, at FROM order_event WHERE "order" = {} '
        "ORDER BY at, id",
        order_id,
    )
    return OrderDetail(
        order=(await order_rows([row]))[0],
        buyer_id=int(row["buyer"]),
        buyer_name=row["buyer_name"] or "",
        goods_fen=int(row["goods_fen"]),
        discount_fen=int(row["discount_fen"]),
        shipping_fen=int(row["shipping_fen"]),
        invoice=from_json(row["invoice"], {}),
        has_invoice_pdf=bool(row["invoice_key"]),
        cancel_reason=row["cancel_reason"],
        times={k: row[k] for k in _TIMES},
        events=[EventView(**e) for e in events],
        tracking=await visible_tracking(order_id=order_id),
    )


async def shippable_orders(*, shop_id: int, order_ids: Sequence[int]) -> list[OrderRow]:
    """The batch form's rows: these orders of the shop (another shop's id: not found), in the order given."""
    return await _shop_rows(shop_id, order_ids)


async def _shop_rows(shop_id: int, order_ids: Sequence[int]) -> list[OrderRow]:
    ids = list(dict.fromkeys(order_ids))
    if not ids or len(ids) > MAX_BATCH:
        raise NotFound(ORDER_NOT_FOUND)
    rows = await fetch(
        f"SELECT {ROW_COLUMNS} FROM shop_order o WHERE o.shop = {{}} AND o.id = ANY({{}}::int[])",  # noqa: S608
        shop_id,
        ids,
    )
    if len(rows) != len(ids):
        raise NotFound(ORDER_NOT_FOUND)
    by_id = {r["id"]: r for r in rows}
    return await order_rows([by_id[i] for i in ids])


def parse_ids(values: Iterable[str]) -> list[int]:
    """Order ids from a query string or form: `ids=1,2,3` and/or repeated `ids`. Anything else is not found."""
    out: list[int] = []
    for value in values:
        for part in str(value).split(","):
            text = part.strip()
            if not text:
                continue
            if not text.isascii() or not text.isdigit() or len(text) > 10:
                raise NotFound(ORDER_NOT_FOUND)
            out.append(int(text))
    return list(dict.fromkeys(out))


# ---------------------------------------------------------------------------------------------------------------
# printing


@dataclass(frozen=True, slots=True)
class Sender:
    name: str
    address: str
    phone: str


@dataclass(frozen=True, slots=True)
class PrintSheet:
    shop_name: str
    sender: Sender
    orders: list[OrderRow]
    barcodes: dict[int, tuple[list[tuple[int, int]], int] | None]


async def shop_sender(shop_id: int) -> tuple[Sender, str]:
    """The shop as sender (its first active pickup point gives an address and phone), and its city's name."""
    from app.accounts import regions
    from app.sellers.shipping import pickup_points

    shop = await fetchrow("SELECT name FROM shop WHERE id = {}", shop_id)
    name = shop["name"] if shop else ""
    points = (await pickup_points([shop_id], active_only=True)).get(shop_id, [])
    if not points:
        return Sender(name, "", ""), ""
    point = points[0]
    city = regions.get(point.city_code)
    return Sender(name, point.address, point.phone), (city.name if city else "")


async def printables(*, shop_id: int, order_ids: Sequence[int]) -> PrintSheet:
    """Packing lists and labels for these orders of the shop; any id that is not the shop's: not found."""
    orders = await _shop_rows(shop_id, order_ids)
    sender, _city = await shop_sender(shop_id)
    return PrintSheet(sender.name, sender, orders, {o.id: carriers.itf_bars(o.no) for o in orders})
