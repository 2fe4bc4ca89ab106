import itertools

import pytest

from app.aftersales import rules


def _item(gross: int, *adjustments: int) -> dict:
    adj = [{"reason": "x", "amount_fen": a, "bearer": "shop", "source": ""} for a in adjustments]
    return {"gross_fen": gross, "adjustments": adj, "paid_fen": gross + sum(adjustments)}


def test_refundable_is_paid_after_coupons_points_and_promotions():
    item = _item(10_000, -1_500, -300, -1_000)  # promotion, points, coupon
    assert rules.refundable_fen(item) == 7_200


def test_refundable_falls_back_to_gross_plus_adjustments_without_paid():
    item = _item(5_000, -999)
    del item["paid_fen"]
    assert rules.refundable_fen(item) == 4_001


def test_earlier_refunds_reduce_the_refundable_amount():
    item = _item(10_000, -333)
    assert rules.refundable_fen(item, [1_000, 2_000]) == 6_667
    assert rules.refundable_fen(item, [9_667]) == 0
    assert rules.refundable_fen(item, [20_000]) == 0


@pytest.mark.parametrize("parts", [(1, 2, 3), (3333, 1, 1), (5000, 4999)])
def test_partial_refunds_in_any_order_sum_exactly_to_what_was_paid(parts):
    item = _item(10_001, -1_001, -1)  # paid 8999
    for order in itertools.permutations(parts):
        taken: list[int] = []
        for part in order:
            refundable = rules.refundable_fen(item, taken)
            amount = min(part, refundable)
            rules.check_amount(amount, refundable)
            taken.append(amount)
        # the last refund takes the rest
        rest = rules.refundable_fen(item, taken)
        if rest:
            taken.append(rest)
        assert sum(taken) == 8_999
        assert rules.refundable_fen(item, taken) == 0


def test_amount_above_refundable_or_zero_is_refused():
    with pytest.raises(rules.AmountError) as err:
        rules.check_amount(101, 100)
    assert err.value.field == "amount" and err.value.params == {"amount": 100}
    with pytest.raises(rules.AmountError):
        rules.check_amount(0, 100)
    rules.check_amount(100, 100)


def test_return_path():
    for a, b in [
        ("requested", "approved"),
        ("approved", "buyer_shipped"),
        ("buyer_shipped", "received"),
        ("received", "refunded"),
    ]:
        rules.check_transition(a, b, kind="return_refund")


def test_refund_only_path_skips_the_return():
    rules.check_transition("approved", "refunded", kind="refund_only")
    with pytest.raises(rules.IllegalAfterSaleTransition):
        rules.check_transition("approved", "buyer_shipped", kind="refund_only")
    with pytest.raises(rules.IllegalAfterSaleTransition):
        rules.check_transition("approved", "refunded", kind="return_refund")


def test_dispute_path_and_closing():
    rules.check_transition("requested", "rejected")
    rules.check_transition("rejected", "escalated")
    rules.check_transition("escalated", "arbitrated")
    for state in ("requested", "approved", "rejected"):
        rules.check_transition(state, "closed", kind="return_refund")


@pytest.mark.parametrize(
    "a,b",
    [
        ("requested", "refunded"),
        ("refunded", "requested"),
        ("closed", "approved"),
        ("arbitrated", "refunded"),
        ("escalated", "closed"),
        ("buyer_shipped", "refunded"),
        ("rejected", "approved"),
        ("requested", "nonsense"),
    ],
)
def test_illegal_transitions_are_refused(a, b):
    assert not rules.allowed(a, b, kind="return_refund")
    with pytest.raises(rules.IllegalAfterSaleTransition):
        rules.check_transition(a, b, kind="return_refund")


def test_open_states_are_not_final():
    assert not rules.OPEN_STATES & rules.FINAL_STATES


def test_ruling_amounts():
    assert rules.ruling_amount("refund_full", requested_fen=500, partial_fen=None, refundable=800) == 800
    assert rules.ruling_amount("refund_partial", requested_fen=500, partial_fen=300, refundable=800) == 300
    assert rules.ruling_amount("rejected", requested_fen=500, partial_fen=None, refundable=800) == 0
    with pytest.raises(rules.AmountError):
        rules.ruling_amount("refund_partial", requested_fen=500, partial_fen=900, refundable=800)


def test_an_exchange_ships_a_replacement_after_receipt_instead_of_refunding():
    rules.check_transition("received", "reshipped", kind="exchange")
    rules.check_transition("reshipped", "closed", kind="exchange")
    assert not rules.allowed("received", "refunded", kind="exchange")
    assert not rules.allowed("received", "closed", kind="exchange")  # the replacement must be shipped first
    assert not rules.allowed("received", "reshipped", kind="return_refund")
    assert not rules.allowed("reshipped", "refunded", kind="exchange")
    assert "reshipped" in rules.OPEN_STATES  # the item stays blocked until the buyer has the replacement


def test_a_partial_amount_is_shared_over_items_up_to_each_cap():
    assert rules.split_amount(1500, [1000, 800]) == [1000, 500]
    assert rules.split_amount(700, [1000, 800]) == [700, 0]
    assert rules.split_amount(5000, [1000, 800]) == [1000, 800]
    assert rules.split_amount(0, [1000]) == [0]
    assert sum(rules.split_amount(1234, [300, 0, 2000])) == 1234
