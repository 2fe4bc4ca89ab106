"""What the promotion providers see and return (issue 7). The engine (app/promotions/engine.py) asks each
provider in a fixed order and turns their answers into `pricing.Discount`s; no provider computes a total.

Stages, in order (each sees the line values left after the earlier ones):
  A. price offers: a lower unit price for one line (limited-time discount, member price, flash price); the lowest
     wins, they never stack. A flash line is `exclusive`: nothing else applies to it.
  B. order offers (app/promotions/offers.py): multi-piece, bundles, full-reduction tiers (shop and platform),
     gifts, and the hints ("spend ¥23 more to save ¥20").
  C. member discount: the level's extra percentage (app/membership/checkout.py), borne by the platform.
  D. coupons (app/coupons/checkout.py): at most one per shop and one platform coupon.
  E. points (app/membership/checkout.py): N points per yuan up to a cap, borne by the platform.
Shipping is free for a level with free shipping."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.promotions.pricing import Discount


@dataclass(frozen=True, slots=True)
class Member:
    """The buyer as the promotions see them. `user_id` None: anonymous (cart before login)."""

    user_id: int | None
    level_rank: int = 0  # 0: no level; 1, 2, 3... higher is better (MemberLevel.rank)
    level_name: str = ""
    extra_discount_pct: int = 0  # perk: % off goods after promotions (0-100)
    free_shipping: bool = False
    points_multiplier_pct: int = 100  # perk: 150 = earns 1.5x points
    is_new: bool = False  # no paid order yet: new-user coupons apply


ANONYMOUS = Member(user_id=None)


@dataclass(frozen=True, slots=True)
class LineInfo:
    key: str  # the engine line key (the SKU id as text; gift lines "gift:<promotion>:<sku>")
    sku_id: int
    product_id: int
    shop_id: int
    category_ids: tuple[int, ...]  # the product's category and its ancestors (scope "these categories")
    unit_price_fen: int
    quantity: int
    flash_item_id: int | None = None  # bought in a flash sale (app/flash)
    weight_g: int = 0  # per unit, for shipping by weight


@dataclass(frozen=True, slots=True)
class PricingContext:
    member: Member
    lines: tuple[LineInfo, ...]
    now: datetime


@dataclass(frozen=True, slots=True)
class PriceOffer:
    """Stage A: `line_key` may be bought at `unit_price_fen` (lower than the list price)."""

    line_key: str
    unit_price_fen: int
    reason: str  # msgid marked with N_
    source: str  # "promo:<id>", "flash:<item id>"
    bearer: str = "shop"
    exclusive: bool = False  # a flash price: no other promotion, coupon or points on this line


@dataclass(frozen=True, slots=True)
class Hint:
    """Shown in the cart, on the product page and at checkout, e.g. N_("Spend %(more)s more to save %(off)s").
    `params` hold money as int fen under keys ending in `_fen` (e.g. more_fen, off_fen); `hint_text()` in the
    engine formats them with the request's locale before interpolating (the msgid uses the names without
    `_fen`: "%(more)s")."""

    shop_id: int | None  # None: a platform campaign
    message: str  # msgid
    params: dict[str, Any] = field(default_factory=dict)
    source: str = ""


@dataclass(frozen=True, slots=True)
class Gift:
    """A free item the order gets (买赠): taken from the promotion's gift stock when the order is placed."""

    promotion_id: int
    shop_id: int
    sku_id: int
    quantity: int


@dataclass(frozen=True, slots=True)
class OrderOffers:
    discounts: tuple[Discount, ...] = ()
    gifts: tuple[Gift, ...] = ()
    hints: tuple[Hint, ...] = ()


@dataclass(frozen=True, slots=True)
class CouponChoice:
    """One of the buyer's unused coupons, as it would apply to this checkout."""

    user_coupon_id: int
    shop_id: int | None  # None: a platform coupon
    title: str  # already human text (the template's name)
    discount_fen: int  # 0 when not usable here
    usable: bool
    why_not: str = ""  # msgid when not usable, e.g. N_("Spend %(more)s more to use it")
    why_not_params: dict[str, Any] = field(default_factory=dict)
    selected: bool = False


@dataclass(frozen=True, slots=True)
class CouponPick:
    discounts: tuple[Discount, ...] = ()  # the selected coupons as discounts (source "coupon:<user coupon id>")
    choices: tuple[CouponChoice, ...] = ()  # every unused coupon of the buyer, usable first
    selected_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class PointsOffer:
    balance: int
    max_points: int  # most points this order may use (cap, balance and goods value applied)
    points_per_yuan: int  # e.g. 100: 100 points = ¥1

    def value_fen(self, points: int) -> int:
        return points * 100 // self.points_per_yuan if self.points_per_yuan > 0 else 0

    def usable(self, points: int) -> int:
        """`points` clamped to [0, max_points] and rounded down so it buys whole fen exactly."""
        points = max(0, min(points, self.max_points))
        if self.points_per_yuan <= 0:
            return 0
        from math import gcd

        step = self.points_per_yuan // gcd(self.points_per_yuan, 100)
        return points - points % step
