from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime

import pytest

from app.core import clock


@pytest.fixture
def at() -> Iterator[Callable[[datetime], None]]:
    """`at(datetime(...))` freezes the server clock there for the rest of the test."""
    yield lambda moment: clock.use_clock(lambda: moment)
    clock.use_clock(lambda: datetime.now(UTC))
