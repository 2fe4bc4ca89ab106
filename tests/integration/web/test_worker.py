from datetime import timedelta

from app.core import clock
from app.core.tables import RateCounter, SessionEntry
from app.worker import run_once


async def test_sweeps_delete_only_what_expired_and_can_run_twice():
    now = clock.now()
    await SessionEntry.insert(
        SessionEntry(key="old", value=b"x", expires_at=now - timedelta(seconds=1)),
        SessionEntry(key="live", value=b"x", expires_at=now + timedelta(hours=1)),
    )
    await RateCounter.insert(
        RateCounter(bucket="a@1", hits=3, expires_at=now - timedelta(seconds=1)),
        RateCounter(bucket="b@1", hits=3, expires_at=now + timedelta(hours=1)),
    )
    await run_once()
    await run_once()
    assert [r["key"] for r in await SessionEntry.select(SessionEntry.key)] == ["live"]
    assert [r["bucket"] for r in await RateCounter.select(RateCounter.bucket)] == ["b@1"]
