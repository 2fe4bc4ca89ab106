"""Demo data for the sellers area (idempotent; run after the users, shops and catalog exist):

- every open shop without a decoration gets a notice, a description, up to four shop categories (店铺分类)
  made from its products' top-level platform categories, and its four best sellers featured, published;
- seller2 (13800138002, owner of 江南茶社) also works in seller1's 小米优选旗舰店 as warehouse staff, so one
  login shows the shop switch and a role without prices or staff management.
"""

from __future__ import annotations

import logging

from app.core.db import fetch
from app.core.principal import Actor
from app.sellers import decoration
from app.sellers.services import add_staff
from app.sellers.tables import ShopSection, ShopStaff

log = logging.getLogger("app.sellers.demo")
SYSTEM = Actor(user_id=None, ip=None, label="demo loader")
NOTICES = (
    "全场满99包邮，下单后48小时内发货。",
    "新品上市，关注店铺领取5元无门槛券。",
    "节假日正常发货，有问题请随时联系客服。",
    "本店商品均为正品，支持7天无理由退货。",
)
WAREHOUSE_STAFF = ("13800138002", "小米优选旗舰店")


async def _decorate(shop_id: int, name: str) -> None:
    roots = await fetch(
        "SELECT r.id, r.name_zh, count(*) AS n FROM product p JOIN category c ON c.id = p.category "
        "JOIN category r ON r.id = split_part(c.path, '/', 2)::int "
        "WHERE p.shop = {} AND p.status = 'active' GROUP BY r.id, r.name_zh ORDER BY n DESC, r.id LIMIT 4",
        shop_id,
    )
    for position, root in enumerate(roots, start=1):
        section = (
            await ShopSection.insert(ShopSection(shop=shop_id, name=root["name_zh"][:20], position=position)).returning(
                ShopSection.id
            )
        )[0]["id"]
        await fetch(
            "INSERT INTO product_shop_section (section, product) SELECT {}, p.id FROM product p "
            "JOIN category c ON c.id = p.category WHERE p.shop = {} AND split_part(c.path, '/', 2)::int = {} "
            "ON CONFLICT DO NOTHING",
            section,
            shop_id,
            root["id"],
        )
    best = await fetch(
        "SELECT id FROM product WHERE shop = {} AND status = 'active' ORDER BY sales_count DESC, id LIMIT 4", shop_id
    )
    await decoration.save_texts(
        actor=SYSTEM,
        shop_id=shop_id,
        notice=NOTICES[shop_id % len(NOTICES)],
        description=f"欢迎光临{name}。我们精选好物，用心服务每一位顾客。",
    )
    await decoration.set_featured(actor=SYSTEM, shop_id=shop_id, product_ids=[r["id"] for r in best])
    await decoration.publish(actor=SYSTEM, shop_id=shop_id)


async def load_demo() -> None:
    shops = await fetch("SELECT id, name, decoration::text AS deco FROM shop WHERE status = 'active' ORDER BY id")
    decorated = 0
    for shop in shops:
        if decoration.Decoration.from_json(shop["deco"]).is_empty and not await ShopSection.exists().where(
            ShopSection.shop == shop["id"]
        ):
            await _decorate(shop["id"], shop["name"])
            decorated += 1
    identifier, shop_name = WAREHOUSE_STAFF
    rows = await fetch(
        "SELECT u.id AS user_id, s.id AS shop_id FROM app_user u, shop s WHERE u.phone = {} AND s.name = {}",
        identifier,
        shop_name,
    )
    if rows and not await ShopStaff.exists().where(
        (ShopStaff.user == rows[0]["user_id"]) & (ShopStaff.shop == rows[0]["shop_id"])
    ):
        await add_staff(actor=SYSTEM, shop_id=rows[0]["shop_id"], user_id=rows[0]["user_id"], role="warehouse")
    if decorated:
        log.info("decorated %s demo shops", decorated)
