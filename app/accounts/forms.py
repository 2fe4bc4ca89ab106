"""Parsing of account input: identifiers (email or mainland mobile) and passwords. Pure functions."""

from __future__ import annotations

import re
from dataclasses import dataclass

from app.core.i18n import N_

_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
PASSWORD_MIN = 8
PASSWORD_MAX = 128


@dataclass(frozen=True)
class Identifier:
    kind: str  # "email" | "phone"
    value: str


def parse_identifier(raw: str) -> Identifier | str:
    """An Identifier, or the msgid of what is wrong with the input."""
    text = (raw or "").strip()
    if not text:
        return N_("Enter your email address or mobile number.")
    if "@" in text:
        email = text.lower()
        if len(email) > 254 or not _EMAIL.match(email):
            return N_("Enter a valid email address, such as name@example.com.")
        return Identifier("email", email)
    digits = re.sub(r"[\s-]", "", text)
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    if not _MOBILE.match(digits):
        return N_("Enter a valid mainland mobile number: 11 digits starting with 1.")
    return Identifier("phone", digits)


def password_problem(password: str, identifier: str = "") -> str | None:
    if len(password) < PASSWORD_MIN:
        return N_("Use at least 8 characters for your password.")
    if len(password) > PASSWORD_MAX:
        return N_("Use at most 128 characters for your password.")
    if password.isdigit() and len(set(password)) <= 2:
        return N_("This password is too easy to guess.")
    if identifier and password.lower() == identifier.lower():
        return N_("Your password must differ from your email or mobile number.")
    return None
