"""Self-pickup (自提): find the shop's order awaiting pickup by the buyer's 8-digit code and hand it over. Wrong codes
count against a per-shop limit, so codes cannot be guessed."""

from __future__ import annotations

import re

from app.core import ratelimit
from app.core.db import engine, fetch, fetchrow
from app.core.errors import NotFound, RateLimited, ValidationFailed
from app.core.i18n import N_
from app.core.principal import Actor
from app.orders.errors import IllegalTransition
from app.orders.fulfilment._actions import audit, lock_order, notify_buyer
from app.orders.fulfilment._reading import ORDER_NOT_FOUND, ROW_COLUMNS, OrderRow, order_rows
from app.orders.states import transition

PICKUP_WINDOW = 15 * 60  # seconds
PICKUP_MAX_FAILURES = 20  # wrong codes per shop per window: 10^8 codes stay out of reach

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
        f"SELECT {ROW_COLUMNS} FROM shop_order o WHERE o.shop = {{}} AND o.delivery = 'pickup' "  # noqa: S608
        "AND o.pickup_code = {} AND o.status IN ('paid', 'delivered', 'completed') ORDER BY o.id",
        shop_id,
        code,
    )
    waiting = [r for r in rows if r["status"] == "paid"]
    if waiting:
        return await order_rows(waiting)
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
        order = await lock_order(shop_id, order_id)
        if order["status"] != "paid":
            raise IllegalTransition(N_("The order with this code has already been handed over."))
        await transition(
            order_id=order_id, to="delivered", action="picked_up", actor=actor, expect={"paid"}, shop_id=shop_id
        )
        await transition(order_id=order_id, to="completed", action="completed", actor=actor, shop_id=shop_id)
        await audit(actor, "order.picked_up", order_id, {"status": "paid"}, {"status": "completed"})
    await notify_buyer(
        order["buyer"],
        order_id,
        "order_picked_up",
        N_("Order %(no)s has been picked up"),
        N_("Thank you for shopping with us."),
        no=order["no"],
    )
    return str(order["no"])
