"""The promotion rules as pure functions (no database): which promotions are live, which lines they cover, the
price offers of stage A and the order offers of stage B (app/promotions/context.py), and the checks a form
runs before a promotion is saved. app/promotions/offers.py loads the rows and calls these.

Money is integer fen. A percentage is what the buyer pays (90 = 打9折 = 10 % off). A discount computed from a
percentage is rounded down to the fen (the buyer never gets more than the rate says); a price computed from a
percentage is rounded half up."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from app.core.i18n import N_
from app.promotions.context import Gift, Hint, LineInfo, OrderOffers, PriceOffer
from app.promotions.pricing import Discount, allocate

TIER_KINDS = ("full_reduction", "full_discount")
PRICE_KINDS = ("limited_time", "member_price")
SKU_KINDS = ("limited_time", "member_price", "bundle", "gift")
SHOP_KINDS = ("full_reduction", "full_discount", "limited_time", "multi_piece", "member_price", "bundle", "gift")
PLATFORM_KINDS = TIER_KINDS

REASONS = {
    "limited_time": N_("Limited-time discount"),
    "member_price": N_("Member price"),
    "multi_piece": N_("Multi-piece discount"),
    "bundle": N_("Bundle price"),
    "full_reduction": N_("Full reduction"),
    "full_discount": N_("Full discount"),
}
PLATFORM_REASONS = {  # a platform campaign is named apart from the shop's own tiers on the same line
    "full_reduction": N_("Platform full reduction"),
    "full_discount": N_("Platform full discount"),
}


def reason_for(promo: Promo) -> str:
    if promo.shop_id is None:
        return PLATFORM_REASONS.get(promo.kind, REASONS[promo.kind])
    return REASONS[promo.kind]


@dataclass(frozen=True, slots=True)
class Tier:
    threshold_fen: int = 0  # full_reduction, full_discount
    off_fen: int = 0  # full_reduction
    percent: int = 0  # full_discount, multi_piece: what is paid
    pieces: int = 0  # multi_piece

    def as_json(self) -> dict[str, int]:
        return {k: v for k, v in (("threshold_fen", self.threshold_fen), ("off_fen", self.off_fen),
                                   ("percent", self.percent), ("pieces", self.pieces)) if v}  # fmt: skip


@dataclass(frozen=True, slots=True)
class PromoSku:
    sku_id: int
    price_fen: int | None = None
    percent: int | None = None
    min_level_rank: int = 0
    quantity: int = 1


@dataclass(frozen=True, slots=True)
class Promo:
    id: int
    kind: str
    name: str
    shop_id: int | None  # None: a platform campaign
    starts_at: datetime
    ends_at: datetime
    status: str = "active"
    scope: str = "all"
    scope_ids: frozenset[int] = frozenset()
    tiers: tuple[Tier, ...] = ()
    skus: tuple[PromoSku, ...] = ()
    bundle_price_fen: int | None = None
    threshold_fen: int | None = None
    gift_sku_id: int | None = None
    gift_quantity: int = 1
    gift_stock: int = 0

    @property
    def bearer(self) -> str:
        return "platform" if self.shop_id is None else "shop"

    @property
    def source(self) -> str:
        return f"promo:{self.id}"

    def live(self, now: datetime) -> bool:
        return self.status == "active" and self.starts_at <= now < self.ends_at

    def covers(self, line: LineInfo) -> bool:
        """The line is in this promotion's shop (any shop for a platform campaign) and scope."""
        if self.shop_id is not None and line.shop_id != self.shop_id:
            return False
        if self.scope == "categories":
            return any(c in self.scope_ids for c in line.category_ids)
        if self.scope == "products":
            return line.product_id in self.scope_ids
        return True


# ---------------------------------------------------------------------------------------------- arithmetic
def percent_off(value_fen: int, percent: int) -> int:
    """The discount when `percent` of `value_fen` is paid, rounded down to the fen: 99.99 at 90 % → 9.99 off."""
    if value_fen <= 0 or not 0 < percent < 100:
        return 0
    return value_fen * (100 - percent) // 100


def percent_price(unit_price_fen: int, percent: int) -> int:
    """`percent` of a unit price, rounded half up to the fen."""
    return (unit_price_fen * percent + 50) // 100


def rate_text(percent: int) -> str:
    """90 → '9', 85 → '8.5' (折 as Chinese shoppers say it)."""
    return str(percent // 10) if percent % 10 == 0 else f"{percent / 10:g}"


def promo_unit_price(unit_price_fen: int, sku: PromoSku) -> int:
    if sku.price_fen is not None:
        return sku.price_fen
    if sku.percent is not None:
        return percent_price(unit_price_fen, sku.percent)
    return unit_price_fen


def reached_tier(tiers: Sequence[Tier], amount: int, *, by: str = "threshold_fen") -> int | None:
    """Index of the highest tier whose threshold (fen, or pieces with by="pieces") `amount` reaches (exactly at
    the threshold counts), None below the first."""
    best = None
    for i, tier in enumerate(tiers):
        if amount >= getattr(tier, by):
            best = i
    return best


def tier_discount(kind: str, tier: Tier, value_fen: int) -> int:
    """What one tier takes off `value_fen`, never more than the value."""
    if kind == "full_reduction":
        return min(tier.off_fen, max(value_fen, 0))
    return percent_off(value_fen, tier.percent)


# ---------------------------------------------------------------------------------------------- stage A
def price_offers(
    promos: Iterable[Promo], lines: Sequence[LineInfo], *, member_rank: int, now: datetime
) -> list[PriceOffer]:
    """The lowest promotion price of each line (limited-time or member price) when it is below the line's
    price. Member prices need member_rank >= the SKU's min_level_rank. Flash lines are left to app/flash."""
    best: dict[str, PriceOffer] = {}
    live = [p for p in promos if p.kind in PRICE_KINDS and p.live(now)]
    for line in lines:
        if line.flash_item_id is not None:
            continue
        for promo in live:
            if promo.shop_id is not None and promo.shop_id != line.shop_id:
                continue
            for sku in promo.skus:
                if sku.sku_id != line.sku_id:
                    continue
                if promo.kind == "member_price" and member_rank < max(sku.min_level_rank, 1):
                    continue
                price = promo_unit_price(line.unit_price_fen, sku)
                if not 0 <= price < line.unit_price_fen:
                    continue
                current = best.get(line.key)
                if current is None or price < current.unit_price_fen:
                    best[line.key] = PriceOffer(
                        line_key=line.key,
                        unit_price_fen=price,
                        reason=REASONS[promo.kind],
                        source=promo.source,
                        bearer=promo.bearer,
                    )
    return [best[line.key] for line in lines if line.key in best]


# ---------------------------------------------------------------------------------------------- stage B
@dataclass(slots=True)
class _Ledger:
    """The values still payable per line, reduced discount by discount as the engine will reduce them."""

    values: dict[str, int]
    discounts: list[Discount] = field(default_factory=list)

    def take(self, promo: Promo, keys: Sequence[str], amount: int) -> int:
        keys = [k for k in keys if self.values.get(k, 0) > 0]
        amount = min(amount, sum(self.values[k] for k in keys))
        if amount <= 0:
            return 0
        for key, share in zip(keys, allocate(amount, [self.values[k] for k in keys]), strict=True):
            self.values[key] -= share
        self.discounts.append(
            Discount(
                reason=reason_for(promo),
                amount_fen=amount,
                shop_id=promo.shop_id,
                line_keys=frozenset(keys),
                bearer=promo.bearer,
                source=promo.source,
            )
        )
        return amount


def _tier_hints(promo: Promo, value: int, reached: int | None, off: int) -> list[Hint]:
    hints: list[Hint] = []
    if reached is not None and off > 0:
        hints.append(Hint(promo.shop_id, N_("%(name)s: %(off)s off"), {"name": promo.name, "off_fen": off},
                          promo.source))  # fmt: skip
    nxt = 0 if reached is None else reached + 1
    if nxt < len(promo.tiers):
        tier = promo.tiers[nxt]
        more = tier.threshold_fen - value
        if promo.kind == "full_reduction":
            params = {"more_fen": more, "off_fen": tier.off_fen}
            hints.append(Hint(promo.shop_id, N_("Spend %(more)s more to save %(off)s"), params, promo.source))
        else:
            params = {"more_fen": more, "off_pct": 100 - tier.percent, "rate": rate_text(tier.percent)}
            hints.append(Hint(promo.shop_id, N_("Spend %(more)s more for %(off_pct)s%% off"), params, promo.source))
    return hints


def order_offers(promos: Iterable[Promo], lines: Sequence[LineInfo], values: Mapping[str, int], *,
                 now: datetime) -> OrderOffers:  # fmt: skip
    """Stage B over `values` (line key → fen still payable; lines not in it are left alone): multi-piece and
    bundles first, then full-reduction and full-discount tiers (shops' before the platform's) over what is left,
    then gifts (while gift stock lasts) and hints. Each discount is computed on what the earlier ones left."""
    lines = [line for line in lines if line.key in values]
    ledger = _Ledger(values={line.key: max(int(values[line.key]), 0) for line in lines})
    live = sorted((p for p in promos if p.live(now)), key=lambda p: p.id)
    hints: list[Hint] = []
    gifts: list[Gift] = []
    by_sku = {line.sku_id: line for line in lines}

    for promo in (p for p in live if p.kind == "multi_piece"):
        covered = [line for line in lines if promo.covers(line)]
        pieces = sum(line.quantity for line in covered)
        if not covered:
            continue
        reached = reached_tier(promo.tiers, pieces, by="pieces")
        if reached is not None:
            keys = [line.key for line in covered]
            off = percent_off(sum(ledger.values[k] for k in keys), promo.tiers[reached].percent)
            ledger.take(promo, keys, off)
        nxt = 0 if reached is None else reached + 1
        if nxt < len(promo.tiers):
            tier = promo.tiers[nxt]
            params = {"pieces": tier.pieces - pieces, "off_pct": 100 - tier.percent, "rate": rate_text(tier.percent)}
            hints.append(Hint(promo.shop_id, N_("Buy %(pieces)s more for %(off_pct)s%% off"), params, promo.source))

    for promo in (p for p in live if p.kind == "bundle" and p.bundle_price_fen is not None and p.skus):
        members = [(sku, by_sku.get(sku.sku_id)) for sku in promo.skus]
        if any(line is None or (promo.shop_id is not None and line.shop_id != promo.shop_id) for _, line in members):
            continue
        sets = min(line.quantity // sku.quantity for sku, line in members)  # type: ignore[union-attr]
        if sets <= 0:
            continue
        covered = sum(ledger.values[line.key] * sku.quantity * sets // line.quantity  # type: ignore[union-attr]
                      for sku, line in members)  # fmt: skip
        off = covered - promo.bundle_price_fen * sets
        if off > 0:
            ledger.take(promo, [line.key for _, line in members], off)  # type: ignore[union-attr]

    tier_promos = [p for p in live if p.kind in TIER_KINDS and p.tiers]
    for promo in sorted(tier_promos, key=lambda p: (p.shop_id is None, p.id)):
        keys = [line.key for line in lines if promo.covers(line)]
        if not keys:
            continue
        value = sum(ledger.values[k] for k in keys)
        reached = reached_tier(promo.tiers, value)
        off = 0
        if reached is not None:
            off = ledger.take(promo, keys, tier_discount(promo.kind, promo.tiers[reached], value))
        hints.extend(_tier_hints(promo, value, reached, off))

    for promo in (p for p in live if p.kind == "gift" and p.gift_sku_id is not None):
        covered = [line for line in lines if promo.covers(line)]
        if not covered:
            continue
        wanted = 0
        if promo.skus:
            for sku in promo.skus:
                line = by_sku.get(sku.sku_id)
                if line is not None and line in covered:
                    wanted += line.quantity // sku.quantity * promo.gift_quantity
        elif promo.threshold_fen:
            value = sum(ledger.values[line.key] for line in covered)
            if value >= promo.threshold_fen:
                wanted = promo.gift_quantity
            elif promo.gift_stock > 0:
                params = {"more_fen": promo.threshold_fen - value}
                hints.append(Hint(promo.shop_id, N_("Spend %(more)s more to get a free gift"), params, promo.source))
        given = min(wanted, promo.gift_stock)
        if given > 0 and promo.shop_id is not None:
            gifts.append(Gift(promotion_id=promo.id, shop_id=promo.shop_id, sku_id=promo.gift_sku_id, quantity=given))

    return OrderOffers(discounts=tuple(ledger.discounts), gifts=tuple(gifts), hints=tuple(hints))


# ---------------------------------------------------------------------------------------------- form checks
def check_window(starts_at: datetime | None, ends_at: datetime | None) -> dict[str, str]:
    errors: dict[str, str] = {}
    if starts_at is None:
        errors["starts_at"] = N_("Enter a start date and time.")
    if ends_at is None:
        errors["ends_at"] = N_("Enter an end date and time.")
    if starts_at and ends_at and ends_at <= starts_at:
        errors["ends_at"] = N_("The end must be after the start.")
    return errors


def check_tiers(kind: str, tiers: Sequence[Tier]) -> str | None:
    """A msgid when the tiers are wrong: at least one; thresholds (or pieces) rising; each tier better than the
    one before; an amount off below its threshold; percentages between 1 and 99."""
    if not tiers:
        return N_("Enter at least one tier.")
    previous: Tier | None = None
    for tier in tiers:
        if kind == "full_reduction":
            if tier.threshold_fen <= 0 or tier.off_fen <= 0:
                return N_("Each tier needs a threshold and an amount off above zero.")
            if tier.off_fen >= tier.threshold_fen:
                return N_("The amount off must be below its threshold.")
        elif kind == "full_discount":
            if tier.threshold_fen <= 0:
                return N_("Each tier needs a threshold above zero.")
        elif kind == "multi_piece" and tier.pieces < 2:
            return N_("A multi-piece tier starts at 2 pieces.")
        if kind in ("full_discount", "multi_piece") and not 1 <= tier.percent <= 99:
            return N_("A percentage is between 1 and 99.")
        if previous is not None:
            key = "pieces" if kind == "multi_piece" else "threshold_fen"
            if getattr(tier, key) <= getattr(previous, key):
                return N_("Each tier must start above the one before.")
            better = tier.off_fen > previous.off_fen if kind == "full_reduction" else tier.percent < previous.percent
            if not better:
                return N_("Each tier must give more than the one before.")
        previous = tier
    return None
