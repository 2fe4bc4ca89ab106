"""Worker sweeps of the settlement app (issue 9): (name, coroutine function) pairs, run by app/worker.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

SWEEPS: list[tuple[str, Callable[[], Awaitable[object]]]] = []
