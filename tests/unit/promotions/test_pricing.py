"""The pricing engine: examples a shopper would check by hand, then properties over random carts."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.promotions.pricing import (
    Discount,
    Line,
    PricingError,
    ShippingTemplate,
    allocate,
    quote,
    shipping_fee,
)

TEA, PHONE = 1, 2


def test_one_payment_splits_into_shops_with_their_own_shipping() -> None:
    lines = [
        Line("a", 11, TEA, 3990, 2, weight_g=300),
        Line("b", 21, PHONE, 599900, 1, weight_g=600),
        Line("c", 12, TEA, 1000, 1),
    ]
    shipping = {TEA: ShippingTemplate(flat_fen=800, free_over_fen=9900), PHONE: ShippingTemplate(free_over_fen=0)}
    q = quote(lines, shipping=shipping)
    tea, phone = q.shops
    assert (tea.shop_id, phone.shop_id) == (TEA, PHONE)
    assert tea.goods_fen == 8980 and tea.shipping_fen == 800 and tea.total_fen == 9780
    assert phone.total_fen == 599900 and phone.shipping_fen == 0
    assert q.total_fen == 9780 + 599900 and q.deliverable


def test_free_shipping_is_judged_on_what_the_buyer_pays_after_discounts() -> None:
    lines = [Line("a", 1, TEA, 10000, 1)]
    shipping = {TEA: ShippingTemplate(flat_fen=800, free_over_fen=9900)}
    assert quote(lines, shipping=shipping).shops[0].shipping_fen == 0
    cheaper = quote(lines, shipping=shipping, discounts=[Discount("满100减5", 500, shop_id=TEA)])
    assert cheaper.shops[0].shipping_fen == 800 and cheaper.total_fen == 9500 + 800


def test_shipping_by_weight_counts_every_started_step() -> None:
    by_weight = ShippingTemplate(mode="weight", first_weight_g=1000, first_fen=1000, extra_weight_g=500, extra_fen=300)
    assert shipping_fee(by_weight, goods_fen=0, weight_g=800) == 1000
    assert shipping_fee(by_weight, goods_fen=0, weight_g=1000) == 1000
    assert shipping_fee(by_weight, goods_fen=0, weight_g=1001) == 1300
    assert shipping_fee(by_weight, goods_fen=0, weight_g=2600) == 1000 + 4 * 300


def test_an_excluded_region_is_not_deliverable() -> None:
    lines = [Line("a", 1, TEA, 1000, 1), Line("b", 2, PHONE, 1000, 1)]
    shipping = {TEA: ShippingTemplate(flat_fen=500, excluded_regions=frozenset({"54"}))}  # 西藏
    q = quote(lines, shipping=shipping, region="54")
    assert not q.deliverable and not q.shops[0].deliverable and q.shops[1].deliverable
    assert q.shops[0].shipping_fen == 0
    assert quote(lines, shipping=shipping, region="33").deliverable


def test_a_shop_discount_is_shared_by_its_lines_in_proportion_and_adds_up_exactly() -> None:
    lines = [Line("a", 1, TEA, 100, 1), Line("b", 2, TEA, 200, 1), Line("c", 3, PHONE, 5000, 1)]
    q = quote(lines, discounts=[Discount("店铺券", 100, shop_id=TEA, source="coupon:7")])
    a, b = q.shops[0].lines
    assert [adj.amount_fen for adj in a.adjustments] == [-33] and [adj.amount_fen for adj in b.adjustments] == [-67]
    assert a.paid_fen + b.paid_fen == 200 and q.shops[1].lines[0].paid_fen == 5000
    assert a.adjustments[0].source == "coupon:7" and a.adjustments[0].reason == "店铺券"


def test_a_platform_discount_spans_shops_after_their_own_discounts() -> None:
    lines = [Line("a", 1, TEA, 3000, 1), Line("b", 2, PHONE, 7000, 1)]
    q = quote(
        lines,
        discounts=[
            Discount("平台券", 1000, shop_id=None, bearer="platform"),
            Discount("店铺满减", 1000, shop_id=TEA),
        ],
    )
    a, b = q.shops[0].lines[0], q.shops[1].lines[0]
    assert a.paid_fen == 3000 - 1000 - 222 and b.paid_fen == 7000 - 778  # 1000 over 2000 : 7000
    assert [adj.bearer for adj in a.adjustments] == ["shop", "platform"]
    assert q.discount_fen == -2000 and q.total_fen == 8000


def test_a_discount_never_takes_more_than_the_goods_are_worth() -> None:
    q = quote([Line("a", 1, TEA, 500, 1)], discounts=[Discount("大额券", 900, shop_id=TEA)])
    assert q.total_fen == 0 and q.shops[0].lines[0].paid_fen == 0 and q.notes


def test_a_discount_can_be_limited_to_some_lines() -> None:
    lines = [Line("a", 1, TEA, 1000, 1), Line("b", 2, TEA, 1000, 1)]
    q = quote(lines, discounts=[Discount("限时折扣", 300, shop_id=TEA, line_keys=frozenset({"b"}))])
    assert [line.paid_fen for line in q.shops[0].lines] == [1000, 700]


@pytest.mark.parametrize(
    "line",
    [Line("a", 1, TEA, 100, 0), Line("a", 1, TEA, 100, -1), Line("a", 1, TEA, -1, 1), Line("a", 1, TEA, 1, 1, -5)],
)
def test_lines_the_engine_cannot_price_are_refused(line: Line) -> None:
    with pytest.raises(PricingError):
        quote([line])


def test_allocate_is_exact_and_fair() -> None:
    assert allocate(100, [1, 1, 1]) == [34, 33, 33]
    assert allocate(10, [0, 5, 5]) == [0, 5, 5]
    assert allocate(0, [3, 4]) == [0, 0] and allocate(7, [0, 0]) == [0, 0]


# ---------------------------------------------------------------- properties
line_values = st.tuples(
    st.integers(1, 50),  # sku
    st.integers(1, 4),  # shop
    st.integers(0, 2_000_000),  # unit price
    st.integers(1, 99),  # quantity
    st.integers(0, 20_000),  # weight
)
lines_strategy = st.lists(line_values, min_size=1, max_size=12).map(
    lambda rows: [Line(str(i), *row) for i, row in enumerate(rows)]
)
discounts_strategy = st.lists(
    st.builds(
        Discount, reason=st.just("券"), amount_fen=st.integers(0, 5_000_000), shop_id=st.none() | st.integers(1, 4)
    ),
    max_size=4,
)
templates_strategy = st.dictionaries(
    st.integers(1, 4),
    st.builds(
        ShippingTemplate,
        mode=st.sampled_from(["flat", "weight"]),
        flat_fen=st.integers(0, 5000),
        free_over_fen=st.none() | st.integers(0, 100_000),
        first_weight_g=st.integers(0, 5000),
        first_fen=st.integers(0, 3000),
        extra_weight_g=st.integers(1, 5000),
        extra_fen=st.integers(0, 2000),
    ),
)


@settings(max_examples=300, deadline=None)
@given(lines=lines_strategy, discounts=discounts_strategy, shipping=templates_strategy)
def test_totals_are_never_negative_and_the_parts_add_up(lines, discounts, shipping) -> None:  # type: ignore[no-untyped-def]
    q = quote(lines, shipping=shipping, discounts=discounts)
    assert q.total_fen >= 0 and q.discount_fen <= 0 and q.shipping_fen >= 0
    assert q.total_fen == q.goods_fen + q.discount_fen + q.shipping_fen
    assert q.total_fen == sum(s.total_fen for s in q.shops)
    for shop in q.shops:
        assert shop.total_fen == sum(line.paid_fen for line in shop.lines) + shop.shipping_fen
        for line in shop.lines:
            assert 0 <= line.paid_fen <= line.gross_fen == line.unit_price_fen * line.quantity
            assert line.paid_fen == line.gross_fen + sum(a.amount_fen for a in line.adjustments)
    given_away = -sum(a.amount_fen for s in q.shops for line in s.lines for a in line.adjustments)
    assert given_away == -q.discount_fen <= sum(d.amount_fen for d in discounts)


@given(amount=st.integers(0, 10**9), weights=st.lists(st.integers(0, 10**7), min_size=1, max_size=20))
def test_allocate_always_sums_to_the_amount_and_follows_the_weights(amount: int, weights: list[int]) -> None:
    shares = allocate(amount, weights)
    if sum(weights) == 0:
        assert shares == [0] * len(weights)
        return
    assert sum(shares) == amount and all(s >= 0 for s in shares)
    for share, weight in zip(shares, weights, strict=True):
        assert abs(share - amount * weight / sum(weights)) < 1  # off by less than one fen
