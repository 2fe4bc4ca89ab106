"""Demo data for the seller center's catalog (idempotent): every shop may sell in the level-1 categories of
the products it already sells (so demo sellers can list new products), and its products' images are in its
image library."""

from __future__ import annotations

from app.core.db import fetch


async def load_demo() -> None:
    await fetch(
        "INSERT INTO shop_category_grant (shop, category, created_at) "
        "SELECT DISTINCT p.shop, split_part(trim(leading '/' from c.path), '/', 1)::int, now() "
        "FROM product p JOIN category c ON c.id = p.category WHERE c.path <> '' "
        "ON CONFLICT (shop, category) DO NOTHING"
    )
    await fetch(
        "INSERT INTO shop_image (shop, key, width, height, bytes, filename, created_at) "
        "SELECT DISTINCT ON (p.shop, i.key) p.shop, i.key, i.width, i.height, 0, '', now() "
        "FROM product_image i JOIN product p ON p.id = i.product "
        "ON CONFLICT (shop, key) DO NOTHING"
    )


if __name__ == "__main__":
    import asyncio

    from app.core.db import close_pool, start_pool

    async def main() -> None:
        await start_pool(min_size=1, max_size=2)
        try:
            await load_demo()
        finally:
            await close_pool()

    asyncio.run(main())
