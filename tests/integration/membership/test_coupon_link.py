"""Coupons granted through app/coupons: a coupon item of the points mall, the birthday coupon."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.core.db import engine, fetch, fetchrow
from app.core.errors import DomainError
from app.membership import ledger, mall, services, sweeps
from tests.factories import SYSTEM, make_user
from tests.integration.coupons._helpers import make_template


async def give(user_id: int, points: int) -> None:
    async with engine().transaction():
        await ledger.ensure_profile(user_id)
        await ledger.add_entry(user_id=user_id, delta=points, reason="admin", ref=f"{user_id}:seed")


async def coupon_item(template_id: int, *, cost: int = 200, stock: int = 10) -> int:
    return await mall.save_item(
        actor=SYSTEM,
        item_id=None,
        form={
            "title": "¥10 券",
            "kind": "coupon",
            "coupon_template_id": str(template_id),
            "cost_points": str(cost),
            "stock": str(stock),
            "per_user_limit": "2",
            "active": "on",
        },
    )


async def test_a_coupon_item_puts_the_coupon_in_the_wallet() -> None:
    buyer = await make_user()
    await give(buyer.id, 500)
    item_id = await coupon_item(await make_template(amount_fen=1000, kind="amount_off"))
    done = await mall.redeem(user_id=buyer.id, item_id=item_id)
    assert done.status == "granted"
    row = await fetchrow("SELECT user_coupon_id FROM points_redemption WHERE id = {}", done.id)
    coupon = await fetchrow('SELECT "user" FROM user_coupon WHERE id = {}', row["user_coupon_id"] if row else 0)
    assert coupon and coupon["user"] == buyer.id
    assert await ledger.balance(buyer.id) == 300
    assert (await mall.get_item(item_id)).stock == 9


async def test_a_sold_out_coupon_takes_no_points_and_no_stock() -> None:
    buyer, other = await make_user(), await make_user()
    await give(buyer.id, 500)
    template = await make_template(total=1, kind="amount_off")
    from app.coupons.services import grant

    await grant(template_id=template, user_id=other.id)
    item_id = await coupon_item(template)
    with pytest.raises(DomainError):
        await mall.redeem(user_id=buyer.id, item_id=item_id)
    assert await ledger.balance(buyer.id) == 500
    assert (await mall.get_item(item_id)).stock == 10
    assert await fetchrow("SELECT id FROM points_redemption") is None


async def test_the_birthday_coupon_comes_with_the_points_and_a_paused_one_does_not_block_them(at) -> None:  # type: ignore[no-untyped-def]
    active, paused = await make_template(kind="amount_off"), await make_template(kind="amount_off", status="paused")
    base = {
        "points_per_yuan": "100",
        "max_use_pct": "20",
        "earn_per_yuan": "1",
        "checkin_points": "5",
        "review_photo_points": "20",
        "birthday_points": "200",
        "enabled": "on",
    }
    first, second = await make_user(), await make_user()
    at(datetime(2026, 3, 1, tzinfo=UTC))
    await services.set_birthday(user_id=first.id, raw="1990-05-20")
    await services.set_birthday(user_id=second.id, raw="1990-05-21")
    await services.save_settings(actor=SYSTEM, form={**base, "birthday_coupon_template_id": str(active)})
    at(datetime(2026, 5, 20, 4, 0, tzinfo=UTC))
    assert await sweeps.birthday_gifts() == 1
    coupons = await fetch('SELECT template FROM user_coupon WHERE "user" = {}', first.id)
    assert [c["template"] for c in coupons] == [active]
    await services.save_settings(actor=SYSTEM, form={**base, "birthday_coupon_template_id": str(paused)})
    at(datetime(2026, 5, 21, 4, 0, tzinfo=UTC))
    assert await sweeps.birthday_gifts() == 1
    assert await ledger.balance(second.id) == 200
    assert await fetchrow('SELECT id FROM user_coupon WHERE "user" = {}', second.id) is None
