"""Changing an order for the shop: ship one or a batch, cancel a paid order with a full refund, and the worker's
sweep that marks parcels delivered. One transaction per order, with its audit row; the buyer is told after commit."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.core.errors import NotFound, ValidationFailed
from app.core.i18n import N_
from app.core.principal import Actor
from app.operations.settings import setting
from app.orders import carrier as carriers
from app.orders.errors import IllegalTransition
from app.orders.fulfilment._reading import MAX_BATCH, MAX_REASON, ORDER_NOT_FOUND, from_json, shop_sender
from app.orders.states import transition

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


async def lock_order(shop_id: int, order_id: int) -> dict[str, Any]:
    row = await fetchrow(
        "SELECT id, no, buyer, status, delivery, address, pickup_code, total_fen FROM shop_order "
        "WHERE id = {} AND shop = {} FOR UPDATE",
        order_id,
        shop_id,
    )
    if row is None:
        raise NotFound(ORDER_NOT_FOUND)
    return row


async def audit(actor: Actor, action: str, order_id: int, before: dict[str, Any], after: dict[str, Any]) -> None:
    from app.moderation.services import record_audit

    await record_audit(actor=actor, action=action, target_type="order", target_id=order_id, before=before, after=after)


async def notify_buyer(buyer_id: int, order_id: int, kind: str, title: str, body: str, **params: Any) -> None:
    from app.messaging.services import notify

    await notify(user_id=buyer_id, kind=kind, title=title, body=body, params=params, link=f"/me/orders/{order_id}")


async def ship_order(*, actor: Actor, shop_id: int, order_id: int, carrier: str, tracking_no: str) -> str:
    """Hand a paid express order to the carrier: paid → shipped with the carrier and tracking no., receipt to be
    confirmed automatically after the orders.auto_confirm_days setting, and the carrier's tracking events planned.
    Returns the order no."""
    carrier, tracking_no = check_shipment(carrier, tracking_no)
    async with engine().transaction():
        order = await lock_order(shop_id, order_id)
        if order["delivery"] != "express":
            raise IllegalTransition(N_("A pickup order is handed over in the shop with its pickup code, not shipped."))
        if order["status"] != "paid":
            raise IllegalTransition(_REFUSE_SHIP.get(order["status"], _REFUSE_SHIP["cancelled"]))
        auto_confirm = clock.now() + timedelta(days=await setting("orders.auto_confirm_days"))
        done = await transition(
            order_id=order_id,
            to="shipped",
            action="shipped",
            actor=actor,
            expect={"paid"},
            shop_id=shop_id,
            extra={"carrier": carrier, "tracking_no": tracking_no, "auto_confirm_at": auto_confirm},
        )
        origin = (await shop_sender(shop_id))[1]
        address = from_json(order["address"], {})
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
        await audit(actor, "order.ship", order_id, {"status": "paid"},
                     {"status": "shipped", "carrier": carrier, "tracking_no": tracking_no})  # fmt: skip
    await notify_buyer(
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
            await notify_buyer(
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
    from app.coupons.checkout import release_order_coupons
    from app.membership.checkout import refund_order_points
    from app.orders.services import group_refunded_whole, restock
    from app.payments import services as payments

    reason = check_reason(reason)
    refund_id = None
    async with engine().transaction():
        order = await lock_order(shop_id, order_id)
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
        await refund_order_points(order_id=order_id)  # the points its lines were paid with come back too
        await release_order_coupons(order_id=order_id, whole_group=await group_refunded_whole(order_id))
        total = int(order["total_fen"])
        if total > 0:
            refund_id = await payments.request_refund(
                order_id=order_id, amount_fen=total, reason=reason, key=f"cancel:{order_id}"
            )
        await audit(actor, "order.cancel_paid", order_id, {"status": "paid"},
                     {"status": "cancelled", "reason": reason, "refund_fen": total, "refund": refund_id})  # fmt: skip
    if refund_id is not None:
        payments.schedule_refunds()
    await notify_buyer(
        order["buyer"],
        order_id,
        "order_cancelled_by_shop",
        N_("Order %(no)s has been cancelled by the shop"),
        N_("Reason: %(reason)s. The full amount is being refunded."),
        no=order["no"],
        reason=reason,
    )
    return str(order["no"])
