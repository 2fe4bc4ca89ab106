from datetime import date

import pytest

from app.onboarding.codes import CodeInvalid, check_credit_code, check_id_number, id_check_char, uscc_check_char

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    "code",
    [
        "91350100M000100Y43",  # the commonly cited example
        "91291417QEFLCR63FY",  # computed with the algorithm
        "910669078PR7JY3WAJ",
        "91000806M6DP0G7QER",
        "91783533QEY9X0DTXR",
    ],
)
def test_valid_credit_codes_pass_and_are_normalised(code: str) -> None:
    assert check_credit_code(code) == code
    assert check_credit_code(f" {code.lower()[:9]} {code.lower()[9:]} ") == code


def test_the_check_character_is_computed_from_the_first_17() -> None:
    assert uscc_check_char("91350100M000100Y4") == "3"


@pytest.mark.parametrize(
    ("code", "fragment"),
    [
        ("", "Enter the unified"),
        ("91350100M000100Y4", "18 characters"),
        ("91350100M000100Y433", "18 characters"),
        ("91350100M000100I43", "except I, O, S, V and Z"),
        ("91350100O000100Y43", "except I, O, S, V and Z"),
        ("91350100S000100Y43", "except I, O, S, V and Z"),
        ("91350100V000100Y43", "except I, O, S, V and Z"),
        ("91350100Z000100Y43", "except I, O, S, V and Z"),
        ("9135010#M000100Y43", "except I, O, S, V and Z"),
        ("91A50100M000100Y43", "region code"),
        ("91350100M000100Y44", "does not match"),
        ("91350100M000100Y4A", "does not match"),
    ],
)
def test_invalid_credit_codes_say_what_is_wrong(code: str, fragment: str) -> None:
    with pytest.raises(CodeInvalid) as caught:
        check_credit_code(code)
    assert fragment in caught.value.message


@pytest.mark.parametrize("number", ["11010519491231002X", "440306199003075612", "320102198501011234"])
def test_valid_id_numbers_pass(number: str) -> None:
    assert check_id_number(number.lower(), today=TODAY) == number


def test_id_check_character_is_iso_7064_mod_11_2() -> None:
    assert id_check_char("11010519491231002") == "X"


@pytest.mark.parametrize(
    ("number", "fragment"),
    [
        ("", "Enter the resident"),
        ("11010519491231002", "18 characters"),
        ("1101051949123100XX", "17 digits"),
        ("11010519491331002X", "birth date"),  # month 13
        ("110105189912310021", "birth date"),  # before 1900
        ("110105203001010011", "birth date"),  # in the future
        ("110105194912310021", "does not match"),
    ],
)
def test_invalid_id_numbers_say_what_is_wrong(number: str, fragment: str) -> None:
    with pytest.raises(CodeInvalid) as caught:
        check_id_number(number, today=TODAY)
    assert fragment in caught.value.message


def test_a_minor_cannot_hold_a_personal_shop() -> None:
    first17 = "11010520100101001"
    with pytest.raises(CodeInvalid) as caught:
        check_id_number(first17 + id_check_char(first17), today=TODAY)
    assert "18 years" in caught.value.message
