"""The demo coupons load through the real services, twice without duplicates."""

from __future__ import annotations

from app.core.db import fetch
from app.coupons.demo import load_coupons_demo
from tests.factories import make_shop, make_user


async def test_demo_coupons_are_idempotent() -> None:
    await make_shop(name="小米优选旗舰店")
    await make_shop(name="江南茶社")
    buyer = await make_user(email="buyer@jishi.test")
    await load_coupons_demo()
    await load_coupons_demo()
    rows = await fetch("SELECT name, status, redeem_code, welcome_pack FROM coupon_template ORDER BY id")
    assert len(rows) == 5 and {r["status"] for r in rows} == {"active"}
    assert [r["redeem_code"] for r in rows if r["redeem_code"]] == ["JISHI2026"]
    assert len(await fetch('SELECT id FROM user_coupon WHERE "user" = {}', buyer.id)) == 1
