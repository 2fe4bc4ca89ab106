"""The promotions demo loads every kind once, through the real checks, and a second run adds nothing."""

from __future__ import annotations

from app.core.db import fetch
from app.promotions.demo import load_promotions_demo
from tests.factories import make_category, make_product, make_shop


async def test_the_demo_loads_each_kind_once() -> None:
    category = await make_category()
    for name in ("小米优选旗舰店", "江南茶社"):
        shop = await make_shop(name=name)
        for i in range(3):
            await make_product(shop=shop, category=category, skus=[{"price_fen": 9900 + i * 1000, "stock": 30}])
    await load_promotions_demo()
    await load_promotions_demo()
    rows = await fetch("SELECT p.kind, p.name, s.name AS shop, p.status FROM promotion p LEFT JOIN shop s "
                       "ON s.id = p.shop ORDER BY p.id")  # fmt: skip
    assert [(r["shop"], r["kind"]) for r in rows] == [
        ("小米优选旗舰店", "full_reduction"),
        ("小米优选旗舰店", "member_price"),
        ("小米优选旗舰店", "bundle"),
        ("江南茶社", "limited_time"),
        ("江南茶社", "gift"),
        ("江南茶社", "multi_piece"),
        (None, "full_reduction"),
    ]
    assert {r["status"] for r in rows} == {"active"}
    assert rows[-1]["name"] == "平台满500减40"
