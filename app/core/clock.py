"""Server time is the truth. Tests inject a clock with `use_clock`."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime

from app.core.i18n import babel_locale

_now: Callable[[], datetime] = lambda: datetime.now(UTC)  # noqa: E731
_offset = timedelta(0)  # moved only by the browser tests' hook (app/web/testhooks.py, TEST_HOOKS=1)


def now() -> datetime:
    return _now() + _offset


def advance(delta: timedelta) -> datetime:
    """Move this process's clock (the browser tests watch a flash sale start this way). Returns the new now."""
    global _offset
    _offset += delta
    return now()


def use_clock(fn: Callable[[], datetime]) -> None:
    global _now
    _now = fn


def format_dt(value: datetime | None, tz: str, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return format_datetime(value, format=fmt, tzinfo=ZoneInfo(tz), locale=babel_locale())


def format_day(value: datetime | None, tz: str, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return format_date(value.astimezone(ZoneInfo(tz)).date(), format=fmt, locale=babel_locale())
