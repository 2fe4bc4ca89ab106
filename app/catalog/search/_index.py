"""Keeping search data current: product.search_vector (jieba tokens, weighted by field) and the search_term
vocabulary behind as-you-type suggestions and "did you mean"."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from app.catalog.search._text import normalize, pinyin_of, tsvector_literal
from app.core.db import engine, fetch, fetchrow

BATCH = 1000
MAX_TERMS = 50_000
MAX_KEYWORDS = 5_000
KEYWORD_DAYS = 30
_TERMS_LOCK = 7_351_001  # advisory lock id: one term refresh at a time across workers

_VISIBLE = (
    "SELECT p.search_vector FROM product p JOIN shop s ON s.id = p.shop "
    "WHERE p.status = 'active' AND s.status = 'active' AND p.search_vector IS NOT NULL"
)


def _spec_text(specs: Any) -> str:
    specs = json.loads(specs) if isinstance(specs, str) else specs
    values: list[str] = []
    for item in specs if isinstance(specs, list) else []:
        if isinstance(item, dict) and isinstance(item.get("values"), list):
            values.extend(str(v) for v in item["values"])
    return " ".join(values)


def _vectors(rows: list[dict[str, Any]], categories: dict[int, str]) -> tuple[list[int], list[str]]:
    """Title A, brand B, leaf category and subtitle C, spec values D. Only the leaf category: the root
    '手机数码' would otherwise make every earphone a match for '手机'."""
    ids, vectors = [], []
    for r in rows:
        ids.append(r["id"])
        vectors.append(
            tsvector_literal(
                [
                    (r["title"] or "", "A"),
                    (f"{r['brand_name'] or ''} {r['brand_name_en'] or ''}", "B"),
                    (categories.get(r["category"], ""), "C"),
                    (r["subtitle"] or "", "C"),
                    (_spec_text(r["specs"]), "D"),
                ]
            )
        )
    return ids, vectors


async def _write(ids: list[int], vectors: list[str]) -> None:
    await fetch(
        "UPDATE product p SET search_vector = v.sv::tsvector "
        "FROM unnest({}::int[], {}::text[]) AS v(id, sv) WHERE p.id = v.id",
        ids,
        vectors,
    )


async def reindex_products(*, product_ids: list[int] | None = None) -> int:
    """Recompute search_vector for these products (every product when None), BATCH at a time; returns how
    many were written. Call it after a product's title, subtitle, brand, category or specs change (and
    for every product of a brand or category that is renamed). Segmentation runs in a thread while the
    previous batch is written."""
    categories = {
        r["id"]: f"{r['name_zh']} {r['name_en']}" for r in await fetch("SELECT id, name_zh, name_en FROM category")
    }
    select = (
        "SELECT p.id, p.title, p.subtitle, p.specs, p.category, b.name AS brand_name, b.name_en AS brand_name_en "
        "FROM product p LEFT JOIN brand b ON b.id = p.brand "
    )
    written, after = 0, 0
    todo = sorted(set(product_ids)) if product_ids is not None else None
    writing: asyncio.Task[None] | None = None
    try:
        while True:
            if todo is None:
                rows = await fetch(select + "WHERE p.id > {} ORDER BY p.id LIMIT {}", after, BATCH)
            elif todo:
                chunk, todo = todo[:BATCH], todo[BATCH:]
                rows = await fetch(select + "WHERE p.id = ANY({}::int[]) ORDER BY p.id", chunk)
                if not rows:
                    continue
            else:
                rows = []
            if not rows:
                break
            ids, vectors = await asyncio.to_thread(_vectors, rows, categories)
            if writing:
                await writing
            writing = asyncio.create_task(_write(ids, vectors))
            written, after = written + len(ids), ids[-1]
        if writing:
            await writing
    finally:
        if writing and not writing.done():
            writing.cancel()
    return written


def _whole_words(stats: list[dict[str, Any]]) -> dict[str, int]:
    """Drop the sub-words that search mode adds when they hardly occur on their own: '连衣' (only ever inside
    '连衣裙') is no suggestion, '手机' (also inside '手机壳') is."""
    counts = {r["word"]: int(r["ndoc"]) for r in stats}
    inside: dict[str, int] = {}
    for word, n in counts.items():
        for i in range(len(word)):
            for j in range(i + 2, len(word) + 1 if i else len(word)):
                inside[word[i:j]] = max(inside.get(word[i:j], 0), n)
    return {w: n for w, n in counts.items() if inside.get(w, 0) < 0.9 * n}


def _term_rows(stats: list[dict[str, Any]], keywords: list[dict[str, Any]]) -> list[tuple[str, str, str, int, int]]:
    merged: dict[str, list[int]] = {word: [n, 0] for word, n in _whole_words(stats).items()}
    for r in keywords:
        entry = merged.setdefault(normalize(r["keyword"]), [0, 0])
        entry[0] = max(entry[0], r["results"])
        entry[1] += r["n"]
    rows = []
    for term, (products, searches) in merged.items():
        if term:
            full, initials = pinyin_of(term)
            rows.append((term, full, initials, products, searches))
    return rows


async def refresh_terms(*, max_age_seconds: float | None = None) -> int:
    """Rebuild search_term from the visible products' tokens (ts_stat: words of 2+ characters found in most
    products) and the last 30 days' keywords that found something. With max_age_seconds, skip when the
    table is younger than that (cheap enough to call from the worker's one-minute sweep). Returns rows
    written (0 when skipped or another worker holds the lock)."""
    if max_age_seconds is not None:
        row = await fetchrow(
            "SELECT coalesce(extract(epoch FROM now() - max(refreshed_at)), 1e9) AS age FROM search_term"
        )
        if row and float(row["age"]) < max_age_seconds:
            return 0
    async with engine().transaction():
        got = await fetchrow("SELECT pg_try_advisory_xact_lock({}) AS ok", _TERMS_LOCK)
        if not got or not got["ok"]:
            return 0
        stats = await fetch(
            "SELECT word, ndoc FROM ts_stat({}) WHERE char_length(word) BETWEEN 2 AND 24 AND word !~ '^[0-9]+$' "
            "ORDER BY ndoc DESC, word LIMIT {}",
            _VISIBLE,
            MAX_TERMS,
        )
        keywords = await fetch(  # from the daily rollup (rollup_searches), not the raw log
            "SELECT keyword, sum(found_searches) AS n, max(max_results) AS results FROM search_keyword_day "
            "WHERE found_searches > 0 AND day > (now() AT TIME ZONE 'UTC')::date - {}::int "
            "AND char_length(keyword) >= 2 "
            "GROUP BY keyword ORDER BY n DESC, keyword LIMIT {}",
            KEYWORD_DAYS,
            MAX_KEYWORDS,
        )
        rows = await asyncio.to_thread(_term_rows, stats, keywords)
        await fetch("DELETE FROM search_term")
        await fetch(
            "INSERT INTO search_term (term, pinyin, initials, product_count, search_count) "
            "SELECT * FROM unnest({}::text[], {}::text[], {}::text[], {}::int[], {}::int[]) "
            "ON CONFLICT (term) DO NOTHING",
            *(list(col) for col in zip(*rows, strict=True)) if rows else ([], [], [], [], []),
        )
    return len(rows)
