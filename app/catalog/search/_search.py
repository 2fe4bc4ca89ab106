"""Running a search: the cards, the total, the facets, and "did you mean" when nothing matched."""

from __future__ import annotations

import asyncio
import difflib
import json
import time
from dataclasses import dataclass, field
from typing import Any

from app.catalog.search._query import SearchQuery
from app.catalog.search._sql import build_sql
from app.catalog.search._text import _CJK, is_pinyin_like, normalize, pinyin_of
from app.core.db import fetch, fetchrow

SPEC_FACET_NAMES = 8
SPEC_FACET_VALUES = 20
MAX_SUGGESTIONS = 5


@dataclass(frozen=True, slots=True)
class ProductCard:
    id: int
    title: str
    subtitle: str
    shop_id: int
    shop_name: str
    price_min_fen: int
    list_price_fen: int | None
    sales_count: int
    rating: float | None  # average of 1-5, None before the first review
    stock_total: int
    cover_key: str | None
    cover_width: int | None
    cover_height: int | None


@dataclass(frozen=True, slots=True)
class FacetItem:
    id: int
    name: str
    name_en: str
    count: int

    def label(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name


@dataclass
class Facets:
    categories: list[FacetItem] = field(default_factory=list)
    brands: list[FacetItem] = field(default_factory=list)  # counted without the brand filter (multi-select)
    shops: list[FacetItem] = field(default_factory=list)
    specs: dict[str, list[tuple[str, int]]] = field(default_factory=dict)
    price_min_fen: int | None = None
    price_max_fen: int | None = None


@dataclass
class SearchResult:
    query: SearchQuery
    products: list[ProductCard]
    total: int
    facets: Facets
    suggestions: list[str] = field(default_factory=list)  # "did you mean", only when total == 0

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.query.per_page))


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


def card_from_row(row: dict[str, Any]) -> ProductCard:
    """A ProductCard from one CARD_JSON object."""
    cover = row.get("cover") or {}
    count = row["rating_count"]
    return ProductCard(
        id=row["id"],
        title=row["title"],
        subtitle=row["subtitle"],
        shop_id=row["shop_id"],
        shop_name=row["shop_name"],
        price_min_fen=int(row["price_min_fen"]),
        list_price_fen=None if row["list_price_fen"] is None else int(row["list_price_fen"]),
        sales_count=row["sales_count"],
        rating=round(row["rating_sum"] / count, 1) if count else None,
        stock_total=row["stock_total"],
        cover_key=cover.get("key"),
        cover_width=cover.get("width"),
        cover_height=cover.get("height"),
    )


def _items(rows: Any) -> list[FacetItem]:
    return [FacetItem(r["id"], r["name"], r["name_en"], r["count"]) for r in _json(rows) or []]


def _spec_facets(rows: Any) -> dict[str, list[tuple[str, int]]]:
    """The spec names found on most results first; their values by count."""
    grouped: dict[str, list[tuple[str, int]]] = {}
    for r in _json(rows) or []:
        grouped.setdefault(r["name"], []).append((r["value"], r["count"]))
    names = sorted(grouped, key=lambda n: (-max(c for _, c in grouped[n]), n))[:SPEC_FACET_NAMES]
    return {n: sorted(grouped[n], key=lambda vc: (-vc[1], vc[0]))[:SPEC_FACET_VALUES] for n in names}


_cache: dict[tuple[Any, ...], tuple[float, SearchResult]] = {}
_inflight: dict[tuple[Any, ...], asyncio.Future[SearchResult]] = {}
CACHE_ENTRIES = 2048


def _key(q: SearchQuery, facets: bool) -> tuple[Any, ...]:
    specs = tuple(sorted((name, tuple(sorted(values))) for name, values in q.specs.items()))
    return (q.q, q.category_id, q.price_min_fen, q.price_max_fen, q.shop_id, q.section_id, tuple(sorted(q.brand_ids)),
            q.in_stock, specs, q.sort, q.page, q.per_page, facets)  # fmt: skip


async def search(query: SearchQuery, *, facets: bool = True, max_age: float = 0.0) -> SearchResult:
    """Visible products only (product active, shop active). Suggestions are looked for only on no result.

    facets=False (a feed that shows only cards) skips the facets and reads just the page; its total is
    exact only up to MAX_PAGE pages (enough to page through).

    max_age > 0 answers from a per-process cache of recent results (public data, the same for every
    shopper, like hot searches: no request state), and identical searches running at the same moment
    share one query. Popular broad keywords cost 10-100 ms of database time uncached at 100k products,
    so the storefront passes a few seconds here; tests and seller tools pass nothing."""
    if max_age <= 0:
        return await _search(query, facets)
    key = _key(query, facets)
    cached = _cache.get(key)
    if cached and time.monotonic() - cached[0] < max_age:
        return cached[1]
    if pending := _inflight.get(key):
        return await asyncio.shield(pending)
    task = asyncio.ensure_future(_search(query, facets))
    _inflight[key] = task
    try:
        result = await asyncio.shield(task)
    finally:
        _inflight.pop(key, None)
    _cache.pop(key, None)
    _cache[key] = (time.monotonic(), result)
    while len(_cache) > CACHE_ENTRIES:
        _cache.pop(next(iter(_cache)))
    return result


def forget_cached_results() -> None:
    _cache.clear()


async def _search(query: SearchQuery, facets: bool) -> SearchResult:
    sql, args = build_sql(query, facets=facets)
    row = await fetchrow(sql, *args) or {}
    total = int(row.get("total") or 0)
    found = Facets(
        categories=_items(row.get("categories")),
        brands=_items(row.get("brands")),
        shops=_items(row.get("shops")),
        specs=_spec_facets(row.get("specs")),
        price_min_fen=row.get("price_lo"),
        price_max_fen=row.get("price_hi"),
    )
    products = [card_from_row(r) for r in _json(row.get("products")) or []]
    suggestions = await did_you_mean(query.q) if total == 0 and query.q else []
    return SearchResult(query=query, products=products, total=total, facets=found, suggestions=suggestions)


# ---------------------------------------------------------------- did you mean
def _chunks(text: str) -> list[tuple[int, int, str]]:
    """Candidate spans for correction: Chinese runs of 1-6 characters, whole pinyin-like ASCII runs."""
    spans: list[tuple[int, int, str]] = []
    for i in range(len(text)):
        for j in range(i + 1, min(len(text), i + 6) + 1):
            piece = text[i:j]
            if _CJK.fullmatch(piece[0]) and all(_CJK.match(ch) for ch in piece):
                spans.append((i, j, piece))
    ascii_start = None
    for i, ch in enumerate([*text, " "]):
        if ch.isascii() and ch.isalpha():
            ascii_start = i if ascii_start is None else ascii_start
        elif ascii_start is not None:
            spans.append((ascii_start, i, text[ascii_start:i]))
            ascii_start = None
    return spans


async def _homophones(text: str) -> str | None:
    """Replace spans by the most popular known term that sounds the same ('手几' → '手机', 'shouji' → '手机',
    '平果手机' → '苹果手机'), preferring long terms; spans that are already terms stay as typed."""
    spans = _chunks(text)
    if not spans:
        return None
    keys = {span: pinyin_of(span[2])[0] for span in spans}
    rows = await fetch(
        "SELECT term, pinyin FROM search_term WHERE (pinyin = ANY({}::text[]) OR term = ANY({}::text[])) "
        "AND product_count > 0 ORDER BY search_count DESC, product_count DESC, term",
        sorted(set(keys.values())),
        sorted({s[2] for s in spans}),
    )
    known = {r["term"] for r in rows}
    by_sound: dict[str, str] = {}
    for r in rows:
        by_sound.setdefault(r["pinyin"], r["term"])
    best: list[tuple[int, str]] = [(0, "")] * (len(text) + 1)  # best[i]: (score, rewritten text[:i])
    for i in range(1, len(text) + 1):
        best[i] = (best[i - 1][0], best[i - 1][1] + text[i - 1])
        for start, end, piece in spans:
            if end != i:
                continue
            term = piece if piece in known else by_sound.get(keys[(start, end, piece)])
            if term and best[start][0] + len(piece) ** 2 > best[i][0]:
                best[i] = (best[start][0] + len(piece) ** 2, best[start][1] + term)
    fixed = normalize(best[-1][1])
    return fixed if fixed and fixed != text else None


async def _near_titles(text: str) -> list[str]:
    """The part of a visible title closest to the query (trigram word similarity, then difflib)."""
    rows = await fetch(
        "SELECT p.title FROM product p JOIN shop s ON s.id = p.shop "
        "WHERE p.status = 'active' AND s.status = 'active' AND {} <% lower(p.title) "
        "ORDER BY word_similarity({}, lower(p.title)) DESC, p.sales_count DESC LIMIT 5",
        text,
        text,
    )
    found: list[str] = []
    for r in rows:
        title = normalize(r["title"])
        best, best_ratio = "", 0.0
        for size in (len(text), len(text) + 1, len(text) - 1):  # same length wins a tie
            for i in range(max(0, len(title) - size + 1)):
                window = title[i : i + size].strip()
                same = sum(b.size for b in difflib.SequenceMatcher(None, text, window).get_matching_blocks())
                ratio = same / max(len(text), len(window), 1)  # a shorter window is no better match
                if ratio > best_ratio:
                    best, best_ratio = window, ratio
        if best_ratio >= 0.5 and best != text and best not in found:
            found.append(best)
    return found


async def did_you_mean(q: str) -> list[str]:
    """Near queries that do find something: homophones by pinyin (the usual IME slip), similar known terms
    and keywords (trigram similarity), and the closest stretch of a visible title."""
    text = normalize(q)
    if not text:
        return []
    out: list[str] = []
    if fixed := await _homophones(text):
        out.append(fixed)
    similar = await fetch(
        "SELECT term FROM search_term WHERE term % {} AND product_count > 0 "
        "ORDER BY similarity(term, {}) DESC, search_count DESC, product_count DESC LIMIT 5",
        text,
        text,
    )
    out.extend(r["term"] for r in similar)
    if not is_pinyin_like(text):
        out.extend(await _near_titles(text))
    unique: list[str] = []
    for item in out:  # a suggestion inside an earlier, longer one adds nothing ('华为' after '华为手机')
        if item and item != text and not any(item in chosen for chosen in unique):
            unique.append(item)
    return unique[:MAX_SUGGESTIONS]
