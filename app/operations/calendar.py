"""The campaign calendar (/admin/calendar/): one month of platform and shop promotions, coupon claim windows and
flash-sale sessions, read-only. Three range queries (promotion.ends_at and flash_session.ends_at are indexed;
coupon templates are few). Each entry is placed on the day it starts, or on the 1st when it started before the
month ("continues"), so a month-long campaign is listed once, not on every day."""

from __future__ import annotations

import calendar as cal
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from app.core.db import fetch

LIMIT = 500  # per source and month


@dataclass(frozen=True, slots=True)
class Entry:
    source: str  # promotion | coupon | flash
    kind: str  # the promotion's or coupon's kind ("" for flash)
    issuer: str  # platform | shop
    shop_name: str
    title: str
    status: str
    starts_at: datetime
    ends_at: datetime
    url: str
    continues: bool  # started before the month


@dataclass(frozen=True, slots=True)
class Month:
    year: int
    month: int
    weeks: list[list[date | None]]  # Monday first; None outside the month
    by_day: dict[date, list[Entry]]
    issuer: str

    @property
    def first(self) -> date:
        return date(self.year, self.month, 1)

    @property
    def prev(self) -> str:
        y, m = (self.year, self.month - 1) if self.month > 1 else (self.year - 1, 12)
        return f"{y:04d}-{m:02d}"

    @property
    def next(self) -> str:
        y, m = (self.year, self.month + 1) if self.month < 12 else (self.year + 1, 1)
        return f"{y:04d}-{m:02d}"

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.by_day.values())


def parse_month(raw: str, today: date) -> tuple[int, int]:
    """'2026-11' → (2026, 11); anything else (or a year outside 2000-2100) → today's month."""
    try:
        y, m = (int(p) for p in (raw or "").strip().split("-", 1))
        if 2000 <= y <= 2100 and 1 <= m <= 12:
            return y, m
    except ValueError:
        pass
    return today.year, today.month


async def month_view(*, year: int, month: int, issuer: str, tz: str) -> Month:
    zone = ZoneInfo(tz)
    first = date(year, month, 1)
    after = date(year + (month == 12), month % 12 + 1, 1)
    start = datetime.combine(first, time.min, zone)
    end = datetime.combine(after, time.min, zone)
    issuer = issuer if issuer in ("platform", "shop") else ""
    entries: list[Entry] = []

    for r in await fetch(
        "SELECT p.id, p.kind, p.issuer, p.name, p.status, p.starts_at, p.ends_at, p.shop, "
        "coalesce(s.name, '') AS shop_name FROM promotion p LEFT JOIN shop s ON s.id = p.shop "
        "WHERE p.starts_at < {} AND p.ends_at > {} "
        "AND ({} = '' OR p.issuer = {}) ORDER BY p.starts_at, p.id LIMIT {}",
        end,
        start,
        issuer,
        issuer,
        LIMIT,
    ):
        url = f"/admin/promotions/{r['id']}" if r["issuer"] == "platform" else f"/admin/shops/{r['shop']}"
        entries.append(_entry("promotion", r, r["kind"], r["issuer"], r["name"], url, start))

    for r in await fetch(
        "SELECT c.id, c.kind, c.name, c.status, c.claim_start_at AS starts_at, c.claim_end_at AS ends_at, c.shop, "
        "coalesce(s.name, '') AS shop_name FROM coupon_template c LEFT JOIN shop s ON s.id = c.shop "
        "WHERE c.claim_start_at < {} AND c.claim_end_at > {} AND ({} = '' OR ({} = 'platform') = (c.shop IS NULL)) "
        "ORDER BY c.claim_start_at, c.id LIMIT {}",
        end,
        start,
        issuer,
        issuer,
        LIMIT,
    ):
        who = "shop" if r["shop"] else "platform"
        url = f"/admin/coupons/{r['id']}" if who == "platform" else f"/admin/shops/{r['shop']}"
        entries.append(_entry("coupon", r, r["kind"], who, r["name"], url, start))

    if issuer in ("", "platform"):  # flash-sale sessions are the platform's
        for r in await fetch(
            "SELECT f.id, f.title, f.status, f.starts_at, f.ends_at FROM flash_session f "
            "WHERE f.starts_at < {} AND f.ends_at > {} ORDER BY f.starts_at, f.id LIMIT {}",
            end,
            start,
            LIMIT,
        ):
            entries.append(_entry("flash", r, "", "platform", r["title"], f"/admin/flash/sessions/{r['id']}", start))

    by_day: dict[date, list[Entry]] = {}
    for e in sorted(entries, key=lambda e: (e.starts_at, e.source, e.title)):
        day = max(e.starts_at, start).astimezone(zone).date()
        by_day.setdefault(day, []).append(e)
    weeks = [
        [d if d.month == month else None for d in week] for week in cal.Calendar(0).monthdatescalendar(year, month)
    ]
    return Month(year, month, weeks, by_day, issuer)


def _entry(source: str, r: dict, kind: str, issuer: str, title: str, url: str, start: datetime) -> Entry:  # type: ignore[type-arg]
    return Entry(
        source=source,
        kind=kind or "",
        issuer=issuer,
        shop_name=r.get("shop_name") or "",
        title=title,
        status=r["status"],
        starts_at=r["starts_at"],
        ends_at=r["ends_at"],
        url=url,
        continues=r["starts_at"] < start,
    )
