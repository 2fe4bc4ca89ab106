"""Membership and points at checkout (stages C and E in app/promotions/context.py). The bodies here are the
contract."""

from __future__ import annotations

from app.promotions.context import ANONYMOUS, Member, PointsOffer


async def member_for(user_id: int | None) -> Member:
    """The buyer's level and perks (anonymous or no level: defaults)."""
    return ANONYMOUS if user_id is None else Member(user_id=user_id)


async def points_offer(*, user_id: int, payable_fen: int) -> PointsOffer | None:
    """How many points this order may use: balance, the per-order cap (a % of `payable_fen`), the rate. None: points
    are switched off or the buyer has none."""
    return None


async def spend_points(*, user_id: int, points: int, group_id: int) -> None:
    """In place_order's transaction: a negative ledger entry for the group, race-safe; raise
    app.orders.errors.CheckoutError when the balance is short."""


async def refund_points(*, group_id: int) -> None:
    """In the caller's transaction: the group was cancelled before payment; give its spent points back (idempotent)."""
