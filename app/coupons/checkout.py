"""Coupons at checkout (stage D in app/promotions/context.py). The bodies here are the contract."""

from __future__ import annotations

from collections.abc import Sequence

from app.promotions.context import CouponPick, PricingContext


async def pick_coupons(ctx: PricingContext, values: dict[str, int], selected: Sequence[int] | None) -> CouponPick:
    """The buyer's unused coupons against `values` (line key → fen still payable after stages A–C; flash lines
    are not in ctx). `selected` None: choose the best combination (at most one coupon per shop and one platform
    coupon); otherwise exactly those ids that are usable (others ignored). Anonymous: empty."""
    return CouponPick()


async def use_coupons(*, buyer_id: int, user_coupon_ids: Sequence[int], group_id: int) -> None:
    """In place_order's transaction: mark them used by this group with one conditional UPDATE each; raise
    app.orders.errors.CheckoutError when one is no longer usable (used meanwhile, expired)."""


async def release_coupons(*, group_id: int) -> None:
    """In the caller's transaction: the group was cancelled before payment; its coupons become unused again
    (those whose use window has not ended)."""
