"""The sellers' demo loader decorates open shops once and adds the demo warehouse staff member once."""

from __future__ import annotations

from app.sellers.decoration import published
from app.sellers.demo import load_demo
from app.sellers.tables import ProductShopSection, ShopSection, ShopStaff
from tests.factories import make_category, make_product, make_shop, make_user


async def test_load_demo_decorates_shops_and_is_idempotent():
    root = await make_category(name="茶饮冲调")
    leaf = await make_category(name="绿茶", parent=await make_category(name="茶叶", parent=root))
    shop = await make_shop(name="小米优选旗舰店")
    products = [await make_product(shop=shop, category=leaf, title=f"茶{i}", sales=i) for i in range(6)]
    seller2 = await make_user(phone="13800138002")

    await load_demo()
    await load_demo()

    sections = await ShopSection.select(ShopSection.id, ShopSection.name).where(ShopSection.shop == shop.id)
    assert [s["name"] for s in sections] == ["茶饮冲调"]
    assert await ProductShopSection.count().where(ProductShopSection.section == sections[0]["id"]) == len(products)
    live = await published(shop_id=shop.id)
    assert live.notice and live.sections == [{"id": sections[0]["id"], "name": "茶饮冲调"}]
    assert live.featured == [products[5], products[4], products[3], products[2]]
    staff = await ShopStaff.select(ShopStaff.role).where(ShopStaff.user == seller2.id)
    assert staff == [{"role": "warehouse"}]
