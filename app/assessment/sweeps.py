"""Worker sweeps of the assessment app (issue 9): (name, coroutine function) pairs, run by app/worker.py.
Every minute: expire ended boosts/demotions, escalate overdue rectification notices; once a day (the first run
that finds no snapshot for today): score every shop and propose sanctions below the threshold."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from app.assessment.services import daily

SWEEPS: list[tuple[str, Callable[[], Awaitable[object]]]] = [
    ("seller assessment: daily scores, expiring measures, overdue rectifications", daily),
]
