"""Parsing what shoppers type or post into the cart's forms: quantities and SKU ids."""

from __future__ import annotations

from collections.abc import Iterable

from app.cart.errors import InvalidQuantity
from app.cart.tables import MAX_QUANTITY
from app.core.i18n import N_

_FULL_WIDTH = str.maketrans("０１２３４５６７８９－", "0123456789-")  # a Chinese keyboard's digits


def parse_quantity(raw: object) -> int:
    """A quantity as typed: '2', ' 2 ', '２' (full-width digits from a Chinese keyboard) → 2. Anything else
    raises InvalidQuantity with a message that says what to type: not a whole number (empty, '1.5', 'abc',
    '-1'), below 1 ('0'), or above MAX_QUANTITY ('1000', '99999999999999999999')."""
    text = (str(raw) if raw is not None else "").translate(_FULL_WIDTH).strip()
    if text.startswith("-") and text[1:].isdigit():
        raise InvalidQuantity(N_("The quantity must be at least 1."), field="qty")
    if not text or not text.isascii() or not text.isdigit():
        raise InvalidQuantity(N_("Enter the quantity as a whole number, for example 2."), field="qty")
    if len(text.lstrip("0")) > 6 or int(text) > MAX_QUANTITY:
        raise InvalidQuantity(N_("You can buy at most %(max)s of one item."), field="qty", max=MAX_QUANTITY)
    value = int(text)
    if value < 1:
        raise InvalidQuantity(N_("The quantity must be at least 1."), field="qty")
    return value


def parse_id(raw: object) -> int | None:
    """A row id posted by a form ('12'), else None."""
    text = str(raw).strip() if raw is not None else ""
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if 0 < value < 2**31 else None


def parse_ids(raws: Iterable[object]) -> list[int]:
    """Several ids (repeated fields); malformed ones are dropped, duplicates kept once, order kept."""
    return list(dict.fromkeys(i for i in (parse_id(r) for r in raws) if i is not None))
