"""The search request, parsed from the query string. Pure (unit-tested): junk is ignored, numbers clamped."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from app.catalog.search._text import MAX_QUERY_CHARS, normalize

SORTS = ("relevance", "sales", "price_asc", "price_desc", "newest", "rating")
MAX_PAGE = 100  # deeper pages are refused (clamped): nobody reads them and OFFSET grows linearly
MAX_PER_PAGE = 60
MAX_BRANDS = 20
MAX_SPEC_NAMES = 6
MAX_SPEC_VALUES = 20
MAX_SPEC_CHARS = 32
MAX_PRICE_FEN = 10**12


@dataclass
class SearchQuery:
    q: str = ""
    category_id: int | None = None
    price_min_fen: int | None = None
    price_max_fen: int | None = None
    shop_id: int | None = None
    section_id: int | None = None  # a shop's own category (店铺分类): set by the shop page from its path
    brand_ids: list[int] = field(default_factory=list)
    in_stock: bool = False
    specs: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def has_filters(self) -> bool:
        return bool(
            self.category_id
            or self.shop_id
            or self.section_id
            or self.brand_ids
            or self.in_stock
            or self.specs
            or self.price_min_fen is not None
            or self.price_max_fen is not None
        )


def _values(params: Mapping[str, Any], key: str) -> list[str]:
    raw = params.get(key)
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, Sequence):
        return [v for v in raw if isinstance(v, str)]
    return []


def _first(params: Mapping[str, Any], key: str) -> str:
    values = _values(params, key)
    return values[0].strip() if values else ""


def _positive_int(text: str, *, upper: int = 2**31 - 1) -> int | None:
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if 0 < value <= upper else None


def _yuan_to_fen(text: str) -> int | None:
    """'12.3' → 1230; anything that is not a non-negative amount is ignored (a filter, not a form)."""
    cleaned = text.strip().replace(",", "").replace("¥", "").replace("￥", "")
    if not cleaned or len(cleaned) > 16:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0:
        return None
    if value > MAX_PRICE_FEN // 100:  # compare first: '1e999999999' overflows Decimal and int alike
        return MAX_PRICE_FEN
    return int(value * 100)


def _specs(values: list[str]) -> dict[str, list[str]]:
    """spec=颜色:红&spec=颜色:蓝&spec=尺码:M → {颜色: [红, 蓝], 尺码: [M]}."""
    out: dict[str, list[str]] = {}
    for item in values:
        name, sep, value = item.partition(":")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value or len(name) > MAX_SPEC_CHARS or len(value) > MAX_SPEC_CHARS:
            continue
        if name not in out and len(out) >= MAX_SPEC_NAMES:
            continue
        chosen = out.setdefault(name, [])
        if value not in chosen and len(chosen) < MAX_SPEC_VALUES:
            chosen.append(value)
    return out


def parse_query(params: Mapping[str, Any]) -> SearchQuery:
    """Query-string parameters → SearchQuery. Never raises: junk is ignored, numbers are clamped.

    q, category, shop, brand (repeatable), price_min / price_max (yuan), in_stock (1/true/on),
    spec (repeatable, 'name:value'), sort (one of SORTS), page, per_page.
    """
    q = normalize(_first(params, "q"))[:MAX_QUERY_CHARS].strip()
    brands: list[int] = []
    for raw in _values(params, "brand"):
        for piece in raw.split(","):
            brand = _positive_int(piece)
            if brand and brand not in brands and len(brands) < MAX_BRANDS:
                brands.append(brand)
    price_min, price_max = _yuan_to_fen(_first(params, "price_min")), _yuan_to_fen(_first(params, "price_max"))
    if price_min is not None and price_max is not None and price_min > price_max:
        price_min, price_max = price_max, price_min
    sort = _first(params, "sort")
    return SearchQuery(
        q=q,
        category_id=_positive_int(_first(params, "category")),
        price_min_fen=price_min or None,  # 0 as a minimum filters nothing
        price_max_fen=price_max,
        shop_id=_positive_int(_first(params, "shop")),
        brand_ids=brands,
        in_stock=_first(params, "in_stock").lower() in ("1", "true", "on", "yes"),
        specs=_specs(_values(params, "spec")),
        sort=sort if sort in SORTS else "relevance",
        page=min(_positive_int(_first(params, "page")) or 1, MAX_PAGE),
        per_page=min(_positive_int(_first(params, "per_page")) or 20, MAX_PER_PAGE),
    )
