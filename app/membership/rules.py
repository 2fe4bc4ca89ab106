"""The membership rules as pure functions (no database): the level a growth value reaches, what points are worth
and how many an order may use, what an order earns, and when points expire.

Expiry (FIFO). Earnings expire at the end of the year they were earned, in Asia/Shanghai. Because an earning made
later never expires earlier, the ledger is a queue ordered by expiry: every debit (a spend, a mall redemption, a
negative adjustment, an earlier expiry) consumes the oldest earnings first. So what is left of the earnings that
expire at or before T is

    max(0, (earnings expiring at or before T) - (all debits so far))

and that is what the 'expire' entry for T takes away. Debits are only ever written after the expiries due before
them (spending settles expiry first, under the same lock), so the formula never credits a debit to a bucket that
had expired before it."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from itertools import pairwise
from math import gcd
from typing import Protocol, TypeVar
from zoneinfo import ZoneInfo

TZ = ZoneInfo("Asia/Shanghai")


class LevelLike(Protocol):
    @property
    def rank(self) -> int: ...
    @property
    def growth_threshold(self) -> int: ...
    @property
    def active(self) -> bool: ...


L = TypeVar("L", bound=LevelLike)


def level_for(levels: Iterable[L], growth: int) -> L | None:
    """The highest active level whose threshold is at or below `growth` (None: below every level)."""
    best: L | None = None
    for level in levels:
        if level.active and level.growth_threshold <= growth and (best is None or level.rank > best.rank):
            best = level
    return best


def next_level(levels: Iterable[L], growth: int) -> L | None:
    """The lowest active level still above `growth`."""
    above = [lv for lv in levels if lv.active and lv.growth_threshold > growth]
    return min(above, key=lambda lv: (lv.growth_threshold, lv.rank)) if above else None


def thresholds_increase(pairs: Iterable[tuple[int, int]]) -> bool:
    """(rank, threshold) pairs: a higher rank needs strictly more growth."""
    ordered = sorted(pairs)
    return all(a[1] < b[1] for a, b in pairwise(ordered))


def points_step(points_per_yuan: int) -> int:
    """The smallest number of points worth a whole number of fen (100 points/¥1: 1; 150 points/¥1: 3)."""
    return points_per_yuan // gcd(points_per_yuan, 100) if points_per_yuan > 0 else 0


def points_cap(*, balance: int, payable_fen: int, max_use_pct: int, points_per_yuan: int) -> int:
    """Most points one order may use: at most `max_use_pct` % of what it pays, at most the balance, rounded down to
    points that buy whole fen."""
    if points_per_yuan <= 0 or balance <= 0 or payable_fen <= 0 or max_use_pct <= 0:
        return 0
    cap_fen = payable_fen * min(max_use_pct, 100) // 100
    cap = min(balance, cap_fen * points_per_yuan // 100)
    step = points_step(points_per_yuan)
    return cap - cap % step


def points_value_fen(points: int, points_per_yuan: int) -> int:
    return points * 100 // points_per_yuan if points_per_yuan > 0 else 0


def order_points(*, paid_fen: int, earn_per_yuan: int, multiplier_pct: int) -> int:
    """Points for a completed order: whole yuan paid for goods × the rate × the level's multiplier, rounded down."""
    if paid_fen <= 0:
        return 0
    return paid_fen * earn_per_yuan * multiplier_pct // (100 * 100)


def order_growth(*, paid_fen: int) -> int:
    """Growth for a completed order: one per whole yuan paid."""
    return max(0, paid_fen) // 100


def local_day(at: datetime) -> date:
    return at.astimezone(TZ).date()


def year_end(at: datetime) -> datetime:
    """When points earned at `at` expire: the first instant of the next year in Asia/Shanghai (as UTC)."""
    year = at.astimezone(TZ).year
    return datetime(year + 1, 1, 1, tzinfo=TZ).astimezone(UTC)


def expiry_year(expires_at: datetime) -> int:
    """The year whose earnings expire at `expires_at`."""
    return expires_at.astimezone(TZ).year - 1


@dataclass(frozen=True, slots=True)
class Entry:
    delta: int
    expires_at: datetime | None = None  # set on earnings (delta > 0)


def due_expiries(entries: Sequence[Entry], now: datetime) -> list[tuple[datetime, int]]:
    """The expiries to write now, oldest first: (the instant the earnings expired, points left of them). Entries
    already written as expiries are debits among `entries`, so a second call after writing returns nothing."""
    debits = -sum(e.delta for e in entries if e.delta < 0)
    instants = sorted({e.expires_at for e in entries if e.delta > 0 and e.expires_at and e.expires_at <= now})
    due: list[tuple[datetime, int]] = []
    for instant in instants:
        earned = sum(e.delta for e in entries if e.delta > 0 and e.expires_at and e.expires_at <= instant)
        left = max(0, earned - debits)
        if left > 0:
            due.append((instant, left))
            debits += left
    return due


def balance(entries: Sequence[Entry], now: datetime) -> int:
    """What the member may spend now: the ledger's sum less what has expired but is not written yet."""
    return sum(e.delta for e in entries) - sum(points for _, points in due_expiries(entries, now))


def expiring_by(entries: Sequence[Entry], now: datetime, until: datetime) -> int:
    """Points of the current balance that expire at or before `until` (after the due expiries are taken)."""
    settled = [*entries, *(Entry(-points) for _, points in due_expiries(entries, now))]
    debits = -sum(e.delta for e in settled if e.delta < 0)
    earned = sum(e.delta for e in settled if e.delta > 0 and e.expires_at and e.expires_at <= until)
    return max(0, earned - debits)


def birthday_in(year: int, birthday: date) -> date:
    """The birthday's day in `year` (29 February is 28 February in other years)."""
    try:
        return birthday.replace(year=year)
    except ValueError:
        return date(year, 2, 28)


BIRTHDAY_NOTICE_DAYS = 30


def first_gift_waits(birthday: date, today: date) -> int:
    """A birthday set within BIRTHDAY_NOTICE_DAYS before the day gets its first gift a year later (so nobody sets
    today as their birthday for an instant gift). Returns the year whose gift is skipped, 0 for none."""
    upcoming = birthday_in(today.year, birthday)
    if upcoming < today:
        upcoming = birthday_in(today.year + 1, birthday)
    return upcoming.year if (upcoming - today).days <= BIRTHDAY_NOTICE_DAYS else 0
