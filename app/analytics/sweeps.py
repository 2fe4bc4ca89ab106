"""Worker sweeps of the analytics app (issue 9): (name, coroutine function) pairs, run by app/worker.py.

The rollup sweep rebuilds today and yesterday (display time zone) at most every REROLL_SECONDS per process (the
worker loop runs every minute; each rebuild is a few set-based statements over one day), plus up to BACKFILL_DAYS
older days that were never finished (days with events or paid orders and no final analytics_rollup_day row: a new
install, or a worker that was down over midnight); those are rebuilt once more and marked final. A day's advisory
lock keeps two workers from building it at once."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from datetime import timedelta

from app.analytics.experiments import rollup_experiments
from app.analytics.rollup import rollup_day, today, tz
from app.core.db import fetch

REROLL_SECONDS = 300.0
BACKFILL_DAYS = 3
LOOKBACK_DAYS = 60
_last_run = -REROLL_SECONDS


async def sweep_rollups(*, force: bool = False) -> int:
    """Rebuild today, yesterday and a few unfinished older days; returns how many days were built."""
    global _last_run
    if not force and time.monotonic() - _last_run < REROLL_SECONDS:
        return 0
    _last_run = time.monotonic()
    now = today()
    oldest = now - timedelta(days=LOOKBACK_DAYS)
    rows = await fetch(
        "SELECT d::date AS day FROM generate_series({}::date, {}::date, interval '1 day') d "
        "WHERE NOT EXISTS (SELECT 1 FROM analytics_rollup_day r WHERE r.day = d::date AND r.final) "
        "AND (EXISTS (SELECT 1 FROM analytics_event e WHERE e.kind = 'page_view' "
        "             AND e.at >= d::date::timestamp AT TIME ZONE {} "
        "             AND e.at < (d::date + 1)::timestamp AT TIME ZONE {}) "
        "     OR EXISTS (SELECT 1 FROM shop_order o WHERE o.paid_at >= d::date::timestamp AT TIME ZONE {} "
        "             AND o.paid_at < (d::date + 1)::timestamp AT TIME ZONE {})) "
        "ORDER BY d DESC LIMIT {}",
        oldest,
        now - timedelta(days=2),
        *([str(tz())] * 4),
        BACKFILL_DAYS,
    )
    days = sorted({r["day"] for r in rows} | {now - timedelta(days=1), now})
    for day in days:
        await rollup_day(day)
    await rollup_experiments()
    return len(days)


SWEEPS: list[tuple[str, Callable[[], Awaitable[object]]]] = [("analytics rollups", sweep_rollups)]
