"""Keywords: as-you-type suggestions, the search log, a shopper's history, hot searches."""

from __future__ import annotations

import asyncio
import logging
import time
from datetime import datetime

from app.catalog.search._text import is_pinyin_like, normalize, normalize_keyword
from app.core import clock
from app.core.db import fetch

HISTORY_KEEP = 20
HOT_DAYS = 7
HOT_TTL = 60.0
MAX_PREFIX = 32

_hot_cache: dict[int, tuple[float, list[str]]] = {}

# Anonymous searches are written in batches when the app runs (enable_batched_log): a search then costs no
# database round trip, at the price of losing at most LOG_FLUSH_SECONDS of log if the process is killed. Small,
# frequent batches keep each flush's Python work (building the arrays) short, so it never holds up requests.
LOG_FLUSH_SECONDS = 0.25
LOG_BATCH_ROWS = 2000
_batched = False
_log_buffer: list[tuple[str, str, int, datetime]] = []
_flush_task: asyncio.Task[None] | None = None
log = logging.getLogger("jishi.search")


def _like_prefix(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


async def suggest(prefix: str, limit: int = 8) -> list[str]:
    """Completions for what is being typed: known terms and popular keywords starting with it, in Chinese
    or as pinyin ('shou' → 手机, 'sj' → 手机), most searched then most common first. Index-only prefix scans."""
    text = normalize(prefix)[:MAX_PREFIX]
    limit = max(1, min(limit, 20))
    if not text:
        return []
    pattern = _like_prefix(text)
    if is_pinyin_like(text):
        compact = _like_prefix(text.replace(" ", ""))
        where = "term LIKE {} OR pinyin LIKE {} OR initials LIKE {}"
        args: list[object] = [pattern, compact, compact]
    else:
        where, args = "term LIKE {}", [pattern]
    rows = await fetch(
        f"SELECT term FROM search_term WHERE ({where}) AND product_count > 0 "  # noqa: S608 (fixed fragments)
        "ORDER BY search_count DESC, product_count DESC, char_length(term), term LIMIT {}",
        *args,
        limit,
    )
    return [r["term"] for r in rows]


async def record_search(*, keyword: str, user_id: int | None, visitor: str, results: int) -> None:
    """Log every search (analytics: hot searches, searches that find nothing); a signed-in shopper's
    keyword also goes to the top of their history, which keeps the last HISTORY_KEEP."""
    keyword = normalize_keyword(keyword)
    if not keyword:
        return
    now = clock.now()
    if user_id is None and _batched:
        log_search_later(keyword=keyword, visitor=visitor, results=results)
        return
    await fetch(
        'INSERT INTO search_log (keyword, "user", visitor, results, created_at) VALUES ({}, {}, {}, {}, {})',
        keyword,
        user_id,
        (visitor or "")[:64],
        max(0, int(results)),
        now,
    )
    if user_id is None:
        return
    await fetch(
        'INSERT INTO search_history ("user", keyword, searched_at) VALUES ({}, {}, {}) '
        'ON CONFLICT ("user", keyword) DO UPDATE SET searched_at = EXCLUDED.searched_at',
        user_id,
        keyword,
        now,
    )
    await fetch(
        'DELETE FROM search_history WHERE "user" = {} AND id NOT IN '
        '(SELECT id FROM search_history WHERE "user" = {} ORDER BY searched_at DESC, id DESC LIMIT {})',
        user_id,
        user_id,
        HISTORY_KEEP,
    )


async def history(*, user_id: int, limit: int = 10) -> list[str]:
    rows = await fetch(
        'SELECT keyword FROM search_history WHERE "user" = {} ORDER BY searched_at DESC, id DESC LIMIT {}',
        user_id,
        max(1, min(limit, HISTORY_KEEP)),
    )
    return [r["keyword"] for r in rows]


async def clear_history(*, user_id: int, keyword: str | None = None) -> None:
    """Forget every keyword (or just one)."""
    if keyword is None:
        await fetch('DELETE FROM search_history WHERE "user" = {}', user_id)
    else:
        await fetch(
            'DELETE FROM search_history WHERE "user" = {} AND keyword = {}', user_id, normalize_keyword(keyword)
        )


# A searcher (s): the signed-in user, else the visitor id, else (no cookie) each search on its own
_ROLLUP_SQL = (
    "INSERT INTO search_keyword_day "
    "(day, keyword, searches, searchers, found_searches, found_searchers, max_results, last_at) "
    "SELECT (created_at AT TIME ZONE 'UTC')::date, keyword, count(*), count(DISTINCT s), "
    "count(*) FILTER (WHERE results > 0), count(DISTINCT s) FILTER (WHERE results > 0), max(results), max(created_at) "
    'FROM (SELECT *, CASE WHEN "user" IS NOT NULL THEN \'u\' || "user" '
    "WHEN visitor <> '' THEN 'v' || visitor ELSE 'r' || id END AS s FROM search_log) AS l "
    "WHERE created_at >= (now() AT TIME ZONE 'UTC')::date - {}::int "
    "GROUP BY 1, 2 "
    "ON CONFLICT (day, keyword) DO UPDATE SET searches = EXCLUDED.searches, searchers = EXCLUDED.searchers, "
    "found_searches = EXCLUDED.found_searches, found_searchers = EXCLUDED.found_searchers, "
    "max_results = EXCLUDED.max_results, last_at = EXCLUDED.last_at"
)


async def rollup_searches(*, days: int = 2) -> None:
    """Roll the search log up into search_keyword_day for the last `days` UTC days (today included): searches
    and distinct searchers per keyword, all and those that found something. Idempotent (each day is
    recomputed whole), run by the worker's sweep."""
    await fetch(_ROLLUP_SQL, max(0, days - 1))


async def hot_searches(limit: int = 10) -> list[str]:
    """The last week's most searched keywords that found something, counted once per searcher and day (a
    signed-in user, else a visitor id) so one client cannot push a keyword up. Read from the daily rollup
    (rollup_searches), never the raw log; kept HOT_TTL seconds per process: the same for everyone."""
    limit = max(1, min(limit, 50))
    cached = _hot_cache.get(limit)
    if cached and time.monotonic() - cached[0] < HOT_TTL:
        return cached[1]
    rows = await fetch(
        "SELECT keyword FROM search_keyword_day WHERE day > (now() AT TIME ZONE 'UTC')::date - {}::int "
        "AND found_searchers > 0 GROUP BY keyword ORDER BY sum(found_searchers) DESC, max(last_at) DESC LIMIT {}",
        HOT_DAYS,
        limit,
    )
    keywords = [r["keyword"] for r in rows]
    _hot_cache[limit] = (time.monotonic(), keywords)
    return keywords


def forget_hot_searches() -> None:
    """Drop the per-process cache (tests; or after moderating a keyword)."""
    _hot_cache.clear()


def enable_batched_log(on: bool = True) -> None:
    global _batched
    _batched = on


def log_search_later(*, keyword: str, visitor: str, results: int) -> None:
    """An anonymous search into the next batch (no await: also usable from the page cache's hit path)."""
    global _flush_task
    keyword = normalize_keyword(keyword)
    if not keyword:
        return
    _log_buffer.append((keyword, (visitor or "")[:64], max(0, int(results)), clock.now()))
    if _flush_task is None or _flush_task.done():
        _flush_task = asyncio.get_running_loop().create_task(_flush_soon())


async def _flush_soon() -> None:
    while _log_buffer:
        await asyncio.sleep(LOG_FLUSH_SECONDS)
        await flush_search_log()


async def flush_search_log() -> None:
    """Write the buffered searches, LOG_BATCH_ROWS per statement (also called at shutdown)."""
    while _log_buffer:
        batch = _log_buffer[:LOG_BATCH_ROWS]
        del _log_buffer[:LOG_BATCH_ROWS]
        try:
            await fetch(
                'INSERT INTO search_log (keyword, "user", visitor, results, created_at) '
                "SELECT k, NULL, v, r, t "
                "FROM unnest({}::text[], {}::text[], {}::int[], {}::timestamptz[]) AS b(k, v, r, t)",
                [b[0] for b in batch],
                [b[1] for b in batch],
                [b[2] for b in batch],
                [b[3] for b in batch],
            )
        except Exception:
            log.exception("could not write %d searches to the search log", len(batch))
