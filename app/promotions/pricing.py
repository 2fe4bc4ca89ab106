"""THE pricing engine (DESIGN §2): one pure function, `quote()`, used by the cart, checkout and order creation.

Input: cart lines (SKU, unit price, quantity, shop, weight), each shop's shipping template, the delivery
region, and the discounts already decided for this checkout (coupons, promotions and points arrive with the
promotions issue as more `Discount`s). Output: per line what the buyer pays and every adjustment with its
reason, per shop the goods, discounts, shipping and total, and the grand total. Integer fen everywhere.

Discounts are allocated to the lines they cover in proportion to their price (largest remainder, ties to the
earlier line), so the adjustments of every line add up exactly to the discount and a later refund of one line
is exactly what that line paid. A discount never takes more than the lines it covers are worth."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from app.core.i18n import N_


class PricingError(ValueError):
    """A line or template the engine cannot price (a bug upstream: forms validate before this)."""


@dataclass(frozen=True, slots=True)
class Line:
    key: str  # the cart line's id: results are returned under it
    sku_id: int
    shop_id: int
    unit_price_fen: int
    quantity: int
    weight_g: int = 0


@dataclass(frozen=True, slots=True)
class ShippingTemplate:
    """Per shop: free at or above free_over_fen (goods after discounts); else a flat fee, or by weight: the first
    first_weight_g for first_fen, then every started extra_weight_g for extra_fen. Regions (province codes)
    the shop does not deliver to are excluded."""

    mode: str = "flat"  # flat | weight
    flat_fen: int = 0
    free_over_fen: int | None = None
    first_weight_g: int = 1000
    first_fen: int = 0
    extra_weight_g: int = 1000
    extra_fen: int = 0
    excluded_regions: frozenset[str] = frozenset()


FREE_SHIPPING = ShippingTemplate()


@dataclass(frozen=True, slots=True)
class Discount:
    """A discount decided for this checkout: over one shop's lines (shop_id) or over every line (None, a
    platform discount), optionally only over some line keys; `bearer` (platform | shop) says who pays it."""

    reason: str  # a msgid marked with N_, shown translated
    amount_fen: int
    shop_id: int | None = None
    line_keys: frozenset[str] | None = None
    bearer: str = "shop"
    source: str = ""  # e.g. "coupon:12"


@dataclass(frozen=True, slots=True)
class Adjustment:
    reason: str
    amount_fen: int  # negative: money off
    bearer: str
    source: str


@dataclass(frozen=True, slots=True)
class LinePrice:
    key: str
    sku_id: int
    unit_price_fen: int
    quantity: int
    gross_fen: int
    adjustments: tuple[Adjustment, ...]
    paid_fen: int


@dataclass(frozen=True, slots=True)
class ShopPrice:
    shop_id: int
    lines: tuple[LinePrice, ...]
    goods_fen: int
    discount_fen: int  # <= 0
    shipping_fen: int
    deliverable: bool
    total_fen: int


@dataclass(frozen=True, slots=True)
class Quote:
    shops: tuple[ShopPrice, ...]
    goods_fen: int
    discount_fen: int
    shipping_fen: int
    total_fen: int
    deliverable: bool
    notes: tuple[str, ...] = field(default=())


def allocate(amount: int, weights: Sequence[int]) -> list[int]:
    """Split `amount` over `weights` in proportion, in whole fen, summing exactly to `amount` (largest remainder;
    equal remainders go to the earlier weight). Zero weights get nothing; all-zero weights get nothing."""
    total = sum(weights)
    if amount < 0 or any(w < 0 for w in weights):
        raise PricingError("allocate() takes non-negative amounts")
    if total == 0 or amount == 0:
        return [0] * len(weights)
    shares = [amount * w // total for w in weights]
    remainders = sorted(range(len(weights)), key=lambda i: (-(amount * weights[i] % total), i))
    for i in remainders[: amount - sum(shares)]:
        shares[i] += 1
    return shares


def shipping_fee(template: ShippingTemplate, *, goods_fen: int, weight_g: int) -> int:
    if template.free_over_fen is not None and goods_fen >= template.free_over_fen:
        return 0
    if template.mode == "weight":
        extra = max(0, weight_g - template.first_weight_g)
        steps = -(-extra // template.extra_weight_g) if template.extra_weight_g > 0 else 0
        return template.first_fen + steps * template.extra_fen
    return template.flat_fen


def _check(lines: Sequence[Line], discounts: Sequence[Discount], templates: dict[int, ShippingTemplate]) -> None:
    keys = [line.key for line in lines]
    if len(set(keys)) != len(keys):
        raise PricingError("line keys must be unique")
    for line in lines:
        if line.quantity <= 0 or line.unit_price_fen < 0 or line.weight_g < 0:
            raise PricingError(f"line {line.key}: quantity must be positive, price and weight not negative")
    for discount in discounts:
        if discount.amount_fen < 0:
            raise PricingError("a discount is a positive amount of money off")
    for template in templates.values():
        if min(template.flat_fen, template.first_fen, template.extra_fen) < 0 or template.first_weight_g < 0:
            raise PricingError("shipping fees are not negative")


def quote(
    lines: Sequence[Line],
    *,
    shipping: dict[int, ShippingTemplate] | None = None,
    region: str | None = None,
    discounts: Sequence[Discount] = (),
) -> Quote:
    """Price a checkout. `shipping` maps shop id → template (missing: free shipping); `region` is the delivery
    address's province code (None: not chosen yet, shipping computed as if deliverable)."""
    templates = shipping or {}
    _check(lines, discounts, templates)
    gross = {line.key: line.unit_price_fen * line.quantity for line in lines}
    remaining = dict(gross)  # what each line is still worth, so stacked discounts never go below zero
    adjustments: dict[str, list[Adjustment]] = {line.key: [] for line in lines}
    notes: list[str] = []
    # shop discounts first, then platform ones over what is left (the order real malls apply them in)
    for discount in sorted(discounts, key=lambda d: d.shop_id is None):
        covered = [
            line
            for line in lines
            if (discount.shop_id is None or line.shop_id == discount.shop_id)
            and (discount.line_keys is None or line.key in discount.line_keys)
        ]
        worth = sum(remaining[line.key] for line in covered)
        amount = min(discount.amount_fen, worth)
        if amount < discount.amount_fen:
            notes.append(N_("A discount was larger than the goods it applies to and was reduced."))
        shares = allocate(amount, [remaining[line.key] for line in covered])
        for line, share in zip(covered, shares, strict=True):
            if share:
                remaining[line.key] -= share
                adjustments[line.key].append(Adjustment(discount.reason, -share, discount.bearer, discount.source))

    shops: list[ShopPrice] = []
    for shop_id in dict.fromkeys(line.shop_id for line in lines):  # in the order the lines came
        shop_lines = [line for line in lines if line.shop_id == shop_id]
        priced = tuple(
            LinePrice(
                key=line.key,
                sku_id=line.sku_id,
                unit_price_fen=line.unit_price_fen,
                quantity=line.quantity,
                gross_fen=gross[line.key],
                adjustments=tuple(adjustments[line.key]),
                paid_fen=remaining[line.key],
            )
            for line in shop_lines
        )
        goods = sum(p.gross_fen for p in priced)
        paid = sum(p.paid_fen for p in priced)
        template = templates.get(shop_id, FREE_SHIPPING)
        deliverable = region is None or region not in template.excluded_regions
        fee = shipping_fee(template, goods_fen=paid, weight_g=sum(line.weight_g * line.quantity for line in shop_lines))
        shops.append(
            ShopPrice(
                shop_id=shop_id,
                lines=priced,
                goods_fen=goods,
                discount_fen=paid - goods,
                shipping_fen=fee if deliverable else 0,
                deliverable=deliverable,
                total_fen=paid + (fee if deliverable else 0),
            )
        )
    return Quote(
        shops=tuple(shops),
        goods_fen=sum(s.goods_fen for s in shops),
        discount_fen=sum(s.discount_fen for s in shops),
        shipping_fen=sum(s.shipping_fen for s in shops),
        total_fen=sum(s.total_fen for s in shops),
        deliverable=all(s.deliverable for s in shops),
        notes=tuple(dict.fromkeys(notes)),
    )
