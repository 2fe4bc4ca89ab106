"""Fixed-window rate limits counted in PostgreSQL, so every app process shares them."""

from __future__ import annotations

from datetime import timedelta

from app.core import clock
from app.core.db import fetchrow
from app.core.tables import RateCounter


def _bucket(key: str, window: int) -> tuple[str, int]:
    start = int(clock.now().timestamp()) // window * window
    return f"{key}@{start}", start


async def hit(key: str, *, window: int) -> int:
    """Count one hit for `key` in the current window; returns the hits so far, this one included."""
    bucket, _start = _bucket(key, window)
    row = await fetchrow(
        "INSERT INTO rate_counter (bucket, hits, expires_at) VALUES ({}, 1, {}) "
        "ON CONFLICT (bucket) DO UPDATE SET hits = rate_counter.hits + 1 RETURNING hits",
        bucket,
        clock.now() + timedelta(seconds=2 * window),
    )
    assert row is not None
    return int(row["hits"])


async def count(key: str, *, window: int) -> int:
    bucket, _start = _bucket(key, window)
    row = await RateCounter.select(RateCounter.hits).where(RateCounter.bucket == bucket).first()
    return int(row["hits"]) if row else 0


async def reset(key: str, *, window: int) -> None:
    bucket, _start = _bucket(key, window)
    await RateCounter.delete().where(RateCounter.bucket == bucket)


async def sweep() -> None:
    """Drop expired counters (run by the worker sweep)."""
    await RateCounter.delete().where(RateCounter.expires_at < clock.now())
