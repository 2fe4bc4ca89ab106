import pytest

from app.accounts.forms import Identifier, parse_identifier, password_problem


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Alice@Example.COM ", Identifier("email", "alice@example.com")),
        ("13800138000", Identifier("phone", "13800138000")),
        ("+86 138-0013-8000", Identifier("phone", "13800138000")),
        ("0086 13800138000", Identifier("phone", "13800138000")),
    ],
)
def test_identifiers_are_normalised(raw, expected):
    assert parse_identifier(raw) == expected


@pytest.mark.parametrize("raw", ["", "   ", "12345", "23800138000", "1380013800", "alice@", "a@b", "no spaces@x.cn"])
def test_bad_identifiers_get_a_message(raw):
    assert isinstance(parse_identifier(raw), str)


def test_password_rules():
    assert password_problem("short") is not None
    assert password_problem("x" * 129) is not None
    assert password_problem("11111111") is not None
    assert password_problem("alice@example.com", "alice@example.com") is not None
    assert password_problem("a decent passphrase") is None
