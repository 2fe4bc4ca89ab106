"""Membership and points at checkout (stages C and E in app/promotions/context.py). The bodies here are the
contract."""

from __future__ import annotations

from app.core.db import fetch, fetchrow
from app.core.i18n import N_
from app.membership import ledger, rules
from app.membership.services import get_settings, list_levels
from app.orders.errors import CheckoutError
from app.promotions.context import ANONYMOUS, Member, PointsOffer


async def member_for(user_id: int | None) -> Member:
    """The buyer's level and perks (anonymous or no level: defaults)."""
    if user_id is None:
        return ANONYMOUS
    row = await fetchrow(
        'SELECT (SELECT growth FROM member_profile WHERE "user" = {}) AS growth, '
        "EXISTS (SELECT 1 FROM order_group WHERE buyer = {} AND status = 'paid') AS paid",
        user_id,
        user_id,
    )
    growth = int(row["growth"] or 0) if row else 0
    is_new = not (row and row["paid"])
    level = rules.level_for(await list_levels(active_only=True), growth)
    if level is None:
        return Member(user_id=user_id, is_new=is_new)
    return Member(
        user_id=user_id,
        level_rank=level.rank,
        level_name=level.name,
        extra_discount_pct=level.extra_discount_pct,
        free_shipping=level.free_shipping,
        points_multiplier_pct=level.points_multiplier_pct,
        is_new=is_new,
    )


async def points_offer(*, user_id: int, payable_fen: int) -> PointsOffer | None:
    """How many points this order may use: balance, the per-order cap (a % of `payable_fen`), the rate. None: points
    are switched off or the buyer has none."""
    settings = await get_settings()
    if not settings.enabled or settings.points_per_yuan <= 0:
        return None
    balance = await ledger.balance(user_id)
    if balance <= 0:
        return None
    return PointsOffer(
        balance=balance,
        max_points=rules.points_cap(
            balance=balance,
            payable_fen=payable_fen,
            max_use_pct=settings.max_use_pct,
            points_per_yuan=settings.points_per_yuan,
        ),
        points_per_yuan=settings.points_per_yuan,
    )


async def spend_points(*, user_id: int, points: int, group_id: int) -> None:
    """In place_order's transaction: a negative ledger entry for the group, race-safe; raise
    app.orders.errors.CheckoutError when the balance is short."""
    if points <= 0:
        return
    try:
        await ledger.debit(user_id=user_id, points=points, reason="spend", ref=str(group_id))
    except ledger.ShortOfPoints as exc:
        raise CheckoutError(N_("Not enough points: you have %(have)s, this needs %(need)s."), **exc.params) from None


async def refund_points(*, group_id: int) -> None:
    """In the caller's transaction: the group was cancelled before payment; give its spent points back (idempotent).
    The points come back as a new earning that expires at the end of this year."""
    spent = await fetchrow(
        "SELECT \"user\", -delta AS points FROM points_entry WHERE reason = 'spend' AND ref = {}", str(group_id)
    )
    if spent is None or int(spent["points"]) <= 0:
        return
    await ledger.add_entry(user_id=int(spent["user"]), delta=int(spent["points"]), reason="refund", ref=str(group_id))


async def refund_order_points(*, order_id: int) -> int:
    """In the caller's transaction: a paid order was refunded in full (cancelled by the shop); give back the points
    its lines were paid with. Points were spent per group and spread over its lines as the "points" adjustment, so
    each order gets its share of the group's spend; shares are cumulative, so the orders of a group refunded one by
    one get back exactly what the group spent. Once per order. Returns the points given back."""
    order = await fetchrow('SELECT "group" AS group_id, buyer FROM shop_order WHERE id = {}', order_id)
    if order is None:
        return 0
    group_id, user_id = int(order["group_id"]), int(order["buyer"])
    spent = await fetchrow(
        "SELECT -delta AS points FROM points_entry WHERE reason = 'spend' AND ref = {}", str(group_id)
    )
    if spent is None or int(spent["points"]) <= 0:
        return 0
    await ledger.lock_member(user_id)  # two refunds of one group's orders take turns
    prefix = f"{group_id}:order:"
    done = await fetch("SELECT ref, delta FROM points_entry WHERE reason = 'refund' AND ref LIKE {}", prefix + "%")
    if any(r["ref"] == f"{prefix}{order_id}" for r in done):
        return 0
    shares = await fetch(
        "SELECT i.\"order\" AS order_id, -sum((a ->> 'amount_fen')::bigint) AS fen FROM order_item i "
        'JOIN shop_order o ON o.id = i."order" CROSS JOIN LATERAL jsonb_array_elements(i.adjustments) a '
        "WHERE o.\"group\" = {} AND a ->> 'source' = 'points' GROUP BY i.\"order\"",
        group_id,
    )
    by_order = {int(r["order_id"]): int(r["fen"]) for r in shares}
    group_fen = sum(by_order.values())
    if group_fen <= 0 or order_id not in by_order:
        return 0
    refunded_orders = {int(str(r["ref"])[len(prefix) :]) for r in done} | {order_id}
    covered_fen = sum(by_order.get(o, 0) for o in refunded_orders)
    back = int(spent["points"]) * covered_fen // group_fen - sum(int(r["delta"]) for r in done)
    if back > 0:
        await ledger.add_entry(user_id=user_id, delta=back, reason="refund", ref=f"{prefix}{order_id}")
    return max(back, 0)
