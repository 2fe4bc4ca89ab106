"""What a shopper may type as a quantity: a clear message for everything that is not 1..999."""

import pytest

from app.cart.errors import InvalidQuantity
from app.cart.forms import parse_id, parse_ids, parse_quantity
from app.core.i18n import translations


@pytest.mark.parametrize(("typed", "value"), [("1", 1), (" 2 ", 2), ("007", 7), ("999", 999), ("３", 3), (5, 5)])
def test_whole_numbers_from_1_to_999_are_quantities(typed, value):
    assert parse_quantity(typed) == value


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0", "The quantity must be at least 1."),
        ("000", "The quantity must be at least 1."),
        ("-1", "The quantity must be at least 1."),
        ("1000", "You can buy at most 999 of one item."),
        ("99999999999999999999999", "You can buy at most 999 of one item."),
        ("", "Enter the quantity as a whole number, for example 2."),
        (None, "Enter the quantity as a whole number, for example 2."),
        ("abc", "Enter the quantity as a whole number, for example 2."),
        ("1.5", "Enter the quantity as a whole number, for example 2."),
        ("1e3", "Enter the quantity as a whole number, for example 2."),
        ("²", "Enter the quantity as a whole number, for example 2."),
        ("٣", "Enter the quantity as a whole number, for example 2."),
    ],
)
def test_anything_else_is_refused_with_a_message_that_says_what_to_type(typed, message):
    with pytest.raises(InvalidQuantity) as caught:
        parse_quantity(typed)
    assert translations("en").ugettext(caught.value.message) % caught.value.params == message


def test_ids_are_positive_integers_and_malformed_ones_are_dropped():
    assert parse_id("12") == 12
    assert (
        parse_id("0") is None and parse_id("-3") is None and parse_id("x") is None and parse_id("99999999999") is None
    )
    assert parse_ids(["3", "x", "3", "5"]) == [3, 5]
