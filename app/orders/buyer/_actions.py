"""Confirming receipt: by the buyer, or by the worker's sweep once the auto-confirm time has passed."""

from __future__ import annotations

from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.core.i18n import N_
from app.core.principal import Actor
from app.orders.buyer._list import ORDER_NOT_FOUND
from app.orders.errors import IllegalTransition, OrderNotFound
from app.orders.states import transition

SYSTEM = Actor(user_id=None, label="system")


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
