"""Worker sweeps of the flash app (issue 7): (name, coroutine function) pairs, run by app/worker.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from app.flash.services import return_unsold_stock

SWEEPS: list[tuple[str, Callable[[], Awaitable[object]]]] = [
    ("flash sales over: unsold flash stock back to the SKUs", return_unsold_stock),
]
