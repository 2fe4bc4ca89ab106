"""Demo delivery settings (idempotent; run after the users and shops exist): shipping templates and pickup points
for the two demo sellers' shops, and two addresses in the demo buyer's address book.

- 小米优选旗舰店: ¥8 per order, free from ¥99; a pickup point in Shanghai.
- 江南茶社: by weight, the first kg ¥10 then ¥5 per kg, free from ¥199, no delivery to Xinjiang or Tibet;
  a pickup point in Hangzhou.
- buyer@jishi.test: a default home address in 上海市 浦东新区 and a company address in 北京市 朝阳区."""

from __future__ import annotations

import logging

from app.accounts import addresses
from app.core.db import fetchrow
from app.core.principal import Actor
from app.sellers import shipping
from app.sellers.tables import PickupPoint, ShippingTemplate

log = logging.getLogger("app.sellers.shipping_demo")

TEMPLATES = {
    "小米优选旗舰店": {"mode": "flat", "flat_fen": 800, "free_over_fen": 9900},
    "江南茶社": {
        "mode": "weight",
        "first_weight_g": 1000,
        "first_fen": 1000,
        "extra_weight_g": 1000,
        "extra_fen": 500,
        "free_over_fen": 19900,
        "excluded_regions": ["650000", "540000"],  # 新疆, 西藏
    },
}
POINTS = {
    "小米优选旗舰店": [
        {"name": "上海静安体验店", "province": "310000", "city": "310100", "district": "310106",
         "detail": "南京西路 1266 号 恒隆广场 B1", "phone": "021-62881234", "hours": "每天 10:00-22:00"},
    ],
    "江南茶社": [
        {"name": "杭州西湖茶舍", "province": "330000", "city": "330100", "district": "330106",
         "detail": "龙井路 1 号", "phone": "0571-87961234", "hours": "每天 9:00-18:00"},
        {"name": "杭州拱墅门店", "province": "330000", "city": "330100", "district": "330105",
         "detail": "莫干山路 100 号", "phone": "13800138002", "hours": "周一至周六 10:00-20:00"},
    ],
}  # fmt: skip
BUYER = "buyer@jishi.test"
BUYER_ADDRESSES = [
    {"receiver": "小张", "mobile": "13912345678", "province": "310000", "city": "310100", "district": "310115",
     "detail": "张江高科技园区 博云路 2 号 3 幢 501 室", "tag": "home", "is_default": True},
    {"receiver": "小张", "mobile": "13912345678", "province": "110000", "city": "110100", "district": "110105",
     "detail": "建国路 89 号 华贸中心 1 座 1203", "tag": "company"},
]  # fmt: skip


async def _owner_of(shop_name: str) -> tuple[int, int] | None:
    row = await fetchrow(
        'SELECT s.id AS shop_id, ss."user" AS owner_id FROM shop s JOIN shop_staff ss ON ss.shop = s.id '
        "AND ss.role = 'owner' WHERE s.name = {}",
        shop_name,
    )
    return (row["shop_id"], row["owner_id"]) if row else None


async def load_shipping_demo() -> None:
    changed = 0
    for shop_name in sorted(TEMPLATES.keys() | POINTS.keys()):
        found = await _owner_of(shop_name)
        if found is None:
            continue
        shop_id, owner_id = found
        actor = Actor(user_id=owner_id, ip=None, label="demo loader")
        if shop_name in TEMPLATES and not await ShippingTemplate.exists().where(ShippingTemplate.shop == shop_id):
            await shipping.save_shipping_template(actor=actor, shop_id=shop_id, **TEMPLATES[shop_name])
            changed += 1
        if not await PickupPoint.exists().where(PickupPoint.shop == shop_id):
            for point in POINTS.get(shop_name, []):
                await shipping.add_pickup_point(actor=actor, shop_id=shop_id, **point)
                changed += 1
    buyer = await fetchrow("SELECT id FROM app_user WHERE email = {}", BUYER)
    if buyer and not await addresses.list_addresses(user_id=buyer["id"]):
        for address in BUYER_ADDRESSES:
            await addresses.create_address(user_id=buyer["id"], **address)
            changed += 1
    if changed:
        log.info("loaded %s demo shipping templates, pickup points and addresses", changed)
