"""Worker sweeps of the settlement app (issue 9): (name, coroutine function) pairs, run by app/worker.py.

- settlement.post_missing: paid orders whose sale is not in the ledger yet (safety net; idempotent by ref).
- settlement.settle: completed orders N days old move from pending to available, into the day's statement."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from app.settlement.posting import post_missing_sales
from app.settlement.services import settle_due

SWEEPS: list[tuple[str, Callable[[], Awaitable[object]]]] = [
    ("settlement.post_missing", post_missing_sales),
    ("settlement.settle", settle_due),
]
