"""Payments tests: the sandbox delivers its notices through the ASGI app (there is no real server), the gateway's
URLs point at the test client's host, background deliveries finish before the tables are emptied, and a clock that
tests can move forward."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

import httpx
import pytest

from app.core import clock
from app.payments import sandbox, tasks


@pytest.fixture(autouse=True)
async def deliver_through_asgi(asgi, override_settings, monkeypatch) -> AsyncIterator[list[tuple[int, str]]]:  # type: ignore[no-untyped-def]
    """Every notice the sandbox sends is posted to the app in-process; the responses are recorded."""
    override_settings(public_base_url="http://testserver")
    sent: list[tuple[int, str]] = []

    async def send(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi), base_url="http://testserver") as c:
            response = await c.post(urlsplit(url).path, content=body, headers=headers)
        sent.append((response.status_code, response.text))
        return response.status_code, response.text

    monkeypatch.setattr(sandbox, "sender", send)
    monkeypatch.setattr(sandbox, "refund_fault", None)
    yield sent
    await tasks.drain()


class Clock:
    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def advance(self, **delta: float) -> datetime:
        self.at += timedelta(**delta)
        return self.at


@pytest.fixture
def frozen_clock() -> AsyncIterator[Clock]:  # type: ignore[misc]
    original: Callable[[], datetime] = clock._now
    fake = Clock()
    clock.use_clock(lambda: fake.at)
    yield fake
    clock.use_clock(original)
