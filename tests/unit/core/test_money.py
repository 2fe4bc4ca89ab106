import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.money import InvalidAmount, format_fen, parse_yuan


def test_format_fen_in_chinese_and_english_uses_the_yuan_sign_and_groups_digits():
    assert format_fen(123450, "zh_CN") == "¥1,234.50"
    assert format_fen(123450, "en") == "¥1,234.50"
    assert format_fen(5, "zh_CN") == "¥0.05"
    assert format_fen(0, "en") == "¥0.00"
    assert format_fen(-1999, "en") == "-¥19.99"


def test_format_fen_refuses_floats():
    with pytest.raises(TypeError):
        format_fen(12.5)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("text", "fen"), [("12.30", 1230), ("0", 0), ("¥1,234.5", 123450), (" 7 ", 700), ("￥0.01", 1)]
)
def test_parse_yuan_reads_what_people_type(text, fen):
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["", "abc", "-1", "1.234", "NaN", "Infinity"])
def test_parse_yuan_rejects_bad_amounts_with_a_message(text):
    with pytest.raises(InvalidAmount) as err:
        parse_yuan(text)
    assert err.value.message


@given(st.integers(min_value=0, max_value=10**12))
def test_parse_of_format_round_trips(fen):
    assert parse_yuan(format_fen(fen, "en")) == fen


@given(st.integers(min_value=-(10**12), max_value=10**12))
def test_the_fast_path_matches_babel_for_our_locales(fen):
    from decimal import Decimal

    from babel.numbers import format_decimal

    for locale in ("zh_CN", "en"):
        body = format_decimal(Decimal(abs(fen)) / 100, format="#,##0.00", locale=locale)
        assert format_fen(fen, locale) == ("-¥" if fen < 0 else "¥") + body
