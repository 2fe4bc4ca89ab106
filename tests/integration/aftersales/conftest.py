"""After-sales tests check the refund rows a request writes; the payment gateway is not called. Without this, the
background task that sends refunds after a commit could still be running when the test's tables are emptied."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _no_background_refunds(monkeypatch: pytest.MonkeyPatch) -> None:
    from app.payments import services as payments

    monkeypatch.setattr(payments, "schedule_refunds", lambda: None)


@pytest.fixture
def restore_clock():  # type: ignore[no-untyped-def]
    from app.core import clock

    original = clock._now
    yield
    clock.use_clock(original)
