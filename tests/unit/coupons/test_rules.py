"""The coupon choice without a database: thresholds at the boundary, percent caps, scopes, the best combination
(one coupon per shop and one platform coupon) and the shopper's own selection."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.i18n import gettext
from app.coupons.rules import EXPIRED, NOT_COVERED, NOT_YET, SPEND_MORE, CouponRule, choose, discount_for, evaluate
from app.promotions.context import LineInfo

NOW = datetime(2026, 11, 23, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=7)

_ids = iter(range(1, 10_000))


def line(
    key: str, *, shop: int = 1, product: int = 100, categories: tuple[int, ...] = (1, 10), fen: int = 10000
) -> LineInfo:
    return LineInfo(key=key, sku_id=int(key), product_id=product, shop_id=shop, category_ids=categories,
                    unit_price_fen=fen, quantity=1)  # fmt: skip


def coupon(**kw) -> CouponRule:  # type: ignore[no-untyped-def]
    kw.setdefault("user_coupon_id", next(_ids))
    kw.setdefault("shop_id", None)
    kw.setdefault("title", "券")
    kw.setdefault("kind", "threshold")
    kw.setdefault("valid_from", NOW - timedelta(days=1))
    kw.setdefault("valid_until", LATER)
    return CouponRule(**kw)


def values(lines: list[LineInfo]) -> dict[str, int]:
    return {li.key: li.unit_price_fen * li.quantity for li in lines}


def test_exactly_300_yuan_meets_300_minus_30() -> None:
    c = coupon(kind="threshold", threshold_fen=30000, amount_fen=3000)
    lines = [line("1", fen=30000)]
    ev = evaluate(c, lines, values(lines), NOW)
    assert ev.usable and ev.discount_fen == 3000


def test_299_99_yuan_misses_300_minus_30_by_one_fen() -> None:
    c = coupon(kind="threshold", threshold_fen=30000, amount_fen=3000)
    lines = [line("1", fen=29999)]
    ev = evaluate(c, lines, values(lines), NOW)
    assert not ev.usable
    assert ev.why_not == SPEND_MORE and ev.why_not_params == {"more": "¥0.01", "more_fen": 1}
    assert "¥0.01" in gettext(ev.why_not, **ev.why_not_params)  # as the checkout page shows it


def test_percent_off_is_capped() -> None:
    c = coupon(kind="percent_off", percent=20, cap_fen=5000)
    assert discount_for(c, 10000) == 2000
    assert discount_for(c, 100000) == 5000
    assert discount_for(coupon(kind="percent_off", percent=15), 999) == 149  # rounded down to the fen


def test_amount_off_never_exceeds_what_it_covers() -> None:
    c = coupon(kind="amount_off", amount_fen=1000)
    lines = [line("1", fen=600)]
    assert evaluate(c, lines, values(lines), NOW).discount_fen == 600


def test_min_spend_applies_to_every_kind() -> None:
    c = coupon(kind="amount_off", amount_fen=500, min_spend_fen=5000)
    lines = [line("1", fen=4999)]
    assert evaluate(c, lines, values(lines), NOW).why_not == SPEND_MORE


def test_scope_products_categories_and_shops() -> None:
    lines = [line("1", product=100, categories=(1, 10), shop=1, fen=20000),
             line("2", product=200, categories=(2, 20), shop=2, fen=5000)]  # fmt: skip
    v = values(lines)
    by_product = evaluate(
        coupon(kind="amount_off", amount_fen=100, scope="products", scope_ids=frozenset({200})), lines, v, NOW
    )
    assert by_product.keys == {"2"}
    by_category = evaluate(
        coupon(kind="amount_off", amount_fen=100, scope="categories", scope_ids=frozenset({1})), lines, v, NOW
    )
    assert by_category.keys == {"1"}
    by_shop = evaluate(
        coupon(kind="amount_off", amount_fen=100, scope="shops", scope_ids=frozenset({2})), lines, v, NOW
    )
    assert by_shop.keys == {"2"}
    # the threshold counts only what is in scope: ¥50 of shop 2 does not reach ¥100
    narrow = coupon(threshold_fen=10000, amount_fen=1000, scope="shops", scope_ids=frozenset({2}))
    assert evaluate(narrow, lines, v, NOW).why_not == SPEND_MORE
    nothing = evaluate(
        coupon(kind="amount_off", amount_fen=100, scope="products", scope_ids=frozenset({999})), lines, v, NOW
    )
    assert nothing.why_not == NOT_COVERED


def test_a_shop_coupon_covers_only_its_own_shop() -> None:
    lines = [line("1", shop=1, fen=10000), line("2", shop=2, fen=50000)]
    ev = evaluate(coupon(shop_id=1, threshold_fen=20000, amount_fen=2000), lines, values(lines), NOW)
    assert ev.keys == {"1"} and ev.why_not == SPEND_MORE


def test_not_yet_valid_and_expired() -> None:
    lines = [line("1")]
    soon = evaluate(
        coupon(kind="amount_off", amount_fen=100, valid_from=NOW + timedelta(hours=1)), lines, values(lines), NOW
    )
    assert soon.why_not == NOT_YET
    gone = evaluate(coupon(kind="amount_off", amount_fen=100, valid_until=NOW), lines, values(lines), NOW)
    assert gone.why_not == EXPIRED


def test_best_combination_one_per_shop_and_one_platform() -> None:
    lines = [line("1", shop=1, fen=20000), line("2", shop=2, fen=15000)]
    s1_small = coupon(shop_id=1, kind="amount_off", amount_fen=500)
    s1_big = coupon(shop_id=1, threshold_fen=10000, amount_fen=1500)
    s2 = coupon(shop_id=2, threshold_fen=10000, amount_fen=1000)
    p_small = coupon(kind="amount_off", amount_fen=1000)
    p_big = coupon(threshold_fen=30000, amount_fen=3000)
    pick = choose([s1_small, s1_big, s2, p_small, p_big], lines, values(lines), None, NOW)
    assert set(pick.selected_ids) == {s1_big.user_coupon_id, s2.user_coupon_id, p_big.user_coupon_id}
    by_source = {d.source: d for d in pick.discounts}
    assert by_source[f"coupon:{s1_big.user_coupon_id}"].shop_id == 1
    assert by_source[f"coupon:{s1_big.user_coupon_id}"].bearer == "shop"
    platform = by_source[f"coupon:{p_big.user_coupon_id}"]
    assert platform.shop_id is None and platform.bearer == "platform" and platform.amount_fen == 3000
    assert platform.line_keys == {"1", "2"}
    assert len(pick.choices) == 5
    assert [c.usable for c in pick.choices] == [True] * 5


def test_the_platform_threshold_counts_what_shop_coupons_left() -> None:
    # ¥310 of goods, a shop coupon takes ¥15: ¥295 left, so 满300减30 no longer applies; 满200减20 does
    lines = [line("1", shop=1, fen=31000)]
    shop = coupon(shop_id=1, kind="amount_off", amount_fen=1500)
    p300 = coupon(threshold_fen=30000, amount_fen=3000)
    p200 = coupon(threshold_fen=20000, amount_fen=2000)
    pick = choose([shop, p300, p200], lines, values(lines), None, NOW)
    assert set(pick.selected_ids) == {shop.user_coupon_id, p200.user_coupon_id}
    why = {c.user_coupon_id: c for c in pick.choices}
    assert not why[p300.user_coupon_id].usable and why[p300.user_coupon_id].why_not_params == {
        "more": "¥5.00",
        "more_fen": 500,
    }


def test_explicit_selection_is_honoured_and_limited_to_one_per_shop() -> None:
    lines = [line("1", shop=1, fen=20000)]
    s_a = coupon(shop_id=1, kind="amount_off", amount_fen=500)
    s_b = coupon(shop_id=1, kind="amount_off", amount_fen=1500)
    p_a = coupon(kind="amount_off", amount_fen=300)
    p_b = coupon(kind="amount_off", amount_fen=900)
    pick = choose(
        [s_a, s_b, p_a, p_b],
        lines,
        values(lines),
        [s_a.user_coupon_id, s_b.user_coupon_id, p_a.user_coupon_id, p_b.user_coupon_id],
        NOW,
    )
    assert pick.selected_ids == (s_a.user_coupon_id, p_a.user_coupon_id)
    none = choose([s_a, p_a], lines, values(lines), [], NOW)
    assert none.selected_ids == () and none.discounts == ()
    unusable = coupon(threshold_fen=99999, amount_fen=100)
    ignored = choose([unusable], lines, values(lines), [unusable.user_coupon_id], NOW)
    assert ignored.selected_ids == ()
    assert ignored.choices[0].usable is False and ignored.choices[0].selected is False


def test_choices_list_usable_first() -> None:
    lines = [line("1", fen=1000)]
    bad = coupon(threshold_fen=5000, amount_fen=100)
    good = coupon(kind="amount_off", amount_fen=100)
    pick = choose([bad, good], lines, values(lines), None, NOW)
    assert [c.user_coupon_id for c in pick.choices] == [good.user_coupon_id, bad.user_coupon_id]


def test_zero_value_lines_are_not_covered() -> None:
    lines = [line("1", fen=1000), line("2", fen=1000)]
    v = {"1": 1000, "2": 0}
    ev = evaluate(coupon(kind="amount_off", amount_fen=100), lines, v, NOW)
    assert ev.keys == {"1"}


def test_a_bigger_platform_coupon_wins_over_a_shop_coupon_that_would_break_its_threshold() -> None:
    # ¥300 of goods: the shop's ¥10 would leave ¥290, below 满300减30; ¥30 alone saves more
    lines = [line("1", shop=1, fen=30000)]
    shop = coupon(shop_id=1, kind="amount_off", amount_fen=1000)
    p300 = coupon(threshold_fen=30000, amount_fen=3000)
    pick = choose([shop, p300], lines, values(lines), None, NOW)
    assert pick.selected_ids == (p300.user_coupon_id,)
    assert [d.amount_fen for d in pick.discounts] == [3000]
    # chosen explicitly, the shop coupon comes first and the platform coupon no longer applies
    both = choose([shop, p300], lines, values(lines), [shop.user_coupon_id, p300.user_coupon_id], NOW)
    assert both.selected_ids == (shop.user_coupon_id,)


def test_shop_coupons_that_keep_the_platform_coupon_usable_stay() -> None:
    # two shops: keeping shop 2's coupon still leaves ¥300 for the platform coupon, shop 1's would not
    lines = [line("1", shop=1, fen=25000), line("2", shop=2, fen=6000)]
    s1 = coupon(shop_id=1, kind="amount_off", amount_fen=1500)
    s2 = coupon(shop_id=2, kind="amount_off", amount_fen=500)
    p = coupon(threshold_fen=30000, amount_fen=5000)
    pick = choose([s1, s2, p], lines, values(lines), None, NOW)
    assert set(pick.selected_ids) == {s2.user_coupon_id, p.user_coupon_id}
    assert sum(d.amount_fen for d in pick.discounts) == 5500


@given(
    prices=st.lists(st.integers(min_value=1, max_value=50000), min_size=1, max_size=5),
    specs=st.lists(
        st.tuples(st.sampled_from([None, 1, 2]), st.integers(0, 40000), st.integers(1, 5000), st.booleans()),
        min_size=1,
        max_size=6,
    ),
)
@settings(max_examples=200, deadline=None)
def test_any_pick_is_one_per_shop_plus_one_platform_and_never_takes_more_than_the_goods(prices, specs) -> None:  # type: ignore[no-untyped-def]
    lines = [line(str(i + 1), shop=1 + i % 2, fen=p) for i, p in enumerate(prices)]
    rules = [
        coupon(user_coupon_id=1000 + i, shop_id=shop, kind="percent_off" if pct else "threshold", threshold_fen=need,
               amount_fen=amount, percent=10, cap_fen=amount)
        for i, (shop, need, amount, pct) in enumerate(specs)
    ]  # fmt: skip
    pick = choose(rules, lines, values(lines), None, NOW)
    shops = [d.shop_id for d in pick.discounts]
    assert len(shops) == len(set(shops))
    assert sum(d.amount_fen for d in pick.discounts) <= sum(prices)
    for d in pick.discounts:
        assert d.amount_fen > 0 and d.line_keys
        assert d.amount_fen <= sum(values(lines)[k] for k in d.line_keys)
