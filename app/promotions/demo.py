"""Demo promotions, saved through the real service so they pass the same checks as a seller's: 小米优选旗舰店
满199减20 / 满399减50, a member price (level rank 2 and above) and a bundle; 江南茶社 a limited-time discount, 2件9折
and a buy-one-get-one; the platform's 满500减40 over every category. Idempotent: each is skipped once a promotion
with its name exists for its shop (or the platform)."""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal

from app.config import get_settings
from app.core import clock
from app.core.db import fetch, fetchrow
from app.core.money import plain_yuan
from app.core.principal import Actor
from app.promotions import forms, services

SYSTEM = Actor(user_id=None, label="demo")
XIAOMI, TEA = "小米优选旗舰店", "江南茶社"


async def _shop(name: str) -> int | None:
    row = await fetchrow("SELECT id FROM shop WHERE name = {}", name)
    return int(row["id"]) if row else None


async def _skus(shop_id: int, count: int) -> list[dict]:  # type: ignore[type-arg]
    """The shop's first SKUs on sale, one per product, with some stock."""
    return await fetch(
        "SELECT DISTINCT ON (p.id) s.id, s.price_fen, s.stock FROM sku s JOIN product p ON p.id = s.product "
        "WHERE p.shop = {} AND p.status = 'active' AND s.stock >= 5 AND s.price_fen >= 100 "
        "ORDER BY p.id, s.position, s.id LIMIT {}",
        shop_id,
        count,
    )


async def _save(shop_id: int | None, kind: str, name: str, **fields: str) -> None:
    owner = "p.shop = {}" if shop_id is not None else "p.shop IS NULL"
    args = [shop_id] if shop_id is not None else []
    if await fetchrow(f"SELECT 1 AS x FROM promotion p WHERE {owner} AND p.name = {{}}", *args, name):  # noqa: S608
        return
    tz = get_settings().display_timezone
    now = clock.now().replace(second=0, microsecond=0)
    form = {
        "name": name,
        "scope": "all",
        "starts_at": forms.format_dt(now - timedelta(days=1), tz),
        "ends_at": forms.format_dt(now + timedelta(days=60), tz),
        **fields,
    }
    await services.save_promotion(actor=SYSTEM, shop_id=shop_id, kind=kind, form=form, activate=True)


async def load_promotions_demo() -> None:
    xiaomi, tea = await _shop(XIAOMI), await _shop(TEA)
    if xiaomi is not None:
        await _save(xiaomi, "full_reduction", "店铺满减", t1_threshold="199", t1_off="20", t2_threshold="399",
                    t2_off="50")  # fmt: skip
        skus = await _skus(xiaomi, 3)
        if len(skus) >= 3:
            await _save(xiaomi, "member_price", "会员专享价", skus=f"{skus[0]['id']} 90%", min_level_rank="2")
            value = skus[1]["price_fen"] + skus[2]["price_fen"]
            price = int((Decimal(value) * Decimal("0.85") / 100).quantize(Decimal(1), ROUND_HALF_UP)) * 100
            if 0 < price < value:
                await _save(xiaomi, "bundle", "超值套餐", skus=f"{skus[1]['id']} 1\n{skus[2]['id']} 1",
                            bundle_price=plain_yuan(price))  # fmt: skip
    if tea is not None:
        skus = await _skus(tea, 2)
        if len(skus) >= 2:
            await _save(tea, "limited_time", "新茶限时折扣", skus=f"{skus[0]['id']} 80%")
            gift = skus[1]
            await _save(tea, "gift", "买一送一", skus=f"{gift['id']} 1", gift_sku=str(gift["id"]), gift_quantity="1",
                        gift_stock=str(min(20, gift["stock"])))  # fmt: skip
        await _save(tea, "multi_piece", "两件九折", t1_pieces="2", t1_percent="90")
    await _save(None, "full_reduction", "平台满500减40", t1_threshold="500", t1_off="40")
