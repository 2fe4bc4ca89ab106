"""Worker sweeps of the coupons app (issue 7): (name, coroutine function) pairs, run by app/worker.py."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from app.coupons.services import expire_coupons


async def expire() -> int:
    """Unused coupons past their use window become expired (idempotent, SKIP LOCKED batches)."""
    return await expire_coupons()


SWEEPS: list[tuple[str, Callable[[], Awaitable[object]]]] = [("coupons.expire", expire)]
