"""The promotions engine: asks every provider in a fixed order what applies to a checkout and turns the answers into
`pricing.Discount`s for the one pricing engine (`pricing.quote`). The stages and their order are described in
app/promotions/context.py; this module is the only place that knows the order. No provider computes a total.

Used by the cart (promotions only: no coupons, no points), the checkout page and order placement (everything).
Every figure shown or stored comes from the `Quote` in the result."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime

from app.core import clock
from app.core.i18n import N_, gettext
from app.core.money import format_fen
from app.promotions import pricing
from app.promotions.context import (
    CouponPick,
    Gift,
    Hint,
    LineInfo,
    Member,
    PointsOffer,
    PriceOffer,
    PricingContext,
)

MEMBER_DISCOUNT = N_("Member discount")
POINTS_DISCOUNT = N_("Points")


@dataclass(frozen=True, slots=True)
class Priced:
    quote: pricing.Quote
    member: Member
    hints: tuple[Hint, ...] = ()
    gifts: tuple[Gift, ...] = ()
    coupons: CouponPick = field(default_factory=CouponPick)
    points: PointsOffer | None = None
    points_used: int = 0
    points_fen: int = 0
    flash_refused: tuple[str, ...] = ()  # keys of flash lines whose flash sale is not on: checkout refuses them
    discounts: tuple[pricing.Discount, ...] = ()

    def hints_for(self, shop_id: int | None) -> list[Hint]:
        return [h for h in self.hints if h.shop_id == shop_id]


def hint_text(hint: Hint) -> str:
    """The hint in the request's language, money formatted: params `more_fen` become `%(more)s`."""
    params = {
        (key[:-4] if key.endswith("_fen") else key): (format_fen(int(value)) if key.endswith("_fen") else value)
        for key, value in hint.params.items()
    }
    return gettext(hint.message, **params)


def _best_prices(lines: Sequence[LineInfo], offers: Sequence[PriceOffer]) -> dict[str, PriceOffer]:
    """Stage A: per line the lowest offered unit price below the list price. A flash line takes only its flash
    (exclusive) offer; an ordinary line never takes an exclusive one."""
    by_key = {line.key: line for line in lines}
    best: dict[str, PriceOffer] = {}
    for offer in offers:
        line = by_key.get(offer.line_key)
        if line is None or not 0 <= offer.unit_price_fen < line.unit_price_fen:
            continue
        if offer.exclusive != (line.flash_item_id is not None):
            continue
        current = best.get(offer.line_key)
        if current is None or offer.unit_price_fen < current.unit_price_fen:
            best[offer.line_key] = offer
    return best


def _within(discount: pricing.Discount, keys: frozenset[str]) -> pricing.Discount:
    """A provider's discount kept to the lines it may touch (never a flash line), whatever it asked for."""
    return replace(discount, line_keys=(discount.line_keys or keys) & keys)


def _engine_lines(lines: Sequence[LineInfo]) -> list[pricing.Line]:
    return [
        pricing.Line(
            key=line.key,
            sku_id=line.sku_id,
            shop_id=line.shop_id,
            unit_price_fen=line.unit_price_fen,
            quantity=line.quantity,
            weight_g=line.weight_g,
        )
        for line in lines
    ]


def _values(lines: Sequence[LineInfo], discounts: Sequence[pricing.Discount]) -> dict[str, int]:
    """What each line is still worth after these discounts (the pricing engine's own allocation)."""
    quoted = pricing.quote(_engine_lines(lines), discounts=discounts)
    return {lp.key: lp.paid_fen for shop in quoted.shops for lp in shop.lines}


async def price(
    *,
    member: Member,
    lines: Sequence[LineInfo],
    shipping: dict[int, pricing.ShippingTemplate] | None = None,
    region: str | None = None,
    with_coupons: bool = True,
    coupon_ids: Sequence[int] | None = None,
    points: int = 0,
    now: datetime | None = None,
) -> Priced:
    """Price `lines` for `member` at `now` with every promotion that applies. `coupon_ids` None: the best coupons
    are chosen; a sequence: exactly those (when usable). `points`: how many points the buyer wants to use (clamped
    to what the order allows)."""
    from app.coupons import checkout as coupons
    from app.flash import checkout as flash
    from app.membership import checkout as membership
    from app.promotions import offers as promotions

    now = now or clock.now()
    lines = tuple(lines)
    ctx = PricingContext(member=member, lines=lines, now=now)
    discounts: list[pricing.Discount] = []

    # A. one lower unit price per line: limited-time, member price, flash price
    offers = [*await promotions.price_offers(ctx)]
    if any(line.flash_item_id is not None for line in lines):
        offers += await flash.flash_offers(ctx)
    best = _best_prices(lines, offers)
    for line in lines:
        if (offer := best.get(line.key)) is not None:
            discounts.append(
                pricing.Discount(
                    reason=offer.reason,
                    amount_fen=(line.unit_price_fen - offer.unit_price_fen) * line.quantity,
                    shop_id=line.shop_id,
                    line_keys=frozenset({line.key}),
                    bearer=offer.bearer,
                    source=offer.source,
                )
            )
    refused = tuple(line.key for line in lines if line.flash_item_id is not None and line.key not in best)
    open_lines = tuple(line for line in lines if line.flash_item_id is None)
    open_keys = frozenset(line.key for line in open_lines)
    open_ctx = PricingContext(member=member, lines=open_lines, now=now)

    def open_values() -> dict[str, int]:
        values = _values(lines, discounts)
        return {key: value for key, value in values.items() if key in open_keys}

    hints: tuple[Hint, ...] = ()
    gifts: tuple[Gift, ...] = ()
    pick = CouponPick()
    offer_points: PointsOffer | None = None
    used = value = 0
    if open_lines:
        # B. multi-piece, bundles, full-reduction (shop, then platform campaigns), gifts
        order = await promotions.order_offers(open_ctx, open_values())
        discounts.extend(_within(d, open_keys) for d in order.discounts)
        hints, gifts = order.hints, order.gifts
        # C. the member level's extra percentage, borne by the platform
        if member.user_id is not None and member.extra_discount_pct > 0:
            amount = sum(open_values().values()) * member.extra_discount_pct // 100
            if amount:
                discounts.append(
                    pricing.Discount(
                        reason=MEMBER_DISCOUNT,
                        amount_fen=amount,
                        line_keys=open_keys,
                        bearer="platform",
                        source=f"member:{member.level_rank}",
                    )
                )
        # D. coupons: one per shop and one platform coupon
        if with_coupons and member.user_id is not None:
            pick = await coupons.pick_coupons(open_ctx, open_values(), coupon_ids)
            discounts.extend(_within(d, open_keys) for d in pick.discounts)
        # E. points, borne by the platform
        if with_coupons and member.user_id is not None:
            payable = sum(open_values().values())
            offer_points = await membership.points_offer(user_id=member.user_id, payable_fen=payable)
            if offer_points is not None and points > 0:
                used = offer_points.usable(points)
                value = min(offer_points.value_fen(used), payable)
                if value:
                    discounts.append(
                        pricing.Discount(
                            reason=POINTS_DISCOUNT,
                            amount_fen=value,
                            line_keys=open_keys,
                            bearer="platform",
                            source="points",
                        )
                    )
                else:
                    used = 0

    templates = dict(shipping or {})
    if member.free_shipping:
        templates = {shop_id: pricing.FREE_SHIPPING for shop_id in templates}
    quote = pricing.quote(_engine_lines(lines), shipping=templates, region=region, discounts=discounts)
    return Priced(
        quote=quote,
        member=member,
        hints=hints,
        gifts=gifts,
        coupons=pick,
        points=offer_points,
        points_used=used,
        points_fen=value,
        flash_refused=refused,
        discounts=tuple(discounts),
    )
