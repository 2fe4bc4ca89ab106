"""Money is integer fen. Parsing goes through Decimal in this one module; babel formats for display."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from babel.numbers import format_decimal

from app.core.errors import DomainError
from app.core.i18n import N_, babel_locale, get_locale

SYMBOL = "¥"


class InvalidAmount(DomainError):
    code = "invalid_amount"


def parse_yuan(text: str) -> int:
    """'12.30' → 1230. Rejects negatives, more than two decimals, and non-numbers with a clear message."""
    cleaned = (text or "").strip().replace(",", "").replace("¥", "").replace("￥", "")
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise InvalidAmount(N_("Enter an amount such as 12.30")) from None
    if not value.is_finite() or value < 0:
        raise InvalidAmount(N_("Enter an amount such as 12.30"))
    if value.as_tuple().exponent < -2:  # type: ignore[operator]
        raise InvalidAmount(N_("An amount has at most two decimal places"))
    return int((value * 100).quantize(Decimal(1), rounding=ROUND_HALF_UP))


# Locales whose digits group with "," and whose decimal mark is "." (checked against babel in the tests):
# formatted with integer arithmetic, because a product grid formats dozens of prices per page.
_PLAIN_GROUPING = {"zh_CN", "en"}


def format_fen(fen: int, locale: str | None = None) -> str:
    """1234_50 → '¥1,234.50' (digits grouped per locale; the sign before the symbol)."""
    if not isinstance(fen, int):
        raise TypeError("money is integer fen")
    locale = locale or get_locale()
    if locale in _PLAIN_GROUPING:
        whole, cents = divmod(abs(fen), 100)
        body = f"{whole:,}.{cents:02d}"
    else:
        body = format_decimal(Decimal(abs(fen)) / 100, format="#,##0.00", locale=babel_locale(locale))
    return f"-{SYMBOL}{body}" if fen < 0 else f"{SYMBOL}{body}"


def plain_yuan(fen: int) -> str:
    """1230 → '12.30', 1200 → '12': for form inputs (no symbol, no grouping)."""
    whole, cents = divmod(fen, 100)
    return f"{whole}.{cents:02d}" if cents else str(whole)
