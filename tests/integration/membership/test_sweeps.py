"""The membership sweeps: completed orders credited once (even with two sweepers at once), birthday gifts once a
year."""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime

from app.core.db import engine, fetch, fetchrow
from app.membership import ledger, services, sweeps
from app.membership.demo import load_membership_demo
from tests.factories import make_product, make_user
from tests.order_factories import make_order_group


async def test_completed_orders_are_credited_once_with_two_sweepers() -> None:
    await load_membership_demo()
    buyer = await make_user()
    async with engine().transaction():
        await ledger.ensure_profile(buyer.id)
    await fetch('UPDATE member_profile SET growth = 2000 WHERE "user" = {}', buyer.id)  # gold: 1.5x points
    product = await make_product(skus=[{"price_fen": 19999, "stock": 50}])
    done = await make_order_group(buyer, [(product, 1)], status="completed")
    await make_order_group(buyer, [(product, 1)], status="delivered")  # not completed: not credited
    results = await asyncio.gather(sweeps.credit_completed_orders(), sweeps.credit_completed_orders())
    assert sum(results) == 1
    assert await sweeps.credit_completed_orders() == 0
    growth = await fetch("SELECT delta, ref FROM growth_entry WHERE reason = 'order'")
    assert [(int(g["delta"]), g["ref"]) for g in growth] == [(199, str(done.order_ids[0]))]
    profile = await fetchrow('SELECT growth FROM member_profile WHERE "user" = {}', buyer.id)
    assert profile and profile["growth"] == 2199
    points = await fetch("SELECT delta FROM points_entry WHERE reason = 'order'")
    assert [int(p["delta"]) for p in points] == [299]  # ¥199 × 1 point × 1.5


async def test_many_orders_of_many_buyers_are_each_credited_once() -> None:
    await load_membership_demo()
    product = await make_product(skus=[{"price_fen": 1000, "stock": 100}])
    buyers = [await make_user() for _ in range(3)]
    for buyer in buyers:
        for _ in range(3):
            await make_order_group(buyer, [(product, 1)], status="completed")
    results = await asyncio.gather(*(sweeps.credit_completed_orders(batch=2) for _ in range(3)))
    assert sum(results) == 9
    for buyer in buyers:
        assert await ledger.balance(buyer.id) == 30
        row = await fetchrow('SELECT growth FROM member_profile WHERE "user" = {}', buyer.id)
        assert row and row["growth"] == 30


async def test_birthday_gift_once_a_year(at) -> None:  # type: ignore[no-untyped-def]
    await load_membership_demo()
    birthday_buyer, other = await make_user(), await make_user()
    at(datetime(2026, 3, 1, tzinfo=UTC))
    await services.set_birthday(user_id=birthday_buyer.id, raw="1990-05-20")
    await services.set_birthday(user_id=other.id, raw="1991-05-21")
    at(datetime(2026, 5, 19, 16, 30, tzinfo=UTC))  # 2026-05-20 00:30 in Shanghai
    results = await asyncio.gather(sweeps.birthday_gifts(), sweeps.birthday_gifts())
    assert sum(results) == 1
    assert await sweeps.birthday_gifts() == 0
    assert await ledger.balance(birthday_buyer.id) == 200
    assert await ledger.balance(other.id) == 0
    note = await fetchrow('SELECT title FROM notification WHERE "user" = {}', birthday_buyer.id)
    assert note and note["title"] == "Happy birthday!"
    at(datetime(2027, 5, 20, 4, 0, tzinfo=UTC))  # next year: another gift
    assert await sweeps.birthday_gifts() == 1
    gifts = await fetch("SELECT ref FROM points_entry WHERE reason = 'birthday' ORDER BY id")
    assert [g["ref"] for g in gifts] == [f"{birthday_buyer.id}:2026", f"{birthday_buyer.id}:2027"]
    assert await ledger.balance(birthday_buyer.id) == 200  # last year's gift expired at the end of 2026


async def test_a_birthday_cannot_be_changed_once_set() -> None:
    import pytest

    from app.core.errors import DomainError, ValidationFailed

    user = await make_user()
    with pytest.raises(ValidationFailed):
        await services.set_birthday(user_id=user.id, raw="2999-01-01")
    assert await services.set_birthday(user_id=user.id, raw="1990-05-20") == date(1990, 5, 20)
    with pytest.raises(DomainError):
        await services.set_birthday(user_id=user.id, raw="1991-06-01")
    row = await fetchrow('SELECT birthday FROM member_profile WHERE "user" = {}', user.id)
    assert row and row["birthday"] == date(1990, 5, 20)


async def test_a_birthday_set_on_the_day_is_celebrated_from_next_year(at) -> None:  # type: ignore[no-untyped-def]
    await load_membership_demo()
    user = await make_user()
    at(datetime(2026, 5, 20, 4, 0, tzinfo=UTC))
    await services.set_birthday(user_id=user.id, raw="1990-05-20")
    assert await sweeps.birthday_gifts() == 0
    at(datetime(2027, 5, 20, 4, 0, tzinfo=UTC))
    assert await sweeps.birthday_gifts() == 1
