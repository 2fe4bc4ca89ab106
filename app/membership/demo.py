"""Membership demo data, idempotent (the lead calls `load_membership_demo()` from app/demo.py):
- levels 普通会员 (0), 银卡 (500, 2% off), 金卡 (2000, 5% off, free shipping, 1.5x points), 钻石 (10000, 8% off,
  free shipping, 2x points);
- points settings: 100 points = ¥1, at most 20% of an order, 1 point per yuan, check-in 5, review 20, birthday 200;
- buyer@jishi.test: 1,000 points and growth 600 (银卡);
- two points-mall items: a canvas bag (a gift the platform ships) and a ¥5 coupon when the coupons app has an
  active platform template (otherwise a second gift)."""

from __future__ import annotations

from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.membership import coupon_link, ledger

LEVELS = (
    (1, "普通会员", "Member", 0, 0, False, 100),
    (2, "银卡", "Silver", 500, 2, False, 100),
    (3, "金卡", "Gold", 2000, 5, True, 150),
    (4, "钻石", "Diamond", 10000, 8, True, 200),
)
BUYER = "buyer@jishi.test"


async def load_membership_demo() -> None:
    async with engine().transaction():
        for rank, zh, en, threshold, pct, free, mult in LEVELS:
            await fetch(
                "INSERT INTO member_level (rank, name_zh, name_en, growth_threshold, extra_discount_pct, "
                "free_shipping, points_multiplier_pct, active, updated_at) "
                "VALUES ({}, {}, {}, {}, {}, {}, {}, true, now()) ON CONFLICT (rank) DO NOTHING",
                rank,
                zh,
                en,
                threshold,
                pct,
                free,
                mult,
            )
        await fetch(
            "INSERT INTO points_settings (key, points_per_yuan, max_use_pct, earn_per_yuan, checkin_points, "
            "review_photo_points, birthday_points, enabled, updated_at) "
            "VALUES ('default', 100, 20, 1, 5, 20, 200, true, now()) ON CONFLICT (key) DO NOTHING"
        )
        buyer = await fetchrow("SELECT id FROM app_user WHERE email = {}", BUYER)
        if buyer is not None:
            user_id = int(buyer["id"])
            await ledger.ensure_profile(user_id)
            added = await fetchrow(
                'INSERT INTO growth_entry ("user", delta, reason, ref, created_at) '
                "VALUES ({}, 600, 'admin', {}, now()) ON CONFLICT (reason, ref) DO NOTHING RETURNING id",
                user_id,
                f"demo:{user_id}",
            )
            if added is not None:
                await fetch('UPDATE member_profile SET growth = growth + 600 WHERE "user" = {}', user_id)
            await ledger.add_entry(
                user_id=user_id,
                delta=1000,
                reason="admin",
                ref=f"demo:{user_id}",
                note="新会员欢迎积分",
                at=clock.now(),
            )
        await _item("吉市帆布袋", "环保帆布袋，平台统一发货（7 个工作日内）。", "gift", None, 800, 50)
        template = None
        if coupon_link.available():
            template = await fetchrow(
                "SELECT id FROM coupon_template WHERE issuer = 'platform' AND status = 'active' ORDER BY id LIMIT 1"
            )
        if template is not None:
            await _item("平台优惠券", "兑换后立即放入“我的优惠券”。", "coupon", int(template["id"]), 500, 200)
        elif await fetchrow("SELECT id FROM points_mall_item WHERE kind = 'coupon' LIMIT 1") is None:
            await _item("吉市定制钥匙扣", "金属钥匙扣，平台统一发货（7 个工作日内）。", "gift", None, 300, 100)


async def _item(title: str, description: str, kind: str, template_id: int | None, cost: int, stock: int) -> None:
    if await fetchrow("SELECT id FROM points_mall_item WHERE title = {}", title) is not None:
        return
    await fetch(
        "INSERT INTO points_mall_item (title, description, kind, coupon_template_id, gift_sku_id, cost_points, stock, "
        "per_user_limit, active, created_at) VALUES ({}, {}, {}, {}, NULL, {}, {}, 1, true, now())",
        title,
        description,
        kind,
        template_id,
        cost,
        stock,
    )
