"""Pure scoring of a shop (商家考核): raw 30-day numbers in, a 0-100 score with each component's sub-score out.
No database; unit-tested with hand-computed examples (tests/unit/assessment/).

Every component gives a sub-score 0-100; the score is the weighted mean (weights sum to 100), rounded half up.
A component with no evidence (no paid orders, no ratings, no conversations) is NEUTRAL (50), not zero: a new
shop is neither punished nor rewarded for what it has not had the chance to do.

- sales: GMV (paid amount of orders paid in the last 30 days) on a log scale against the platform's best shop:
  100 x ln(1 + GMV in yuan) / ln(1 + best shop's GMV in yuan). A log scale, not a percentile: percentiles
  reorder everyone when one shop moves and flatten small platforms (2 shops = 0 or 100); a log scale keeps a
  shop selling a tenth of the leader well above zero (x10 less GMV costs about a third of the points at
  realistic sizes). No paid orders: NEUTRAL for a shop opened within the window, 0 for an older one.
- dsr: the mean of the three DSR averages (description, service, logistics; 1-5) mapped linearly so that
  5.0 = 100, 4.0 = 50 and 3.0 or less = 0 (the mall's ratings sit between 4 and 5: a 1-5 linear map would
  give everyone 80-100).
- refund: the mean of refund amount rate (refunded / GMV) and refunded-order rate (refunded orders / paid
  orders), each as PRODUCT.md defines them; 100 x (1 - rate / 20%), 0 at 20% or more.
- dispute: (after-sales requests escalated to the platform + rulings against the shop) / paid orders:
  100 x (1 - rate / 5%), 0 at 5% or more. No paid orders: NEUTRAL, or 0 when there were disputes anyway.
- response: average chat first-response time: 100 at 60 s or less, 0 at one hour or more, linear between.
- violations: 100 - 20 per upheld complaint - 30 per sanction issued in the window, not below 0 (a clean
  record is full marks, not neutral: every shop has had the chance to break no rule).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from app.core.i18n import N_

COMPONENTS = ("sales", "dsr", "refund", "dispute", "response", "violation")
COMPONENT_NAMES = {
    "sales": N_("Sales"),
    "dsr": N_("Service ratings (DSR)"),
    "refund": N_("Refund rate"),
    "dispute": N_("Dispute rate"),
    "response": N_("Response time"),
    "violation": N_("Violations"),
}
ADVICE = {
    "sales": N_("Sell more: join platform campaigns, offer shop coupons and keep best sellers in stock."),
    "dsr": N_("Describe products accurately, answer politely and ship fast: buyers rate all three."),
    "refund": N_("Fewer refunds: check quality before shipping and make descriptions and photos match."),
    "dispute": N_("Settle after-sales requests with the buyer before they ask the platform to step in."),
    "response": N_("Answer chats faster: aim for the first reply within a minute; use quick replies."),
    "violation": N_("Follow the platform rules: each upheld complaint and each sanction lowers this."),
}
DEFAULT_WEIGHTS: dict[str, int] = {"sales": 25, "dsr": 25, "refund": 15, "dispute": 10, "response": 10, "violation": 15}
NEUTRAL = 50
WINDOW_DAYS = 30
REFUND_RATE_ZERO = 0.20
DISPUTE_RATE_ZERO = 0.05
RESPONSE_FULL_S = 60
RESPONSE_ZERO_S = 3600
COMPLAINT_PENALTY = 20
SANCTION_PENALTY = 30


@dataclass(frozen=True)
class ShopMetrics:
    """One shop's raw numbers over the window."""

    gmv_fen: int = 0
    paid_orders: int = 0
    refunded_fen: int = 0
    refunded_orders: int = 0
    disputes: int = 0
    disputes_lost: int = 0
    dsr: tuple[float, float, float] | None = None  # description, service, logistics averages
    ratings: int = 0
    response_s: int | None = None
    upheld_complaints: int = 0
    sanctions: int = 0
    new_shop: bool = False  # opened within the window


@dataclass(frozen=True)
class Component:
    name: str
    sub: int  # 0-100
    weight: int
    neutral: bool = False  # no evidence: the neutral sub-score was used


@dataclass(frozen=True)
class Score:
    score: int
    components: list[Component] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return {c.name: {"sub": c.sub, "weight": c.weight, "neutral": c.neutral} for c in self.components}


def validate_weights(weights: dict[str, Any]) -> tuple[dict[str, int], dict[str, str]]:
    """Parse the weights form: whole numbers 0-100 for every component, summing to 100.
    Returns (weights, errors by field; "__all__" for the sum)."""
    parsed: dict[str, int] = {}
    errors: dict[str, str] = {}
    for name in COMPONENTS:
        raw = str(weights.get(name, "")).strip()
        if not raw.isascii() or not raw.isdigit() or int(raw) > 100:
            errors[name] = N_("Enter a whole number from 0 to 100.")
            continue
        parsed[name] = int(raw)
    if not errors and sum(parsed.values()) != 100:
        errors["__all__"] = N_("The weights must add up to 100 (now %(total)s).")
    return parsed, errors


def _clamp(value: float) -> float:
    return max(0.0, min(100.0, value))


def _round(value: float) -> int:
    """Half up (Python's round() goes to even: 72.5 would give 72)."""
    return math.floor(value + 0.5 + 1e-9)


def sales_sub(gmv_fen: int, best_gmv_fen: int, *, new_shop: bool) -> tuple[int, bool]:
    if gmv_fen <= 0:
        return (NEUTRAL, True) if new_shop else (0, False)
    best = max(best_gmv_fen, gmv_fen)
    top = math.log1p(best / 100)
    if top <= 0:
        return 100, False
    return _round(_clamp(100 * math.log1p(gmv_fen / 100) / top)), False


def dsr_sub(dsr: tuple[float, float, float] | None, ratings: int) -> tuple[int, bool]:
    if not dsr or ratings <= 0:
        return NEUTRAL, True
    mean = sum(dsr) / 3
    return _round(_clamp((mean - 3) / 2 * 100)), False


def refund_sub(m: ShopMetrics) -> tuple[int, bool]:
    if m.paid_orders <= 0 or m.gmv_fen <= 0:
        return NEUTRAL, True
    amount_rate = min(m.refunded_fen / m.gmv_fen, 1.0)
    order_rate = min(m.refunded_orders / m.paid_orders, 1.0)
    rate = (amount_rate + order_rate) / 2
    return _round(_clamp(100 * (1 - rate / REFUND_RATE_ZERO))), False


def dispute_sub(m: ShopMetrics) -> tuple[int, bool]:
    bad = m.disputes + m.disputes_lost
    if m.paid_orders <= 0:
        return (NEUTRAL, True) if bad == 0 else (0, False)
    rate = bad / m.paid_orders
    return _round(_clamp(100 * (1 - rate / DISPUTE_RATE_ZERO))), False


def response_sub(response_s: int | None) -> tuple[int, bool]:
    if response_s is None:
        return NEUTRAL, True
    if response_s <= RESPONSE_FULL_S:
        return 100, False
    span = RESPONSE_ZERO_S - RESPONSE_FULL_S
    return _round(_clamp(100 * (1 - (response_s - RESPONSE_FULL_S) / span))), False


def violation_sub(upheld_complaints: int, sanctions: int) -> tuple[int, bool]:
    return _round(_clamp(100 - COMPLAINT_PENALTY * upheld_complaints - SANCTION_PENALTY * sanctions)), False


def score_shop(m: ShopMetrics, *, best_gmv_fen: int, weights: dict[str, int]) -> Score:
    subs = {
        "sales": sales_sub(m.gmv_fen, best_gmv_fen, new_shop=m.new_shop),
        "dsr": dsr_sub(m.dsr, m.ratings),
        "refund": refund_sub(m),
        "dispute": dispute_sub(m),
        "response": response_sub(m.response_s),
        "violation": violation_sub(m.upheld_complaints, m.sanctions),
    }
    components = [Component(n, subs[n][0], weights.get(n, 0), subs[n][1]) for n in COMPONENTS]
    total = sum(c.sub * c.weight for c in components) / 100
    return Score(score=_round(_clamp(total)), components=components)


def weakest(components: list[Component], *, limit: int = 3) -> list[Component]:
    """What to improve first: the components that cost the most points (weight x missing sub-score)."""
    losing = [c for c in components if c.weight and c.sub < 100 and not c.neutral]
    return sorted(losing, key=lambda c: (-(100 - c.sub) * c.weight, c.name))[:limit]


def rank(scores: list[tuple[int, int, int]]) -> dict[int, int]:
    """[(shop_id, score, gmv_fen)] → {shop_id: rank}: by score, then GMV, then the older shop (lower id).
    Dense positions 1, 2, 3... (no ties: the tie-breakers decide)."""
    ordered = sorted(scores, key=lambda s: (-s[1], -s[2], s[0]))
    return {shop_id: i + 1 for i, (shop_id, _score, _gmv) in enumerate(ordered)}
