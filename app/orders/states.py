"""The order state machine: the one function that changes an order's status. It refuses illegal transitions and
writes an OrderEvent row for every change, in the caller's transaction (or its own).

    pending_payment → paid → shipped → delivered → completed
    pending_payment → cancelled            (the buyer, or the payment deadline)
    paid → cancelled                       (refunded in full before shipping)
    paid → delivered                       (self-pickup: the seller verified the pickup code)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.core import clock
from app.core.db import engine, fetchrow
from app.core.i18n import N_
from app.core.principal import Actor
from app.orders.errors import IllegalTransition, OrderNotFound
from app.orders.tables import Order

TRANSITIONS: dict[str, frozenset[str]] = {
    "pending_payment": frozenset({"paid", "cancelled"}),
    "paid": frozenset({"shipped", "delivered", "cancelled"}),
    "shipped": frozenset({"delivered"}),
    "delivered": frozenset({"completed"}),
    "completed": frozenset(),
    "cancelled": frozenset(),
}

# the timestamp column each state sets when entered
_STAMP = {
    "paid": "paid_at",
    "shipped": "shipped_at",
    "delivered": "delivered_at",
    "completed": "completed_at",
    "cancelled": "cancelled_at",
}

# the buyer's tabs (待付款 / 待发货 / 待收货 / 已完成) and the seller's, by state
STATUS_LABELS = {
    "pending_payment": N_("Awaiting payment"),
    "paid": N_("Awaiting shipment"),
    "shipped": N_("Shipped"),
    "delivered": N_("Delivered"),
    "completed": N_("Completed"),
    "cancelled": N_("Cancelled"),
}


_COLUMNS = frozenset(column._meta.db_column_name for column in Order._meta.columns)


def allowed(current: str, to: str) -> bool:
    return to in TRANSITIONS.get(current, frozenset())


@dataclass(frozen=True, slots=True)
class Transitioned:
    order_id: int
    from_status: str
    to_status: str
    at: datetime


async def transition(
    *,
    order_id: int,
    to: str,
    action: str,
    actor: Actor,
    reason: str = "",
    expect: frozenset[str] | set[str] | None = None,
    shop_id: int | None = None,
    buyer_id: int | None = None,
    extra: dict[str, object] | None = None,
) -> Transitioned:
    """Move one order to `to`, locking its row. `expect` narrows the states it may come from (e.g. the buyer may
    cancel only pending_payment); `shop_id`/`buyer_id` scope the lookup so another shop's or buyer's order is
    simply not found. `extra` sets more columns in the same UPDATE (carrier, tracking_no, cancel_reason...).
    Runs in the caller's transaction when there is one, else opens its own."""
    if engine().current_transaction.get() is None:
        async with engine().transaction():
            return await transition(
                order_id=order_id,
                to=to,
                action=action,
                actor=actor,
                reason=reason,
                expect=expect,
                shop_id=shop_id,
                buyer_id=buyer_id,
                extra=extra,
            )
    row = await fetchrow(
        "SELECT id, status FROM shop_order WHERE id = {} AND ({}::int IS NULL OR shop = {}) "
        "AND ({}::int IS NULL OR buyer = {}) FOR UPDATE",
        order_id,
        shop_id,
        shop_id,
        buyer_id,
        buyer_id,
    )
    if row is None:
        raise OrderNotFound(N_("Order not found."))
    current = row["status"]
    if not allowed(current, to) or (expect is not None and current not in expect):
        raise IllegalTransition(
            N_("This order's status no longer allows that. Reload the page to see where it stands.")
        )
    at = clock.now()
    sets = {"status": to, "updated_at": at, **(extra or {})}
    if to in _STAMP:
        sets[_STAMP[to]] = at
    columns = list(sets)
    if not _COLUMNS.issuperset(columns):
        raise ValueError(f"not shop_order columns: {set(columns) - _COLUMNS}")
    assignments = ", ".join(f'"{name}" = {{}}' for name in columns)
    sql = f"UPDATE shop_order SET {assignments} WHERE id = {{}}"  # noqa: S608 (names checked against the table's columns)
    await fetchrow(sql, *[sets[c] for c in columns], order_id)
    await fetchrow(
        'INSERT INTO order_event ("order", from_status, to_status, action, actor, actor_label, reason, at) '
        "VALUES ({}, {}, {}, {}, {}, {}, {}, {})",
        order_id,
        current,
        to,
        action,
        actor.user_id,
        actor.label[:64],
        reason[:500],
        at,
    )
    return Transitioned(order_id, current, to, at)


async def record_event(*, order_id: int, action: str, actor: Actor, reason: str = "") -> None:
    """A notable action that changes no state (invoice uploaded, address note...), on the same timeline."""
    await fetchrow(
        'INSERT INTO order_event ("order", action, actor, actor_label, reason, at) VALUES ({}, {}, {}, {}, {}, {})',
        order_id,
        action,
        actor.user_id,
        actor.label[:64],
        reason[:500],
        clock.now(),
    )
