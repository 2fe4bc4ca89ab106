"""The seller's side of an order's life: the shop's order list (tabs, search, pages) and detail, shipping (one or a
batch, each order on its own), cancelling a paid order with a full refund, the self-pickup handover (pickup code),
printable packing lists and labels, and the worker's sweep that marks parcels delivered.

Every query is filtered by the shop id: another shop's order is simply not found (404). Every state change goes
through states.transition, in one transaction with its audit row; notifications to the buyer go out after commit.

Permissions (declared on the routes, see app/sellers/permissions.py): reading needs orders.view; shipping, printing,
the pickup handover and invoice uploads need orders.ship (the people who pack and hand over the goods); cancelling
a paid order needs aftersales.handle, because it gives the buyer's money back — the same people who handle refunds
after delivery (owner, manager, customer service), not the warehouse."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from app.config import get_settings
from app.core import clock, ratelimit
from app.core.db import engine, fetch, fetchrow
from app.core.errors import NotFound, RateLimited, ValidationFailed
from app.core.i18n import N_
from app.core.principal import Actor
from app.orders import carrier as carriers
from app.orders.errors import IllegalTransition
from app.orders.states import transition

PAGE_SIZE = 20
TABS = ("all", "pending_payment", "paid", "shipped", "delivered", "completed", "cancelled")
MAX_BATCH = 50  # orders shipped or printed at once
MAX_REASON = 200
PICKUP_WINDOW = 15 * 60  # seconds
PICKUP_MAX_FAILURES = 20  # wrong codes per shop per window: 10^8 codes stay out of reach
ORDER_NOT_FOUND = N_("Order not found.")
SYSTEM = Actor(user_id=None, label="system")

_REFUSE_SHIP = {
    "pending_payment": N_("This order has not been paid yet, so it cannot be shipped."),
    "shipped": N_("This order has already been shipped."),
    "delivered": N_("This order has already been delivered."),
    "completed": N_("This order is already completed."),
    "cancelled": N_("This order has been cancelled."),
}
_REFUSE_CANCEL = {
    "pending_payment": N_("This order has not been paid: the buyer cancels it, or it lapses at the payment deadline."),
    "shipped": N_("This order has already been shipped: the buyer can ask for a refund after receiving it."),
    "delivered": N_("This order has already been delivered: the buyer can ask for a refund instead."),
    "completed": N_("This order is already completed: the buyer can ask for a refund instead."),
    "cancelled": N_("This order has already been cancelled."),
}


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


def _json(value: Any, default: Any) -> Any:
    if value is None:
        return default
    return json.loads(value) if isinstance(value, str) else value


_ROW_COLUMNS = (
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
                adjustments=_json(r["adjustments"], []),
            )
        )
    return out


async def _rows(rows: list[dict[str, Any]]) -> list[OrderRow]:
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
            address=_json(r["address"], {}),
            pickup_point=_json(r["pickup_point"], {}),
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
        f"SELECT {_ROW_COLUMNS} FROM shop_order o JOIN app_user u ON u.id = o.buyer "  # noqa: S608 (fixed columns)
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
    return OrderPage(await _rows(rows[:PAGE_SIZE]), page, len(rows) > PAGE_SIZE)


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
    return [TrackingView(r["status"], r["description"], _json(r["params"], {}), r["at"]) for r in rows]


_TIMES = ("paid_at", "shipped_at", "delivered_at", "completed_at", "cancelled_at", "auto_confirm_at")


async def order_detail(*, shop_id: int, order_id: int) -> OrderDetail:
    row = await fetchrow(
        f"SELECT {_ROW_COLUMNS}, o.goods_fen, o.discount_fen, o.shipping_fen, o.invoice, o.invoice_key, "  # noqa: S608
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
        order=(await _rows([row]))[0],
        buyer_id=int(row["buyer"]),
        buyer_name=row["buyer_name"] or "",
        goods_fen=int(row["goods_fen"]),
        discount_fen=int(row["discount_fen"]),
        shipping_fen=int(row["shipping_fen"]),
        invoice=_json(row["invoice"], {}),
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
        f"SELECT {_ROW_COLUMNS} FROM shop_order o WHERE o.shop = {{}} AND o.id = ANY({{}}::int[])",  # noqa: S608
        shop_id,
        ids,
    )
    if len(rows) != len(ids):
        raise NotFound(ORDER_NOT_FOUND)
    by_id = {r["id"]: r for r in rows}
    return await _rows([by_id[i] for i in ids])


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


async def _sender(shop_id: int) -> tuple[Sender, str]:
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
    sender, _city = await _sender(shop_id)
    return PrintSheet(sender.name, sender, orders, {o.id: carriers.itf_bars(o.no) for o in orders})


# ---------------------------------------------------------------------------------------------------------------
# shipping


@dataclass(frozen=True, slots=True)
class ShipRequest:
    order_id: int
    carrier: str
    tracking_no: str


@dataclass(frozen=True, slots=True)
class ShipResult:
    order_id: int
    ok: bool
    errors: dict[str, str]  # field → msgid ("__all__" for the order itself)
    params: dict[str, Any]


def check_shipment(carrier: str, tracking_no: str) -> tuple[str, str]:
    """(carrier code, normalised tracking no.) or ValidationFailed with both fields' messages."""
    carrier = (carrier or "").strip()
    tracking_no = carriers.normalise_tracking_no(tracking_no)
    errors: dict[str, str] = {}
    if carrier not in carriers.BY_CODE:
        errors["carrier"] = N_("Choose the carrier.")
    if not tracking_no:
        errors["tracking_no"] = N_("Enter the tracking number.")
    elif not carriers.valid_tracking_no(tracking_no):
        errors["tracking_no"] = N_("A tracking number is 6 to 30 letters or digits.")
    if errors:
        raise ValidationFailed(errors)
    return carrier, tracking_no


async def _lock(shop_id: int, order_id: int) -> dict[str, Any]:
    row = await fetchrow(
        "SELECT id, no, buyer, status, delivery, address, pickup_code, total_fen FROM shop_order "
        "WHERE id = {} AND shop = {} FOR UPDATE",
        order_id,
        shop_id,
    )
    if row is None:
        raise NotFound(ORDER_NOT_FOUND)
    return row


async def _audit(actor: Actor, action: str, order_id: int, before: dict[str, Any], after: dict[str, Any]) -> None:
    from app.moderation.services import record_audit

    await record_audit(actor=actor, action=action, target_type="order", target_id=order_id, before=before, after=after)


async def _notify_buyer(buyer_id: int, order_id: int, kind: str, title: str, body: str, **params: Any) -> None:
    from app.messaging.services import notify

    await notify(user_id=buyer_id, kind=kind, title=title, body=body, params=params, link=f"/me/orders/{order_id}")


async def ship_order(*, actor: Actor, shop_id: int, order_id: int, carrier: str, tracking_no: str) -> str:
    """Hand a paid express order to the carrier: paid → shipped with the carrier and tracking no., receipt to be
    confirmed automatically after Settings.auto_confirm_days, and the carrier's tracking events planned. Returns the
    order no."""
    carrier, tracking_no = check_shipment(carrier, tracking_no)
    async with engine().transaction():
        order = await _lock(shop_id, order_id)
        if order["delivery"] != "express":
            raise IllegalTransition(N_("A pickup order is handed over in the shop with its pickup code, not shipped."))
        if order["status"] != "paid":
            raise IllegalTransition(_REFUSE_SHIP.get(order["status"], _REFUSE_SHIP["cancelled"]))
        auto_confirm = clock.now() + timedelta(days=get_settings().auto_confirm_days)
        done = await transition(
            order_id=order_id,
            to="shipped",
            action="shipped",
            actor=actor,
            expect={"paid"},
            shop_id=shop_id,
            extra={"carrier": carrier, "tracking_no": tracking_no, "auto_confirm_at": auto_confirm},
        )
        origin = (await _sender(shop_id))[1]
        address = _json(order["address"], {})
        plan = carriers.get_carrier().plan(
            carrier=carrier,
            tracking_no=tracking_no,
            shipped_at=done.at,
            origin_city=origin,
            destination_city=str(address.get("city") or address.get("province") or ""),
        )
        for event in plan:
            await fetch(
                'INSERT INTO tracking_event ("order", status, description, params, at) '
                "VALUES ({}, {}, {}, {}::jsonb, {})",
                order_id,
                event.status,
                event.description,
                json.dumps(event.params, ensure_ascii=False),
                event.at,
            )
        await _audit(actor, "order.ship", order_id, {"status": "paid"},
                     {"status": "shipped", "carrier": carrier, "tracking_no": tracking_no})  # fmt: skip
    await _notify_buyer(
        order["buyer"],
        order_id,
        "order_shipped",
        N_("Order %(no)s has been shipped"),
        N_("%(carrier)s, tracking number %(tracking_no)s."),
        no=order["no"],
        carrier=carriers.carrier_name(carrier),
        tracking_no=tracking_no,
    )
    return str(order["no"])


async def ship_many(*, actor: Actor, shop_id: int, requests: Sequence[ShipRequest]) -> list[ShipResult]:
    """Ship each order in its own transaction: one bad row reports its own error and blocks none of the others."""
    from app.core.errors import DomainError

    if len(requests) > MAX_BATCH:
        raise ValidationFailed({"__all__": N_("Ship at most 50 orders at once.")})
    results: list[ShipResult] = []
    for req in requests:
        try:
            await ship_order(
                actor=actor, shop_id=shop_id, order_id=req.order_id, carrier=req.carrier, tracking_no=req.tracking_no
            )
        except ValidationFailed as exc:
            results.append(ShipResult(req.order_id, False, dict(exc.errors), {}))
        except NotFound:
            raise
        except DomainError as exc:
            results.append(ShipResult(req.order_id, False, {"__all__": exc.message}, dict(exc.params)))
        else:
            results.append(ShipResult(req.order_id, True, {}, {}))
    return results


async def deliver_due(*, batch: int = 100) -> int:
    """The worker's sweep: shipped orders whose carrier says "delivered" (an event whose time has passed) become
    delivered. SKIP LOCKED, so several workers share the work; a second run finds nothing to do."""
    done = 0
    while True:
        async with engine().transaction():
            rows = await fetch(
                "SELECT o.id, o.no, o.buyer FROM shop_order o WHERE o.status = 'shipped' AND EXISTS "
                "(SELECT 1 FROM tracking_event t WHERE t.\"order\" = o.id AND t.status = 'delivered' AND t.at <= {}) "
                "ORDER BY o.id LIMIT {} FOR UPDATE OF o SKIP LOCKED",
                clock.now(),
                batch,
            )
            for r in rows:
                await transition(order_id=r["id"], to="delivered", action="delivered", actor=SYSTEM, expect={"shipped"})
        for r in rows:
            await _notify_buyer(
                r["buyer"],
                r["id"],
                "order_delivered",
                N_("Order %(no)s has been delivered"),
                N_("Please confirm receipt once you have checked it."),
                no=r["no"],
            )
        done += len(rows)
        if len(rows) < batch:
            return done


# ---------------------------------------------------------------------------------------------------------------
# cancelling a paid order


def check_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed({"reason": N_("Tell the buyer why the order is cancelled.")})
    if len(reason) > MAX_REASON:
        raise ValidationFailed({"reason": N_("The reason is at most 200 characters.")})
    return reason


async def cancel_paid_order(*, actor: Actor, shop_id: int, order_id: int, reason: str) -> str:
    """Cancel a paid, not yet shipped order: in one transaction the state change, the stock back and a pending full
    refund of the order's total (sent after commit); all or nothing. Returns the order no."""
    from app.orders.services import restock
    from app.payments import services as payments

    reason = check_reason(reason)
    refund_id = None
    async with engine().transaction():
        order = await _lock(shop_id, order_id)
        if order["status"] != "paid":
            raise IllegalTransition(_REFUSE_CANCEL.get(order["status"], _REFUSE_CANCEL["cancelled"]))
        await transition(
            order_id=order_id,
            to="cancelled",
            action="cancelled_by_shop",
            actor=actor,
            reason=reason,
            expect={"paid"},
            shop_id=shop_id,
            extra={"cancel_reason": reason},
        )
        await restock(order_ids=[order_id])
        total = int(order["total_fen"])
        if total > 0:
            refund_id = await payments.request_refund(
                order_id=order_id, amount_fen=total, reason=reason, key=f"cancel:{order_id}"
            )
        await _audit(actor, "order.cancel_paid", order_id, {"status": "paid"},
                     {"status": "cancelled", "reason": reason, "refund_fen": total, "refund": refund_id})  # fmt: skip
    if refund_id is not None:
        payments.schedule_refunds()
    await _notify_buyer(
        order["buyer"],
        order_id,
        "order_cancelled_by_shop",
        N_("Order %(no)s has been cancelled by the shop"),
        N_("Reason: %(reason)s. The full amount is being refunded."),
        no=order["no"],
        reason=reason,
    )
    return str(order["no"])


# ---------------------------------------------------------------------------------------------------------------
# self-pickup (自提)

_CODE = re.compile(r"^\d{8}$")


def normalise_code(raw: str) -> str:
    return re.sub(r"\s", "", raw or "")


def _pickup_key(shop_id: int) -> str:
    return f"pickup-code:{shop_id}"


async def _check_pickup_rate(shop_id: int) -> None:
    if await ratelimit.count(_pickup_key(shop_id), window=PICKUP_WINDOW) >= PICKUP_MAX_FAILURES:
        raise RateLimited(N_("Too many wrong pickup codes. Please wait a few minutes and try again."))


async def _wrong_code(shop_id: int, message: str) -> ValidationFailed:
    await ratelimit.hit(_pickup_key(shop_id), window=PICKUP_WINDOW)
    return ValidationFailed({"code": message})


WRONG_CODE = N_("No order of this shop is waiting for pickup with this code. Check the code and try again.")


async def find_pickup(*, shop_id: int, code: str) -> list[OrderRow]:
    """The shop's pickup order(s) awaiting handover with this code. Wrong codes count against the shop's limit."""
    code = normalise_code(code)
    await _check_pickup_rate(shop_id)
    if not _CODE.match(code):
        raise ValidationFailed({"code": N_("A pickup code is 8 digits.")})
    rows = await fetch(
        f"SELECT {_ROW_COLUMNS} FROM shop_order o WHERE o.shop = {{}} AND o.delivery = 'pickup' "  # noqa: S608
        "AND o.pickup_code = {} AND o.status IN ('paid', 'delivered', 'completed') ORDER BY o.id",
        shop_id,
        code,
    )
    waiting = [r for r in rows if r["status"] == "paid"]
    if waiting:
        return await _rows(waiting)
    if rows:
        raise ValidationFailed({"code": N_("The order with this code has already been handed over.")})
    raise await _wrong_code(shop_id, WRONG_CODE)


async def hand_over(*, actor: Actor, shop_id: int, order_id: int, code: str) -> str:
    """The buyer collected the order: paid → delivered (picked_up) → completed, after checking the code again (the
    form's hidden order id alone is not enough). Returns the order no."""
    code = normalise_code(code)
    await _check_pickup_rate(shop_id)
    found = await fetchrow(
        "SELECT pickup_code, delivery FROM shop_order WHERE id = {} AND shop = {}", order_id, shop_id
    )
    if found is None:
        raise NotFound(ORDER_NOT_FOUND)
    if found["delivery"] != "pickup" or not _CODE.match(code) or found["pickup_code"] != code:
        raise await _wrong_code(shop_id, WRONG_CODE)
    async with engine().transaction():
        order = await _lock(shop_id, order_id)
        if order["status"] != "paid":
            raise IllegalTransition(N_("The order with this code has already been handed over."))
        await transition(
            order_id=order_id, to="delivered", action="picked_up", actor=actor, expect={"paid"}, shop_id=shop_id
        )
        await transition(order_id=order_id, to="completed", action="completed", actor=actor, shop_id=shop_id)
        await _audit(actor, "order.picked_up", order_id, {"status": "paid"}, {"status": "completed"})
    await _notify_buyer(
        order["buyer"],
        order_id,
        "order_picked_up",
        N_("Order %(no)s has been picked up"),
        N_("Thank you for shopping with us."),
        no=order["no"],
    )
    return str(order["no"])
