"""Worker sweeps of the membership app (issue 7): (name, coroutine function) pairs, run by app/worker.py.

- credit_completed_orders: growth and points for completed orders, once per order (unique growth/points refs);
- birthday_gifts: points and/or a coupon on the member's birthday (Asia/Shanghai), once a year;
- expire_points: the year-end expiry (app/membership/ledger.py).
Each is idempotent and safe with several workers (FOR UPDATE SKIP LOCKED, unique refs)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import date, timedelta

from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.core.i18n import N_
from app.membership import coupon_link, ledger, rules
from app.membership.services import get_settings, list_levels

log = logging.getLogger(__name__)
CREDIT_WINDOW = timedelta(days=90)  # orders completed longer ago than this are not looked at again


async def credit_completed_orders(*, batch: int = 100) -> int:
    """Growth (1 per yuan paid for goods) and points (earn rate × level multiplier) for each completed order.
    The growth entry's unique (reason 'order', ref order id) decides; a second sweeper skips locked orders or, at
    worst, inserts nothing."""
    settings = await get_settings()
    levels = await list_levels(active_only=True)
    credited = 0
    while True:
        async with engine().transaction():
            rows = await fetch(
                "SELECT o.id, o.buyer FROM shop_order o WHERE o.status = 'completed' AND o.completed_at > {} "
                "AND NOT EXISTS (SELECT 1 FROM growth_entry g WHERE g.reason = 'order' AND g.ref = o.id::text) "
                "ORDER BY o.id LIMIT {} FOR NO KEY UPDATE OF o SKIP LOCKED",
                clock.now() - CREDIT_WINDOW,
                batch,
            )
            for row in rows:
                if await _credit_order(int(row["id"]), int(row["buyer"]), settings, levels):
                    credited += 1
        if len(rows) < batch:
            return credited


async def _credit_order(order_id: int, user_id: int, settings, levels) -> bool:  # type: ignore[no-untyped-def]
    paid = await fetchrow('SELECT coalesce(sum(paid_fen), 0) AS fen FROM order_item WHERE "order" = {}', order_id)
    paid_fen = int(paid["fen"]) if paid else 0
    growth = rules.order_growth(paid_fen=paid_fen)
    inserted = await fetchrow(
        "INSERT INTO growth_entry (\"user\", delta, reason, ref, created_at) VALUES ({}, {}, 'order', {}, {}) "
        "ON CONFLICT (reason, ref) DO NOTHING RETURNING id",
        user_id,
        growth,
        str(order_id),
        clock.now(),
    )
    if inserted is None:
        return False
    await ledger.ensure_profile(user_id)
    profile = await fetchrow(
        'UPDATE member_profile SET growth = growth + {} WHERE "user" = {} RETURNING growth - {} AS before',
        growth,
        user_id,
        growth,
    )
    level = rules.level_for(levels, int(profile["before"]) if profile else 0)
    if settings.enabled:
        points = rules.order_points(
            paid_fen=paid_fen,
            earn_per_yuan=settings.earn_per_yuan,
            multiplier_pct=level.points_multiplier_pct if level else 100,
        )
        await ledger.add_entry(user_id=user_id, delta=points, reason="order", ref=str(order_id))
    return True


def birthday_days(today: date) -> list[tuple[int, int]]:
    """(month, day) pairs whose birthday is today; 29 February counts on 28 February in other years."""
    days = [(today.month, today.day)]
    if (today.month, today.day) == (2, 28) and (today + timedelta(days=1)).month == 3:
        days.append((2, 29))
    return days


async def birthday_gifts(*, batch: int = 100) -> int:
    """Members whose birthday is today get the birthday points and/or coupon, once a year
    (last_birthday_gift_year)."""
    settings = await get_settings()
    if not settings.enabled:
        return 0
    today = rules.local_day(clock.now())
    days = birthday_days(today)
    gifted: list[tuple[int, int]] = []
    while True:
        async with engine().transaction():
            rows = await fetch(
                'SELECT id, "user" FROM member_profile WHERE birthday IS NOT NULL '  # noqa: S608 (fixed fragments)
                "AND last_birthday_gift_year < {} "
                "AND (extract(month FROM birthday)::int, extract(day FROM birthday)::int) IN ("
                + ", ".join("({}, {})" for _ in days)
                + ") ORDER BY id LIMIT {} FOR UPDATE SKIP LOCKED",
                today.year,
                *(v for pair in days for v in pair),
                batch,
            )
            for row in rows:
                user_id = int(row["user"])
                await fetch(
                    "UPDATE member_profile SET last_birthday_gift_year = {} WHERE id = {}", today.year, row["id"]
                )
                ref = f"{user_id}:{today.year}"
                points = settings.birthday_points
                if points > 0:
                    await ledger.add_entry(user_id=user_id, delta=points, reason="birthday", ref=ref)
                if settings.birthday_coupon_template_id:
                    tx = engine().current_transaction.get()
                    assert tx is not None
                    savepoint = await tx.savepoint()  # a failed grant keeps the points and the other members
                    try:
                        await coupon_link.grant(
                            template_id=settings.birthday_coupon_template_id, user_id=user_id, ref=f"birthday:{ref}"
                        )
                    except Exception:  # the coupon may have ended: the points still count
                        await savepoint.rollback_to()
                        log.warning("birthday coupon not granted to user %s", user_id, exc_info=True)
                    else:
                        await savepoint.release()
                gifted.append((user_id, points))
        if len(rows) < batch:
            break
    await _notify(gifted)
    return len(gifted)


async def _notify(gifted: list[tuple[int, int]]) -> None:
    from app.messaging.services import notify

    for user_id, points in gifted:
        await notify(
            user_id=user_id,
            kind="birthday_gift",
            title=N_("Happy birthday!"),
            body=N_("Your birthday gift is here: %(points)s points.") if points else N_("Your birthday gift is here."),
            link="/me/points",
            params={"points": points},
        )


async def expire_points() -> int:
    return await ledger.expire_due()


SWEEPS: list[tuple[str, Callable[[], Awaitable[object]]]] = [
    ("membership:credit_completed_orders", credit_completed_orders),
    ("membership:birthday_gifts", birthday_gifts),
    ("membership:expire_points", expire_points),
]
