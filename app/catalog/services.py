"""Catalog rules for the storefront: what a shopper may see, product pages, categories, shops, favourites,
browsing history. Listing and search live in app.catalog.search."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from typing import Any

from app.catalog.errors import CategoryNotFound, ProductNotFound, ShopNotFound
from app.catalog.skus import SkuView, parse_specs
from app.catalog.tables import BrowseHistory, Category, Favorite, Product
from app.core import changes, clock
from app.core.db import fetch, fetchrow
from app.core.i18n import N_
from app.core.principal import Principal

HISTORY_LIMIT = 100


# ---------------------------------------------------------------- categories
@dataclass
class CategoryNode:
    id: int
    name_zh: str
    name_en: str
    level: int
    icon: str
    path: str
    parent_id: int | None
    children: list[CategoryNode] = field(default_factory=list)

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" and self.name_en else self.name_zh


_tree_cache: tuple[float, list[CategoryNode], dict[int, CategoryNode]] | None = None
TREE_TTL = 60.0


async def category_tree() -> tuple[list[CategoryNode], dict[int, CategoryNode]]:
    """Visible categories as a tree (roots, by id). Config data read on every page, so kept for a minute per
    process; an admin edit shows at once while the change feed is live (it drops this copy), else within
    TREE_TTL seconds."""
    global _tree_cache
    if _tree_cache and time.monotonic() - _tree_cache[0] < TREE_TTL:
        return _tree_cache[1], _tree_cache[2]
    rows = await Category.select().where(Category.visible.eq(True)).order_by(Category.sort_order).order_by(Category.id)
    nodes = {
        r["id"]: CategoryNode(r["id"], r["name_zh"], r["name_en"], r["level"], r["icon"], r["path"], r["parent"])
        for r in rows
    }
    roots = []
    for node in nodes.values():
        if node.parent_id is None:
            roots.append(node)
        elif parent := nodes.get(node.parent_id):
            parent.children.append(node)
    _tree_cache = (time.monotonic(), roots, nodes)
    return roots, nodes


def forget_category_tree() -> None:
    global _tree_cache
    _tree_cache = None


async def category(*, category_id: int) -> tuple[CategoryNode, list[CategoryNode]]:
    """The category and its ancestors (root first)."""
    _roots, nodes = await category_tree()
    if category_id not in nodes:  # created since the tree was cached? look again before saying no
        forget_category_tree()
        _roots, nodes = await category_tree()
    node = nodes.get(category_id)
    if node is None:
        raise CategoryNotFound(N_("This category does not exist."))
    trail = []
    cursor: CategoryNode | None = node
    while cursor is not None:
        trail.append(cursor)
        cursor = nodes.get(cursor.parent_id) if cursor.parent_id else None
    return node, list(reversed(trail))


# ---------------------------------------------------------------- product page
@dataclass(frozen=True)
class ImageRef:
    key: str
    width: int
    height: int


@dataclass(frozen=True)
class ProductDetail:
    id: int
    title: str
    subtitle: str
    description_html: str
    status: str
    shop_id: int
    shop_name: str
    shop_status: str
    category_id: int
    brand: str | None
    specs: list[tuple[str, list[str]]]
    skus: list[SkuView]
    images: list[ImageRef]
    sales_count: int
    rating: float | None
    rating_count: int
    price_min_fen: int
    price_max_fen: int
    stock_total: int
    updated_at: Any

    @property
    def visible_to_shoppers(self) -> bool:
        return self.status == "active" and self.shop_status == "active"

    @property
    def sold_out(self) -> bool:
        return self.stock_total <= 0


async def _can_see_hidden(viewer: Principal | None, shop_id: int) -> bool:
    """Drafts, pending, rejected and delisted products: their shop's staff and the platform's moderators."""
    if viewer is None:
        return False
    if viewer.has_platform_role("moderator"):
        return True
    row = await fetchrow('SELECT 1 AS ok FROM shop_staff WHERE shop = {} AND "user" = {}', shop_id, viewer.id)
    return row is not None


_detail_cache: dict[int, tuple[tuple[Any, ...], ProductDetail]] = {}
DETAIL_CACHE_ENTRIES = 4096


async def product_detail(*, product_id: int, viewer: Principal | None, cached: bool = False) -> ProductDetail:
    """cached=True (the storefront): a per-process copy answers. While the change feed (app/core/changes.py) is
    live, a change of the product, its SKUs, images, shop or category drops the copy at once in every process;
    when it is not, one small query compares the product's status, its shop's status and updated_at (which every
    product or SKU change moves, see refresh_product_summaries) with the copy's."""
    if cached and changes.live():
        hit = _detail_cache.get(product_id)
        if hit:
            return hit[1]
        mark = changes.sequence()
        detail = await _load_detail(product_id=product_id, viewer=viewer)
        if detail.visible_to_shoppers and changes.untouched_since(mark, f"p:{product_id}"):
            _keep_detail(detail)
        return detail
    if cached:
        mark = await fetchrow(
            "SELECT p.status, s.status AS shop_status, p.updated_at FROM product p JOIN shop s ON s.id = p.shop "
            "WHERE p.id = {}",
            product_id,
        )
        hit = _detail_cache.get(product_id)
        if mark is not None and hit and hit[0] == (mark["status"], mark["shop_status"], mark["updated_at"]):
            return hit[1]
    detail = await _load_detail(product_id=product_id, viewer=viewer)
    if cached and detail.visible_to_shoppers:
        _keep_detail(detail)
    return detail


def _keep_detail(detail: ProductDetail) -> None:
    _detail_cache.pop(detail.id, None)
    _detail_cache[detail.id] = ((detail.status, detail.shop_status, detail.updated_at), detail)
    while len(_detail_cache) > DETAIL_CACHE_ENTRIES:
        _detail_cache.pop(next(iter(_detail_cache)))


def _on_change(tag: str) -> None:
    if tag == changes.ALL:  # a shop, a category or many products changed
        _detail_cache.clear()
        forget_category_tree()
    elif tag.startswith("p:"):
        _detail_cache.pop(int(tag[2:]), None)


changes.subscribe(_on_change)


def forget_cached_details() -> None:
    _detail_cache.clear()


async def _load_detail(*, product_id: int, viewer: Principal | None) -> ProductDetail:
    row = await fetchrow(
        "SELECT p.*, s.name AS shop_name, s.status AS shop_status, b.name AS brand_name "
        "FROM product p JOIN shop s ON s.id = p.shop LEFT JOIN brand b ON b.id = p.brand WHERE p.id = {}",
        product_id,
    )
    if row is None:
        raise ProductNotFound(N_("This product does not exist or is no longer sold."))
    if not (row["status"] == "active" and row["shop_status"] == "active") and not await _can_see_hidden(
        viewer, row["shop"]
    ):
        raise ProductNotFound(N_("This product does not exist or is no longer sold."))
    skus = await fetch(
        "SELECT id, code, spec_values, price_fen, list_price_fen, stock, image_position FROM sku "
        "WHERE product = {} ORDER BY position, id",
        product_id,
    )
    images = await fetch(
        "SELECT key, width, height FROM product_image WHERE product = {} ORDER BY position, id", product_id
    )
    specs = row["specs"]
    return ProductDetail(
        id=row["id"],
        title=row["title"],
        subtitle=row["subtitle"],
        description_html=row["description_html"],
        status=row["status"],
        shop_id=row["shop"],
        shop_name=row["shop_name"],
        shop_status=row["shop_status"],
        category_id=row["category"],
        brand=row["brand_name"],
        specs=parse_specs(json.loads(specs) if isinstance(specs, str) else specs),
        skus=[
            SkuView(
                id=s["id"],
                code=s["code"],
                spec_values=json.loads(s["spec_values"]) if isinstance(s["spec_values"], str) else s["spec_values"],
                price_fen=s["price_fen"],
                list_price_fen=s["list_price_fen"],
                stock=s["stock"],
                image_position=s["image_position"],
            )
            for s in skus
        ],
        images=[ImageRef(i["key"], i["width"], i["height"]) for i in images],
        sales_count=row["sales_count"],
        rating=round(row["rating_sum"] / row["rating_count"], 1) if row["rating_count"] else None,
        rating_count=row["rating_count"],
        price_min_fen=row["price_min_fen"],
        price_max_fen=row["price_max_fen"],
        stock_total=row["stock_total"],
        updated_at=row["updated_at"],
    )


# ---------------------------------------------------------------- shops
@dataclass(frozen=True)
class ShopHeader:
    id: int
    name: str
    shop_type: str
    followers: int
    products: int
    rating: float | None


async def shop_header(*, shop_id: int) -> ShopHeader:
    row = await fetchrow(
        "SELECT s.id, s.name, s.shop_type, s.status, "
        "(SELECT count(*) FROM favorite f WHERE f.shop = s.id) AS followers, "
        "(SELECT count(*) FROM product p WHERE p.shop = s.id AND p.status = 'active') AS products, "
        "(SELECT sum(p.rating_sum)::float / NULLIF(sum(p.rating_count), 0) FROM product p "
        " WHERE p.shop = s.id AND p.status = 'active') AS rating "
        "FROM shop s WHERE s.id = {}",
        shop_id,
    )
    if row is None or row["status"] != "active":
        raise ShopNotFound(N_("This shop does not exist or is closed."))
    rating = round(row["rating"], 1) if row["rating"] is not None else None
    return ShopHeader(row["id"], row["name"], row["shop_type"], row["followers"], row["products"], rating)


# ---------------------------------------------------------------- favourites
async def is_favorite(*, user_id: int, product_id: int | None = None, shop_id: int | None = None) -> bool:
    target = Favorite.product == product_id if product_id else Favorite.shop == shop_id
    return await Favorite.exists().where((Favorite.user == user_id) & target)


async def set_favorite(*, user_id: int, on: bool, product_id: int | None = None, shop_id: int | None = None) -> bool:
    """Follow or unfollow a product or a shop (idempotent both ways). Returns the new state."""
    if (product_id is None) == (shop_id is None):
        raise ValueError("exactly one of product_id, shop_id")
    if product_id is not None:
        visible = await fetchrow(
            "SELECT 1 AS ok FROM product p JOIN shop s ON s.id = p.shop "
            "WHERE p.id = {} AND p.status = 'active' AND s.status = 'active'",
            product_id,
        )
        if on and visible is None:
            raise ProductNotFound(N_("This product does not exist or is no longer sold."))
    else:
        await shop_header(shop_id=shop_id)  # type: ignore[arg-type]
    if product_id is not None:
        add = (
            'INSERT INTO favorite ("user", product, created_at) VALUES ({}, {}, {}) '
            'ON CONFLICT ("user", product) DO NOTHING'
        )
        remove = 'DELETE FROM favorite WHERE "user" = {} AND product = {}'
    else:
        add = (
            'INSERT INTO favorite ("user", shop, created_at) VALUES ({}, {}, {}) ON CONFLICT ("user", shop) DO NOTHING'
        )
        remove = 'DELETE FROM favorite WHERE "user" = {} AND shop = {}'
    target_id = product_id or shop_id
    if on:
        await fetch(add, user_id, target_id, clock.now())
    else:
        await fetch(remove, user_id, target_id)
    return on


async def favorite_products(*, user_id: int, limit: int = 100) -> list[dict[str, Any]]:
    return await fetch(
        "SELECT p.id, p.title, p.price_min_fen, p.stock_total, p.status, s.status AS shop_status, f.created_at, "
        "(SELECT key FROM product_image i WHERE i.product = p.id ORDER BY position, id LIMIT 1) AS cover_key "
        'FROM favorite f JOIN product p ON p.id = f.product JOIN shop s ON s.id = p.shop WHERE f."user" = {} '
        "ORDER BY f.created_at DESC LIMIT {}",
        user_id,
        limit,
    )


async def favorite_shops(*, user_id: int, limit: int = 100) -> list[dict[str, Any]]:
    return await fetch(
        "SELECT s.id, s.name, s.status, f.created_at FROM favorite f JOIN shop s ON s.id = f.shop "
        'WHERE f."user" = {} ORDER BY f.created_at DESC LIMIT {}',
        user_id,
        limit,
    )


# ---------------------------------------------------------------- browsing history (足迹)
async def view_product(*, user_id: int, product_id: int, record: bool) -> bool:
    """A signed-in shopper opens a product page: record it in their browsing history (when `record`) and
    return whether it is among their favourites, in one round trip."""
    if not record:
        return await is_favorite(user_id=user_id, product_id=product_id)
    row = await fetchrow(
        'WITH seen AS (INSERT INTO browse_history ("user", product, viewed_at) VALUES ({}, {}, {}) '
        'ON CONFLICT ("user", product) DO UPDATE SET viewed_at = EXCLUDED.viewed_at) '
        'SELECT EXISTS (SELECT 1 FROM favorite WHERE "user" = {} AND product = {}) AS favorite',
        user_id,
        product_id,
        clock.now(),
        user_id,
        product_id,
    )
    return bool(row and row["favorite"])


async def history(*, user_id: int, limit: int = HISTORY_LIMIT) -> list[dict[str, Any]]:
    return await fetch(
        "SELECT p.id, p.title, p.price_min_fen, p.stock_total, p.status, s.status AS shop_status, h.viewed_at, "
        "(SELECT key FROM product_image i WHERE i.product = p.id ORDER BY position, id LIMIT 1) AS cover_key "
        'FROM browse_history h JOIN product p ON p.id = h.product JOIN shop s ON s.id = p.shop WHERE h."user" = {} '
        "ORDER BY h.viewed_at DESC LIMIT {}",
        user_id,
        limit,
    )


async def forget_view(*, user_id: int, product_id: int | None = None) -> None:
    """Remove one product from the history, or all of it."""
    query = BrowseHistory.delete().where(BrowseHistory.user == user_id)
    if product_id is not None:
        query = query.where(BrowseHistory.product == product_id)
    await query


async def product_exists(product_id: int) -> bool:
    return await Product.exists().where(Product.id == product_id)


async def refresh_product_summaries(*, product_ids: list[int] | None = None) -> None:
    """Recompute price range, total stock and SKU count from the SKUs: the one place that writes them. It also
    moves updated_at, which tells the product-page cache to reload: every SKU write (price, stock — the orders
    issue's stock decrement included) must call it in the same transaction. None: every product (bulk load)."""
    await fetch(
        "UPDATE product p SET price_min_fen = coalesce(agg.lo, 0), price_max_fen = coalesce(agg.hi, 0), "
        "stock_total = coalesce(agg.stock, 0), sku_count = coalesce(agg.n, 0), updated_at = now() "
        "FROM (SELECT p2.id, min(s.price_fen) AS lo, max(s.price_fen) AS hi, sum(s.stock) AS stock, "
        "count(s.id) AS n FROM product p2 LEFT JOIN sku s ON s.product = p2.id "
        "WHERE {}::int[] IS NULL OR p2.id = ANY({}::int[]) GROUP BY p2.id) agg WHERE agg.id = p.id",
        product_ids,
        product_ids,
    )
