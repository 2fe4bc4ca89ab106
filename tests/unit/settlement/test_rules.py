"""Money rules of the ledger without a database: rounding, refund shares, balancing, CSV safety."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.settlement.exports import safe_cell, yuan
from app.settlement.ledger import Leg, Unbalanced, check_balanced, commission_of, half_up, share_of
from app.settlement.posting import allocate


def test_commission_rounds_half_up_to_the_fen():
    assert commission_of(8500, 635) == 540  # 539.75
    assert commission_of(3333, 635) == 212  # 211.6455
    assert commission_of(10, 500) == 1  # 0.5 -> 1
    assert commission_of(9, 500) == 0  # 0.45 -> 0
    assert commission_of(0, 10000) == 0
    assert commission_of(12345, 10000) == 12345


def test_half_up_is_symmetric_for_negatives():
    assert half_up(-5, 10) == -1
    assert half_up(5, 10) == 1
    assert half_up(4, 10) == 0


def test_three_partial_refunds_give_back_exactly_the_frozen_commission():
    frozen, paid = 333, 3333
    given_back = 0
    cumulative = 0
    for part in (1111, 1111, 1111):
        cumulative += part
        share = share_of(frozen, cumulative, paid) - given_back
        given_back += share
    assert given_back == 333


@given(
    paid=st.integers(min_value=1, max_value=10**7),
    rate=st.integers(min_value=0, max_value=10000),
    parts=st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=8),
)
def test_cumulative_shares_never_exceed_and_end_exact(paid, rate, parts):
    frozen = commission_of(paid, rate)
    cumulative = returned = 0
    for part in parts:
        part = min(part, paid - cumulative)
        if part <= 0:
            break
        cumulative += part
        share = share_of(frozen, cumulative, paid) - returned
        assert share >= 0
        returned += share
        assert returned <= frozen
    if cumulative == paid:
        assert returned == frozen


def test_allocation_takes_the_after_sales_items_first_then_shipping():
    items = [{"id": 1, "left": 1000}, {"id": 2, "left": 500}, {"id": 3, "left": 700}]
    assert allocate(amount=300, items=items, shipping_left=800, targets={2: 300}) == ({2: 300}, 0)
    # a request for items 2 and 3 (200 and 700 asked): each gets what was asked
    assert allocate(amount=900, items=items, shipping_left=800, targets={2: 200, 3: 700}) == ({2: 200, 3: 700}, 0)
    # more than asked: the request's items are filled first, then the others, then shipping
    assert allocate(amount=1300, items=items, shipping_left=800, targets={3: 100}) == ({3: 700, 1: 600}, 0)
    assert allocate(amount=1200, items=items, shipping_left=800) == ({1: 1000, 2: 200}, 0)
    assert allocate(amount=3000, items=items, shipping_left=800) == ({1: 1000, 2: 500, 3: 700}, 800)


def test_an_unbalanced_set_of_legs_is_refused():
    with pytest.raises(Unbalanced):
        check_balanced([Leg("gateway_clearing", -100), Leg("shop_pending", 99, 1)])
    with pytest.raises(Unbalanced):
        check_balanced([Leg("gateway_clearing", -100), Leg("shop_pending", 100)])  # a shop account needs its shop
    assert check_balanced([Leg("gateway_clearing", 0), Leg("commission_revenue", 0)]) == []


def test_csv_cells_cannot_start_a_formula():
    assert safe_cell('=HYPERLINK("http://x")') == '\'=HYPERLINK("http://x")'
    assert safe_cell("@SUM(A1)") == "'@SUM(A1)"
    assert safe_cell("-12.30") == "-12.30"  # a number stays a number
    assert safe_cell("+86 138") == "'+86 138"
    assert safe_cell("小米优选旗舰店") == "小米优选旗舰店"


def test_yuan_is_exact_for_negatives():
    assert yuan(-1230) == "-12.30"
    assert yuan(-5) == "-0.05"
    assert yuan(19650) == "196.50"


@settings(max_examples=200)
@given(st.lists(st.integers(min_value=-(10**9), max_value=10**9), min_size=1, max_size=6))
def test_legs_balance_iff_they_sum_to_zero(amounts):
    legs = [Leg("gateway_clearing", a) for a in amounts]
    if sum(amounts) == 0:
        assert sum(leg.amount_fen for leg in check_balanced(legs)) == 0
    else:
        with pytest.raises(Unbalanced):
            check_balanced(legs)
