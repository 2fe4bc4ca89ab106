from app.accounts.tables import User
from app.catalog.demo import load_catalog
from app.catalog.demo_data import SHOPS
from app.catalog.tables import Category, Product, ProductImage, Sku
from app.core.db import fetch, fetchrow
from app.core.storage import LocalStorage
from app.sellers.tables import Shop


async def _counts() -> dict[str, int]:
    return {
        "categories": await Category.count(),
        "shops": await Shop.count(),
        "users": await User.count(),
        "products": await Product.count(),
        "skus": await Sku.count(),
        "images": await ProductImage.count(),
    }


async def test_the_demo_catalog_has_a_three_level_tree_ten_shops_and_products_that_agree_with_their_skus(tmp_path):
    storage = LocalStorage(tmp_path)
    assert await load_catalog(products=60, image_pool=1, storage=storage) is True

    levels = {r["level"]: r["n"] for r in await fetch("SELECT level, count(*) AS n FROM category GROUP BY level")}
    assert sum(levels.values()) >= 60 and set(levels) == {1, 2, 3}
    orphans = await fetchrow(
        "SELECT count(*) AS n FROM category c LEFT JOIN category p ON p.id = c.parent "
        "WHERE (c.level = 1) <> (c.parent IS NULL) OR (c.parent IS NOT NULL AND (p.level <> c.level - 1 "
        "OR c.path <> p.path || c.id || '/'))"
    )
    assert orphans["n"] == 0
    odd = await fetchrow(
        "SELECT count(*) FILTER (WHERE level = 1 AND icon = '') AS no_icon, "
        "count(*) FILTER (WHERE commission_bp NOT BETWEEN 200 AND 800) AS odd_rate FROM category"
    )
    assert odd["no_icon"] == 0 and odd["odd_rate"] == 0
    assert await Shop.count() >= 10
    assert set(await Shop.select(Shop.name).output(as_list=True)) >= {s.name for s in SHOPS}

    assert await Product.count() == 60
    disagreeing = await fetch(
        "SELECT p.id FROM product p JOIN (SELECT product, min(price_fen) AS lo, max(price_fen) AS hi, "
        "sum(stock) AS stock, count(*) AS n FROM sku GROUP BY product) k ON k.product = p.id "
        "WHERE p.price_min_fen <> k.lo OR p.price_max_fen <> k.hi OR p.stock_total <> k.stock OR p.sku_count <> k.n"
    )
    assert [r["id"] for r in disagreeing] == []
    shape = await fetchrow(
        "SELECT min(sku_count) AS fewest, max(sku_count) AS most, "
        "(SELECT min(stock) FROM sku) AS lowest_stock, (SELECT count(*) FROM product p WHERE NOT EXISTS "
        "(SELECT 1 FROM sku k WHERE k.product = p.id)) AS without_skus, "
        "count(*) FILTER (WHERE status = 'active') AS active, "
        "count(*) FILTER (WHERE char_length(title) < 6) AS short_titles FROM product"
    )
    assert shape["fewest"] >= 1 and shape["most"] <= 12 and shape["without_skus"] == 0
    assert shape["lowest_stock"] >= 0 and shape["active"] >= 50 and shape["short_titles"] == 0

    covers = await fetchrow(
        "SELECT count(*) FILTER (WHERE NOT EXISTS (SELECT 1 FROM product_image i WHERE i.product = p.id "
        "AND i.position = 0)) AS without_cover FROM product p"
    )
    assert covers["without_cover"] == 0
    image = await ProductImage.select().first()
    assert image["width"] == 800 and image["height"] == 800
    assert await storage.get(f"{image['key']}/480.webp") is not None


async def test_loading_the_demo_catalog_twice_creates_nothing_the_second_time(tmp_path):
    storage = LocalStorage(tmp_path)
    assert await load_catalog(products=20, image_pool=0, storage=storage) is True
    first = await _counts()
    assert first["users"] == len(SHOPS) and first["shops"] == len(SHOPS)  # every owner registered once
    assert await load_catalog(products=20, image_pool=0, storage=storage) is False
    assert await _counts() == first
