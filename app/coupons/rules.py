"""The coupon rules as pure functions (no database): what a coupon covers, what it takes off, why it cannot be
used, and the best combination (at most one coupon per shop and one platform coupon). app/coupons/checkout.py
reads the buyer's coupons and calls `choose()`."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.core.i18n import N_
from app.core.money import format_fen
from app.promotions.context import CouponChoice, CouponPick, LineInfo
from app.promotions.pricing import Discount, allocate

REASON = N_("Coupon")

NOT_YET = N_("Usable from %(date)s")
EXPIRED = N_("This coupon has expired")
NOT_COVERED = N_("Nothing in your order is covered by this coupon")
SPEND_MORE = N_("Spend %(more)s more to use it")


TERM_FIELDS = ("kind", "amount_fen", "threshold_fen", "percent", "cap_fen", "min_spend_fen", "scope")


@dataclass(frozen=True, slots=True, kw_only=True)
class CouponTerms:
    """What a coupon takes off and over what: the same for a template being saved, an offer in the coupon centre,
    a coupon in the wallet and a coupon being applied at checkout."""

    kind: str  # amount_off | threshold | percent_off
    amount_fen: int = 0
    threshold_fen: int = 0
    percent: int = 0  # % off
    cap_fen: int | None = None
    min_spend_fen: int = 0
    scope: str = "all"  # all | categories | shops | products

    @property
    def need_fen(self) -> int:
        """What the covered lines must be worth before it can be used."""
        return max(self.min_spend_fen, self.threshold_fen if self.kind == "threshold" else 0)


def terms_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """The terms' fields from a coupon_template row (or a join that selects them under the same names)."""
    return {name: row[name] for name in TERM_FIELDS}


@dataclass(frozen=True, slots=True, kw_only=True)
class CouponRule(CouponTerms):
    """One unused coupon of the buyer with its template's terms."""

    user_coupon_id: int
    shop_id: int | None  # None: a platform coupon
    title: str
    scope_ids: frozenset[int] = frozenset()
    valid_from: datetime | None = None
    valid_until: datetime | None = None


@dataclass(frozen=True, slots=True)
class Evaluation:
    rule: CouponRule
    discount_fen: int
    keys: frozenset[str]
    why_not: str = ""
    why_not_params: dict[str, Any] = field(default_factory=dict)

    @property
    def usable(self) -> bool:
        return not self.why_not and self.discount_fen > 0


def covers(rule: CouponRule, line: LineInfo) -> bool:
    """A shop coupon covers only its shop's lines; then the scope narrows them."""
    if rule.shop_id is not None and line.shop_id != rule.shop_id:
        return False
    if rule.scope == "all":
        return True
    if rule.scope == "products":
        return line.product_id in rule.scope_ids
    if rule.scope == "categories":
        return any(c in rule.scope_ids for c in line.category_ids)
    if rule.scope == "shops":
        return line.shop_id in rule.scope_ids
    return False


def covered_keys(rule: CouponRule, lines: Iterable[LineInfo], values: Mapping[str, int]) -> frozenset[str]:
    return frozenset(line.key for line in lines if line.key in values and values[line.key] > 0 and covers(rule, line))


def discount_for(rule: CouponRule, value_fen: int) -> int:
    """What the coupon takes off lines worth `value_fen` (thresholds already met); never more than the value."""
    if value_fen <= 0:
        return 0
    if rule.kind == "percent_off":
        off = value_fen * rule.percent // 100
        if rule.cap_fen is not None:
            off = min(off, rule.cap_fen)
    else:
        off = rule.amount_fen
    return max(0, min(off, value_fen))


def evaluate(rule: CouponRule, lines: Sequence[LineInfo], values: Mapping[str, int], now: datetime) -> Evaluation:
    keys = covered_keys(rule, lines, values)
    if rule.valid_until is not None and rule.valid_until <= now:
        return Evaluation(rule, 0, keys, EXPIRED)
    if rule.valid_from is not None and rule.valid_from > now:
        return Evaluation(rule, 0, keys, NOT_YET, {"date": rule.valid_from.date().isoformat()})
    value = sum(values[k] for k in keys)
    if value <= 0:
        return Evaluation(rule, 0, keys, NOT_COVERED)
    if value < rule.need_fen:
        more = rule.need_fen - value
        return Evaluation(rule, 0, keys, SPEND_MORE, {"more": format_fen(more), "more_fen": more})
    return Evaluation(rule, discount_for(rule, value), keys)


def _better(a: Evaluation, b: Evaluation | None) -> bool:
    """The larger discount; on a tie the one that expires first, then the older coupon."""
    if b is None:
        return True
    far = datetime.max.replace(tzinfo=a.rule.valid_until.tzinfo if a.rule.valid_until else None)
    ka = (-a.discount_fen, a.rule.valid_until or far, a.rule.user_coupon_id)
    kb = (-b.discount_fen, b.rule.valid_until or far, b.rule.user_coupon_id)
    return ka < kb


def values_after(values: Mapping[str, int], discounts: Iterable[Discount]) -> dict[str, int]:
    """The line values left once `discounts` are taken off their lines in proportion (as the engine allocates)."""
    left = dict(values)
    for d in discounts:
        keys = sorted(k for k in (d.line_keys or left.keys()) if left.get(k, 0) > 0)
        shares = allocate(min(d.amount_fen, sum(left[k] for k in keys)), [left[k] for k in keys])
        for k, share in zip(keys, shares, strict=True):
            left[k] -= share
    return left


def as_discount(ev: Evaluation) -> Discount:
    platform = ev.rule.shop_id is None
    return Discount(
        reason=REASON,
        amount_fen=ev.discount_fen,
        shop_id=ev.rule.shop_id,
        line_keys=ev.keys,
        bearer="platform" if platform else "shop",
        source=f"coupon:{ev.rule.user_coupon_id}",
    )


def choose(
    rules: Sequence[CouponRule],
    lines: Sequence[LineInfo],
    values: Mapping[str, int],
    selected: Sequence[int] | None,
    now: datetime,
) -> CouponPick:
    """`selected` None: the combination that takes the most off. Per shop the shop coupon with the largest
    discount, then the platform coupon with the largest discount on what the shop coupons left; unless leaving
    out some shop coupons keeps a bigger platform coupon usable and saves more in total. Otherwise exactly the
    selected coupons that are usable (the first one per shop and the first platform coupon in the given order;
    others ignored)."""
    shop_rules = [r for r in rules if r.shop_id is not None]
    platform_rules = [r for r in rules if r.shop_id is None]
    shop_evals = {r.user_coupon_id: evaluate(r, lines, values, now) for r in shop_rules}

    def platform_on(shops: dict[int, Evaluation]) -> dict[int, Evaluation]:
        left = values_after(values, [as_discount(ev) for ev in shops.values()])
        return {r.user_coupon_id: evaluate(r, lines, left, now) for r in platform_rules}

    def best_of(evals: Iterable[Evaluation]) -> Evaluation | None:
        best: Evaluation | None = None
        for ev in evals:
            if ev.usable and _better(ev, best):
                best = ev
        return best

    chosen_shop: dict[int, Evaluation] = {}
    chosen_platform: Evaluation | None = None
    if selected is None:
        best_per_shop: dict[int, Evaluation] = {}
        for ev in shop_evals.values():
            assert ev.rule.shop_id is not None
            if ev.usable and _better(ev, best_per_shop.get(ev.rule.shop_id)):
                best_per_shop[ev.rule.shop_id] = ev
        # A: every shop's best coupon, then the best platform coupon on what they left
        chosen_shop = dict(best_per_shop)
        chosen_platform = best_of(platform_on(chosen_shop).values())
        total = sum(ev.discount_fen for ev in chosen_shop.values()) + (
            chosen_platform.discount_fen if chosen_platform else 0
        )
        # B: a platform coupon whose threshold a shop coupon would break may be worth more: for each one, keep
        # only the shop coupons (largest first) that leave it usable; the largest total wins, A on a tie
        by_size = sorted(best_per_shop.values(), key=lambda ev: -ev.discount_fen)
        for rule in platform_rules:
            if not evaluate(rule, lines, values, now).usable:
                continue
            shops: dict[int, Evaluation] = {}
            for ev in by_size:
                assert ev.rule.shop_id is not None
                trial = {**shops, ev.rule.shop_id: ev}
                if platform_on(trial)[rule.user_coupon_id].usable:
                    shops = trial
            platform = platform_on(shops)[rule.user_coupon_id]
            candidate = sum(ev.discount_fen for ev in shops.values()) + platform.discount_fen
            if candidate > total:
                chosen_shop, chosen_platform, total = shops, platform, candidate
    else:
        for uc_id in selected:
            ev = shop_evals.get(uc_id)
            if ev is not None and ev.usable and ev.rule.shop_id not in chosen_shop:
                assert ev.rule.shop_id is not None
                chosen_shop[ev.rule.shop_id] = ev
    platform_evals = platform_on(chosen_shop)
    if selected is not None:
        for uc_id in selected:
            ev = platform_evals.get(uc_id)
            if ev is not None and ev.usable:
                chosen_platform = ev
                break
    elif chosen_platform is not None:
        chosen_platform = platform_evals[chosen_platform.rule.user_coupon_id]

    picked = [*chosen_shop.values(), *([chosen_platform] if chosen_platform else [])]
    picked_ids = {ev.rule.user_coupon_id for ev in picked}
    choices = []
    for ev in [*shop_evals.values(), *platform_evals.values()]:
        choices.append(
            CouponChoice(
                user_coupon_id=ev.rule.user_coupon_id,
                shop_id=ev.rule.shop_id,
                title=ev.rule.title,
                discount_fen=ev.discount_fen if ev.usable else 0,
                usable=ev.usable,
                why_not=ev.why_not,
                why_not_params=ev.why_not_params,
                selected=ev.rule.user_coupon_id in picked_ids,
            )
        )
    choices.sort(key=lambda c: (not c.usable, not c.selected, -c.discount_fen, c.user_coupon_id))
    return CouponPick(
        discounts=tuple(as_discount(ev) for ev in picked),
        choices=tuple(choices),
        selected_ids=tuple(ev.rule.user_coupon_id for ev in picked),
    )
