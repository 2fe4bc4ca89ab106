"""Worker sweeps of the promotions app (issue 7): (name, coroutine function) pairs, run by app/worker.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from app.promotions.services import end_due

SWEEPS: list[tuple[str, Callable[[], Awaitable[object]]]] = [("promotions.end_due", end_due)]
