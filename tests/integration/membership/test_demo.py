from __future__ import annotations

from app.core.db import fetch, fetchrow
from app.membership import checkout, ledger
from app.membership.demo import load_membership_demo
from tests.factories import make_user


async def test_the_demo_loads_once_and_makes_the_buyer_silver_with_1000_points() -> None:
    buyer = await make_user(email="buyer@jishi.test")
    await load_membership_demo()
    await load_membership_demo()
    levels = await fetch(
        "SELECT name_zh, growth_threshold, extra_discount_pct, free_shipping, points_multiplier_pct "
        "FROM member_level ORDER BY rank"
    )
    assert [tuple(lv.values()) for lv in levels] == [
        ("普通会员", 0, 0, False, 100),
        ("银卡", 500, 2, False, 100),
        ("金卡", 2000, 5, True, 150),
        ("钻石", 10000, 8, True, 200),
    ]
    assert await ledger.balance(buyer.id) == 1000
    member = await checkout.member_for(buyer.id)
    assert (member.level_name, member.extra_discount_pct) == ("银卡", 2)
    profile = await fetchrow('SELECT growth FROM member_profile WHERE "user" = {}', buyer.id)
    assert profile and profile["growth"] == 600
    items = await fetchrow("SELECT count(*) AS n FROM points_mall_item WHERE active")
    assert items and items["n"] == 2
    settings = await fetchrow("SELECT points_per_yuan, max_use_pct, checkin_points FROM points_settings")
    assert settings and tuple(settings.values()) == (100, 20, 5)
