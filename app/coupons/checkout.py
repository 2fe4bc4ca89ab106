"""Coupons at checkout (stage D in app/promotions/context.py). The bodies here are the contract; the choice itself
is the pure `rules.choose()`, this module only reads and writes the rows around it."""

from __future__ import annotations

from collections.abc import Sequence

from app.core import clock
from app.core.db import fetch, fetchrow
from app.core.i18n import N_
from app.coupons.rules import CouponRule, choose, terms_of
from app.orders.errors import CheckoutError
from app.promotions.context import CouponPick, PricingContext

NO_LONGER_USABLE = N_("A coupon you chose can no longer be used. Please review your order.")


def _rule(row: dict) -> CouponRule:  # type: ignore[type-arg]
    return CouponRule(
        user_coupon_id=row["id"],
        shop_id=row["shop"],
        title=row["name"],
        **terms_of(row),
        scope_ids=frozenset(row["scope_ids"] or ()),
        valid_from=row["valid_from"],
        valid_until=row["valid_until"],
    )


async def unused_rules(*, user_id: int, now) -> list[CouponRule]:  # type: ignore[no-untyped-def]
    """The buyer's unused coupons still within their use window (one indexed query: user_coupon_mine)."""
    rows = await fetch(
        "SELECT uc.id, uc.valid_from, uc.valid_until, t.shop, t.name, t.kind, t.amount_fen, t.threshold_fen, "
        "t.percent, t.cap_fen, t.min_spend_fen, t.scope, t.scope_ids FROM user_coupon uc "
        "JOIN coupon_template t ON t.id = uc.template "
        "WHERE uc.\"user\" = {} AND uc.status = 'unused' AND uc.valid_until > {} ORDER BY uc.valid_until, uc.id",
        user_id,
        now,
    )
    return [_rule(r) for r in rows]


async def pick_coupons(ctx: PricingContext, values: dict[str, int], selected: Sequence[int] | None) -> CouponPick:
    """The buyer's unused coupons against `values` (line key → fen still payable after stages A–C; flash lines
    are not in ctx). `selected` None: choose the best combination (at most one coupon per shop and one platform
    coupon); otherwise exactly those ids that are usable (others ignored). Anonymous: empty."""
    if ctx.member.user_id is None:
        return CouponPick()
    rules = await unused_rules(user_id=ctx.member.user_id, now=ctx.now)
    if not rules:
        return CouponPick()
    return choose(rules, ctx.lines, values, selected, ctx.now)


async def use_coupons(*, buyer_id: int, user_coupon_ids: Sequence[int], group_id: int) -> None:
    """In place_order's transaction: mark them used by this group with one conditional UPDATE each; raise
    app.orders.errors.CheckoutError when one is no longer usable (used meanwhile, expired)."""
    now = clock.now()
    for uc_id in sorted(set(user_coupon_ids)):  # fixed order: concurrent checkouts never deadlock
        rows = await fetch(
            "UPDATE user_coupon SET status = 'used', used_group = {}, used_at = {} "
            "WHERE id = {} AND \"user\" = {} AND status = 'unused' AND valid_from <= {} AND valid_until > {} "
            "RETURNING id",
            group_id,
            now,
            uc_id,
            buyer_id,
            now,
            now,
        )
        if not rows:
            raise CheckoutError(NO_LONGER_USABLE)


async def release_coupons(*, group_id: int) -> None:
    """In the caller's transaction: the group was cancelled before payment; its coupons become unused again
    (those whose use window has not ended)."""
    await fetch(
        "UPDATE user_coupon SET status = CASE WHEN valid_until > {} THEN 'unused' ELSE 'expired' END, "
        "used_group = NULL, used_at = NULL WHERE used_group = {} AND status = 'used'",
        clock.now(),
        group_id,
    )


async def release_order_coupons(*, order_id: int, whole_group: bool) -> int:
    """In the caller's transaction: a paid order was refunded in full. The coupon of its shop that the checkout used
    becomes usable again (or expired, past its window); the platform coupon only once every order of the checkout
    has been refunded in full (`whole_group`), since it was spread over all of them. Returns how many came back."""
    order = await fetchrow('SELECT "group" AS group_id, shop FROM shop_order WHERE id = {}', order_id)
    if order is None:
        return 0
    rows = await fetch(
        "UPDATE user_coupon uc SET status = CASE WHEN uc.valid_until > {} THEN 'unused' ELSE 'expired' END, "
        "used_group = NULL, used_at = NULL FROM coupon_template t WHERE t.id = uc.template "
        "AND uc.used_group = {} AND uc.status = 'used' AND (t.shop = {} OR (t.shop IS NULL AND {})) RETURNING uc.id",
        clock.now(),
        order["group_id"],
        order["shop"],
        whole_group,
    )
    return len(rows)
