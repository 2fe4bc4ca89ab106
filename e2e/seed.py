"""Products the catalog journeys rely on, whatever the demo data holds: `python -m e2e.seed` (DATABASE_URL set).

A shop "集市测试店" sells "集市测试速干T恤" in 颜色 × 尺码 whose SKUs cost different amounts, and a cheaper
"集市测试纯棉T恤", so a journey can search, filter, sort, open one and watch the price follow the SKU."""

from __future__ import annotations

import asyncio
import json

from app.catalog.search import reindex_products
from app.catalog.services import refresh_product_summaries
from app.catalog.tables import Category, Product, Sku
from app.core.db import close_pool, start_pool
from app.core.principal import Actor
from app.sellers.services import create_shop
from app.sellers.tables import Shop, ShopStaff

SHOP = "集市测试店"
SPEED = "集市测试速干T恤"
COTTON = "集市测试纯棉T恤"
SPECS = [{"name": "颜色", "values": ["黑色", "白色"]}, {"name": "尺码", "values": ["M", "XL"]}]
PRICES = {("黑色", "M"): 8900, ("黑色", "XL"): 9900, ("白色", "M"): 8900, ("白色", "XL"): 12900}


async def seed() -> None:
    if await Product.exists().where(Product.title == SPEED):
        return
    owner = await ShopStaff.select(ShopStaff.user).where(ShopStaff.role == "owner").first()
    if await Shop.exists().where(Shop.name == SHOP):
        shop = (await Shop.select(Shop.id).where(Shop.name == SHOP).first())["id"]
    else:
        shop = await create_shop(actor=Actor(None, None, "e2e seed"), name=SHOP, owner_id=owner["user"])
    root = (
        await Category.insert(Category(name_zh="测试服饰", name_en="Test apparel", level=1)).returning(Category.id)
    )[0]["id"]
    await Category.update({Category.path: f"/{root}/"}).where(Category.id == root)
    ids = []
    for title, prices, sales in ((SPEED, PRICES, 30), (COTTON, {k: 3900 for k in PRICES}, 10)):
        pid = (
            await Product.insert(
                Product(
                    shop=shop,
                    category=root,
                    title=title,
                    subtitle="吸湿速干 不起球",
                    status="active",
                    specs=json.dumps(SPECS, ensure_ascii=False),
                    sales_count=sales,
                )
            ).returning(Product.id)
        )[0]["id"]
        await Sku.insert(
            *[
                Sku(
                    product=pid,
                    code=f"E2E-{pid}-{i}",
                    price_fen=price,
                    stock=20 if (color, size) != ("白色", "XL") else 0,
                    spec_values=json.dumps({"颜色": color, "尺码": size}, ensure_ascii=False),
                    position=i,
                )
                for i, ((color, size), price) in enumerate(prices.items())
            ]
        )
        ids.append(pid)
    await refresh_product_summaries(product_ids=ids)
    await reindex_products(product_ids=ids)


# Two products in two shops with plenty of stock, for the order journey (cart → checkout → pay → ship → confirm)
ORDER_PRODUCTS = (("小米优选旗舰店", "下单用白瓷茶杯", 2990), ("江南茶社", "下单用明前绿茶", 6800))


async def seed_order_products() -> None:
    if await Product.exists().where(Product.title == ORDER_PRODUCTS[0][1]):
        return
    category = (await Category.select(Category.id).where(Category.name_zh == "测试服饰").first())["id"]
    ids = []
    for shop_name, title, price in ORDER_PRODUCTS:
        shop = (await Shop.select(Shop.id).where(Shop.name == shop_name).first())["id"]
        pid = (
            await Product.insert(
                Product(shop=shop, category=category, title=title, status="active", specs="[]")
            ).returning(Product.id)
        )[0]["id"]
        await Sku.insert(Sku(product=pid, code=f"E2E-ORDER-{pid}", price_fen=price, stock=1000, weight_g=300))
        ids.append(pid)
    await refresh_product_summaries(product_ids=ids)
    await reindex_products(product_ids=ids)


async def main() -> None:
    await start_pool(min_size=1, max_size=2)
    try:
        await seed()
        await seed_order_products()
    finally:
        await close_pool()


if __name__ == "__main__":
    asyncio.run(main())
