"""The points ledger against PostgreSQL: balance = sum of entries, race-safe spending, refunds once, check-in once a
day, year-end expiry, and the checkout provider (member_for, points_offer)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime

import pytest

from app.core.db import engine, fetch, fetchrow
from app.membership import checkout, ledger, services, sweeps
from app.orders.errors import CheckoutError
from tests.factories import SYSTEM, make_product, make_user
from tests.order_factories import make_order_group


async def give(user_id: int, points: int, ref: str = "seed", *, reason: str = "admin") -> None:
    async with engine().transaction():
        await ledger.ensure_profile(user_id)
        await ledger.add_entry(user_id=user_id, delta=points, reason=reason, ref=f"{user_id}:{ref}")


async def ledger_sum(user_id: int) -> int:
    row = await fetchrow('SELECT coalesce(sum(delta), 0) AS s FROM points_entry WHERE "user" = {}', user_id)
    return int(row["s"]) if row else 0


async def spend(user_id: int, points: int, group_id: int) -> None:
    async with engine().transaction():
        await checkout.spend_points(user_id=user_id, points=points, group_id=group_id)


async def test_the_balance_is_the_sum_of_the_ledger() -> None:
    user = await make_user()
    await give(user.id, 1000)
    await spend(user.id, 250, 1)
    await services.check_in(user_id=user.id)
    async with engine().transaction():
        await checkout.refund_points(group_id=1)
    await services.award_review_points(user_id=user.id, review_id=7)
    assert await ledger.balance(user.id) == await ledger_sum(user.id) == 1000 - 250 + 5 + 250 + 20
    summary = await ledger.summary(user.id)
    assert summary.balance == 1025
    assert [e.reason for e in summary.history][:2] == ["review", "refund"]


async def test_ten_concurrent_spends_of_300_on_1000_let_at_most_three_through() -> None:
    user = await make_user()
    await give(user.id, 1000)

    async def attempt(group_id: int) -> bool:
        try:
            await spend(user.id, 300, group_id)
        except CheckoutError:
            return False
        return True

    results = await asyncio.gather(*(attempt(100 + i) for i in range(10)))
    assert sum(results) == 3
    assert await ledger.balance(user.id) == await ledger_sum(user.id) == 100
    spends = await fetch("SELECT delta FROM points_entry WHERE \"user\" = {} AND reason = 'spend'", user.id)
    assert sorted(int(s["delta"]) for s in spends) == [-300, -300, -300]


async def test_a_short_balance_is_a_checkout_error_with_the_numbers() -> None:
    user = await make_user()
    await give(user.id, 100)
    with pytest.raises(CheckoutError) as exc:
        await spend(user.id, 101, 5)
    assert exc.value.params == {"have": 100, "need": 101}
    assert await ledger.balance(user.id) == 100


async def test_refund_on_cancel_returns_exactly_what_was_spent_once() -> None:
    user = await make_user()
    await give(user.id, 1000)
    group = await make_order_group(user, [(await make_product(), 1)])
    await spend(user.id, 345, group.id)
    assert await ledger.balance(user.id) == 655
    for _ in range(2):
        async with engine().transaction():
            await checkout.refund_points(group_id=group.id)
    await asyncio.gather(*(checkout.refund_points(group_id=group.id) for _ in range(3)))
    refunds = await fetch("SELECT delta FROM points_entry WHERE reason = 'refund' AND ref = {}", str(group.id))
    assert [int(r["delta"]) for r in refunds] == [345]
    assert await ledger.balance(user.id) == 1000


async def test_refund_of_a_group_that_spent_nothing_writes_nothing() -> None:
    async with engine().transaction():
        await checkout.refund_points(group_id=999)
    assert await fetchrow("SELECT id FROM points_entry") is None


async def test_checking_in_twice_a_day_earns_once_even_at_the_same_moment(at) -> None:  # type: ignore[no-untyped-def]
    user = await make_user()
    at(datetime(2026, 11, 23, 15, 59, tzinfo=UTC))  # 23:59 in Shanghai
    results = await asyncio.gather(*(services.check_in(user_id=user.id) for _ in range(5)))
    assert sorted(r.already for r in results) == [False, True, True, True, True]
    assert all(r.points == 5 for r in results)
    assert await ledger.balance(user.id) == 5
    at(datetime(2026, 11, 23, 16, 0, tzinfo=UTC))  # midnight in Shanghai: a new day
    assert (await services.check_in(user_id=user.id)).already is False
    rows = await fetch('SELECT day FROM member_checkin WHERE "user" = {} ORDER BY day', user.id)
    assert [str(r["day"]) for r in rows] == ["2026-11-23", "2026-11-24"]
    assert await ledger.balance(user.id) == 10


async def test_review_points_are_given_once_per_review() -> None:
    user = await make_user()
    await services.award_review_points(user_id=user.id, review_id=42)
    await services.award_review_points(user_id=user.id, review_id=42)
    await services.award_review_points(user_id=user.id, review_id=43)
    assert await ledger.balance(user.id) == 40


async def test_points_left_at_year_end_expire_oldest_first(at) -> None:  # type: ignore[no-untyped-def]
    user = await make_user()
    at(datetime(2026, 3, 1, tzinfo=UTC))
    await give(user.id, 500, "a")  # expires at the end of 2026
    at(datetime(2026, 12, 31, 17, 0, tzinfo=UTC))  # 2027-01-01 01:00 in Shanghai
    await give(user.id, 300, "b")  # earned in 2027
    # 2026's points have expired but the sweep has not run: they cannot be spent
    assert await ledger.balance(user.id) == 300
    with pytest.raises(CheckoutError):
        await spend(user.id, 400, 1)
    # the refused spend rolled back with its transaction; the sweep writes the expiry, once
    assert await sweeps.expire_points() == 500
    assert await sweeps.expire_points() == 0
    expired = await fetch("SELECT delta, ref FROM points_entry WHERE reason = 'expire' AND \"user\" = {}", user.id)
    assert [(int(r["delta"]), r["ref"]) for r in expired] == [(-500, f"{user.id}:2026")]
    assert await ledger_sum(user.id) == 300


async def test_the_expiry_sweep_runs_once_and_spends_come_from_the_oldest_year(at) -> None:  # type: ignore[no-untyped-def]
    users = [await make_user() for _ in range(3)]
    at(datetime(2026, 6, 1, tzinfo=UTC))
    for user in users:
        await give(user.id, 500, "a")
    at(datetime(2027, 2, 1, tzinfo=UTC))
    await give(users[0].id, 100, "b")
    await spend(users[1].id, 0, 1)  # nothing spent: nothing settled
    at(datetime(2027, 2, 2, tzinfo=UTC))
    done = await asyncio.gather(sweeps.expire_points(), sweeps.expire_points())
    assert sum(done) == 1500
    assert await sweeps.expire_points() == 0
    assert [await ledger.balance(u.id) for u in users] == [100, 0, 0]
    rows = await fetchrow("SELECT count(*) AS n FROM points_entry WHERE reason = 'expire'")
    assert rows and rows["n"] == 3


async def test_member_for_and_points_offer_follow_levels_and_settings() -> None:
    from app.membership.demo import load_membership_demo

    await load_membership_demo()
    user = await make_user()
    member = await checkout.member_for(user.id)
    assert (member.level_rank, member.is_new, member.extra_discount_pct) == (1, True, 0)
    async with engine().transaction():
        await ledger.ensure_profile(user.id)
    await fetch('UPDATE member_profile SET growth = 2000 WHERE "user" = {}', user.id)
    member = await checkout.member_for(user.id)
    assert (member.level_rank, member.extra_discount_pct, member.free_shipping, member.points_multiplier_pct) == (
        3,
        5,
        True,
        150,
    )
    assert await checkout.points_offer(user_id=user.id, payable_fen=10000) is None  # no points yet
    await give(user.id, 5000)
    offer = await checkout.points_offer(user_id=user.id, payable_fen=9999)
    assert offer is not None
    assert (offer.balance, offer.max_points, offer.points_per_yuan) == (5000, 1999, 100)
    await make_order_group(user, [(await make_product(), 1)], status="paid")
    assert (await checkout.member_for(user.id)).is_new is False
    assert await checkout.member_for(None) == checkout.ANONYMOUS


async def test_points_switched_off_offer_nothing() -> None:
    user = await make_user()
    await give(user.id, 5000)

    form = {
        "points_per_yuan": "100",
        "max_use_pct": "20",
        "earn_per_yuan": "1",
        "checkin_points": "5",
        "review_photo_points": "20",
        "birthday_points": "200",
    }
    await services.save_settings(actor=SYSTEM, form=form)  # "enabled" unticked
    assert await checkout.points_offer(user_id=user.id, payable_fen=10000) is None
