"""The points ledger. The balance is never stored: it is the sum of the member's entries, less what has expired
and is not written yet (app/membership/rules.py). Every debit locks the member's profile row first (one lock per
member: spends, mall redemptions, adjustments and the expiry sweep serialize on it), writes the expiries that are
due, then checks the balance. (reason, ref) is unique, so a retried credit is written once."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.core.errors import DomainError
from app.core.i18n import N_
from app.membership import rules


class ShortOfPoints(DomainError):
    code = "short_of_points"


async def ensure_profile(user_id: int) -> None:
    """Every member with points or growth has a profile row (its lock is the member's ledger lock)."""
    await fetch(
        'INSERT INTO member_profile ("user", growth, last_birthday_gift_year, expiry_settled_year, created_at) '
        'VALUES ({}, 0, 0, {}, {}) ON CONFLICT ("user") DO NOTHING',
        user_id,
        rules.local_day(clock.now()).year - 1,
        clock.now(),
    )


async def lock_member(user_id: int) -> None:
    """In the caller's transaction: the member's ledger lock (their profile row)."""
    await ensure_profile(user_id)
    await fetch('SELECT id FROM member_profile WHERE "user" = {} FOR UPDATE', user_id)


async def _entries(user_id: int) -> list[rules.Entry]:
    rows = await fetch('SELECT delta, expires_at FROM points_entry WHERE "user" = {}', user_id)
    return [rules.Entry(int(r["delta"]), r["expires_at"]) for r in rows]


async def add_entry(
    *, user_id: int, delta: int, reason: str, ref: str, note: str = "", at: datetime | None = None
) -> bool:
    """Write one entry unless (reason, ref) is already there; False when it was. Earnings get their expiry."""
    if delta == 0:
        return False
    at = at or clock.now()
    row = await fetchrow(
        'INSERT INTO points_entry ("user", delta, reason, ref, note, expires_at, created_at) '
        "VALUES ({}, {}, {}, {}, {}, {}, {}) ON CONFLICT (reason, ref) DO NOTHING RETURNING id",
        user_id,
        delta,
        reason,
        ref,
        note,
        rules.year_end(at) if delta > 0 else None,
        at,
    )
    return row is not None


async def settle_expiry(user_id: int) -> int:
    """Under the member's lock: write the expiries that are due (one entry per expired year). Returns the points
    expired."""
    now = clock.now()
    total = 0
    for instant, points in rules.due_expiries(await _entries(user_id), now):
        year = rules.expiry_year(instant)
        if await add_entry(user_id=user_id, delta=-points, reason="expire", ref=f"{user_id}:{year}", at=now):
            total += points
    await fetch(
        'UPDATE member_profile SET expiry_settled_year = greatest(expiry_settled_year, {}) WHERE "user" = {}',
        rules.local_day(now).year - 1,
        user_id,
    )
    return total


async def debit(*, user_id: int, points: int, reason: str, ref: str, note: str = "") -> bool:
    """In the caller's transaction: lock the member, settle expiry, check the balance, write `-points`. False when
    (reason, ref) was already written (a retry); ShortOfPoints when the balance is short."""
    await lock_member(user_id)
    await settle_expiry(user_id)
    have = rules.balance(await _entries(user_id), clock.now())
    if have < points:
        raise ShortOfPoints(N_("Not enough points: you have %(have)s, this needs %(need)s."), have=have, need=points)
    return await add_entry(user_id=user_id, delta=-points, reason=reason, ref=ref, note=note)


async def balance(user_id: int) -> int:
    return rules.balance(await _entries(user_id), clock.now())


@dataclass(frozen=True, slots=True)
class LedgerLine:
    id: int
    delta: int
    reason: str
    note: str
    created_at: datetime
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class PointsSummary:
    balance: int
    expiring: int  # points that expire at the end of this year
    expires_at: datetime  # the last second of this year (shown as its date)
    earned: int
    history: list[LedgerLine]


async def summary(user_id: int, *, limit: int = 100) -> PointsSummary:
    now = clock.now()
    entries = await _entries(user_id)
    year_end = rules.year_end(now)
    rows = await fetch(
        'SELECT id, delta, reason, note, created_at, expires_at FROM points_entry WHERE "user" = {} '
        "ORDER BY created_at DESC, id DESC LIMIT {}",
        user_id,
        limit,
    )
    return PointsSummary(
        balance=rules.balance(entries, now),
        expiring=rules.expiring_by(entries, now, year_end),
        expires_at=year_end - timedelta(seconds=1),
        earned=sum(e.delta for e in entries if e.delta > 0),
        history=[
            LedgerLine(r["id"], int(r["delta"]), r["reason"], r["note"], r["created_at"], r["expires_at"]) for r in rows
        ],
    )


async def expire_due(*, batch: int = 200) -> int:
    """The year-end sweep: settle expiry for members not settled for last year yet. SKIP LOCKED: several workers
    share the work; a member being charged right now is taken next time (their debit settles expiry anyway)."""
    last_year = rules.local_day(clock.now()).year - 1
    expired = 0
    while True:
        async with engine().transaction():
            rows = await fetch(
                'SELECT "user" FROM member_profile WHERE expiry_settled_year < {} ORDER BY id LIMIT {} '
                "FOR UPDATE SKIP LOCKED",
                last_year,
                batch,
            )
            for row in rows:
                expired += await settle_expiry(int(row["user"]))
        if len(rows) < batch:
            return expired
