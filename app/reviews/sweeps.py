"""Worker sweeps of the reviews app (issue 8): (name, coroutine function) pairs, run by app/worker.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from app.reviews.services import auto_positive

SWEEPS: list[tuple[str, Callable[[], Awaitable[object]]]] = [("reviews.auto_positive", auto_positive)]
