"""The pure scoring, with hand-computed numbers (see app/assessment/rules.py for each formula)."""

from __future__ import annotations

from app.assessment import rules
from app.assessment.rules import DEFAULT_WEIGHTS, ShopMetrics, score_shop

BUSY = ShopMetrics(
    gmv_fen=1_000_000,  # 10,000 yuan
    paid_orders=100,
    refunded_fen=50_000,  # 5% of GMV
    refunded_orders=4,  # 4% of orders
    disputes=2,
    disputes_lost=1,
    dsr=(4.8, 4.6, 4.7),
    ratings=40,
    response_s=300,
    upheld_complaints=1,
)


def subs(score: rules.Score) -> dict[str, int]:
    return {c.name: c.sub for c in score.components}


def test_a_busy_shop_scores_each_component_as_computed_by_hand() -> None:
    score = score_shop(BUSY, best_gmv_fen=10_000_000, weights=DEFAULT_WEIGHTS)
    # sales 100 x ln(10001)/ln(100001) = 80.0; DSR mean 4.7 → (4.7-3)/2 = 85; refund (5%+4%)/2 = 4.5% → 77.5 → 78;
    # disputes (2+1)/100 = 3% → 40; response 300 s → 100 x (1 - 240/3540) = 93.2 → 93; one complaint → 80
    assert subs(score) == {"sales": 80, "dsr": 85, "refund": 78, "dispute": 40, "response": 93, "violation": 80}
    # (80x25 + 85x25 + 78x15 + 40x10 + 93x10 + 80x15) / 100 = 78.25
    assert score.score == 78


def test_a_new_shop_with_no_orders_and_no_ratings_is_neutral_not_zero() -> None:
    score = score_shop(ShopMetrics(new_shop=True), best_gmv_fen=1_000_000, weights=DEFAULT_WEIGHTS)
    assert subs(score) == {"sales": 50, "dsr": 50, "refund": 50, "dispute": 50, "response": 50, "violation": 100}
    assert all(c.neutral for c in score.components if c.name != "violation")
    assert score.score == 58  # (50 x 85 + 100 x 15) / 100 = 57.5, rounded half up


def test_an_established_shop_that_sold_nothing_gets_no_sales_points() -> None:
    score = score_shop(ShopMetrics(new_shop=False), best_gmv_fen=1_000_000, weights=DEFAULT_WEIGHTS)
    assert subs(score)["sales"] == 0
    assert score.score == 45  # (0 x 25 + 50 x 60 + 100 x 15) / 100


def test_the_best_selling_shop_gets_full_sales_points_and_an_empty_platform_does_not_divide_by_zero() -> None:
    assert rules.sales_sub(5_000_000, 5_000_000, new_shop=False) == (100, False)
    assert rules.sales_sub(100, 0, new_shop=False) == (100, False)
    # 10 yuan against a best of 1,000 yuan: ln(11) / ln(1001) = 0.347 → 35 (a hundredth of the sales, a third)
    assert rules.sales_sub(1_000, 100_000, new_shop=False) == (35, False)


def test_rates_at_or_beyond_their_limit_give_zero_and_never_go_negative() -> None:
    shop = ShopMetrics(gmv_fen=1000, paid_orders=2, refunded_fen=5000, refunded_orders=3, disputes=5)
    assert rules.refund_sub(shop) == (0, False)
    assert rules.dispute_sub(shop) == (0, False)
    assert rules.response_sub(7200) == (0, False)
    assert rules.response_sub(30) == (100, False)
    assert rules.violation_sub(3, 2) == (0, False)
    assert rules.dsr_sub((2.0, 2.5, 3.0), 5) == (0, False)
    assert rules.dsr_sub((5.0, 5.0, 5.0), 1) == (100, False)


def test_disputes_without_any_paid_order_in_the_window_are_not_neutral() -> None:
    assert rules.dispute_sub(ShopMetrics(disputes=1)) == (0, False)
    assert rules.dispute_sub(ShopMetrics()) == (50, True)


def test_weights_must_be_whole_numbers_that_add_up_to_100() -> None:
    ok, errors = rules.validate_weights({n: str(w) for n, w in DEFAULT_WEIGHTS.items()})
    assert ok == DEFAULT_WEIGHTS and errors == {}
    _, errors = rules.validate_weights({**DEFAULT_WEIGHTS, "sales": "30"})
    assert errors == {"__all__": "The weights must add up to 100 (now %(total)s)."}
    _, errors = rules.validate_weights({**DEFAULT_WEIGHTS, "dsr": "-5", "refund": "abc", "dispute": "101"})
    assert set(errors) == {"dsr", "refund", "dispute"}


def test_weights_change_the_score() -> None:
    only_sales = {n: 0 for n in rules.COMPONENTS} | {"sales": 100}
    assert score_shop(BUSY, best_gmv_fen=10_000_000, weights=only_sales).score == 80


def test_what_to_improve_first_is_what_costs_the_most_points() -> None:
    score = score_shop(BUSY, best_gmv_fen=10_000_000, weights=DEFAULT_WEIGHTS)
    # points lost: dispute 60x10 = 600, sales 20x25 = 500, DSR 15x25 = 375, refund 22x15 = 330, ...
    assert [c.name for c in rules.weakest(score.components)] == ["dispute", "sales", "dsr"]


def test_ranking_breaks_ties_by_gmv_then_the_older_shop() -> None:
    assert rules.rank([(3, 80, 100), (1, 80, 100), (2, 80, 500), (4, 90, 0)]) == {4: 1, 2: 2, 1: 3, 3: 4}
