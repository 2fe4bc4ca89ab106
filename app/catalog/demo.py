"""Demo catalog: categories, brands, ten shops and N products with SKUs and generated pictures.

`load_catalog()` is idempotent: when any product exists it does nothing. Categories, brands, sellers and shops
are found or created (so a half-finished earlier run is completed); products, SKUs and images are written in
one transaction with COPY on a connection of our own, fast enough for 100,000 products. Content is
deterministic for a seed (ids and dates depend on the database and today). A session advisory lock keeps two
loaders from racing. Pictures are drawn with Pillow (a gradient, a flat silhouette, a soft shadow, no text)
and stored once each through app.catalog.images; products share them.
"""

from __future__ import annotations

import asyncio
import colorsys
import html
import io
import itertools
import json
import logging
import random
import re
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import asyncpg
from PIL import Image, ImageDraw, ImageFilter

from app.accounts.services import register
from app.accounts.tables import User
from app.catalog import demo_data as data
from app.catalog.richtext import sanitize_description
from app.core import clock
from app.core.db import engine
from app.core.principal import Actor
from app.sellers.services import create_shop
from app.sellers.tables import Shop

log = logging.getLogger(__name__)

SYSTEM = Actor(user_id=None, ip=None, label="demo loader")
LOCK_KEY = 0x4A15_DE30  # pg_advisory_lock: one catalog loader at a time
CHUNK = 5_000  # products per COPY round
MAX_SKUS = 12
IMAGE_POOL = 120
IMAGE_SIZE = 800
SPREAD_DAYS = 180
PRODUCT_COLUMNS = (
    "id", "shop", "category", "brand", "title", "subtitle", "description_html", "specs", "status",
    "price_min_fen", "price_max_fen", "stock_total", "sku_count", "sales_count", "rating_sum", "rating_count",
    "created_at", "updated_at",
)  # fmt: skip
SKU_COLUMNS = (
    "product", "code", "spec_values", "price_fen", "list_price_fen", "stock", "weight_g", "position", "image_position",
)  # fmt: skip
IMAGE_COLUMNS = ("product", "position", "key", "width", "height")
STATUSES = (("active", 960), ("draft", 15), ("pending_review", 15), ("delisted", 10))  # per mille


@dataclass(frozen=True)
class _LeafInfo:
    leaf: data.Leaf
    hue: int
    category_id: int
    shops: tuple[tuple[int, str], ...]  # (shop id, preferred brand)


async def load_catalog(
    *, products: int = 1000, seed: int = 2026, image_pool: int = IMAGE_POOL, storage: Any = None
) -> bool:
    """Create the demo catalog unless products exist. Returns True when it created anything.
    `image_pool` pictures are generated (0: none); `storage` goes to store_image (tests pass a temp folder)."""
    started = time.perf_counter()
    conn = await asyncpg.connect(engine().config["dsn"])
    try:
        await conn.execute("SELECT pg_advisory_lock($1)", LOCK_KEY)  # released when the connection closes
        if await conn.fetchval("SELECT EXISTS (SELECT 1 FROM product)"):
            return False
        categories = await _ensure_categories(conn)
        brands = await _ensure_brands(conn)
        shops = await _ensure_shops()
        leaves = _leaf_infos(categories, shops)
        t_setup = time.perf_counter()
        pool = await _image_pool(image_pool, seed=seed, storage=storage) if image_pool > 0 and products > 0 else {}
        t_images = time.perf_counter()
        async with conn.transaction():
            counts = await _insert_products(conn, products, seed=seed, leaves=leaves, brands=brands, pool=pool)
        t_products = time.perf_counter()
    finally:
        await conn.close()
    indexed = await _reindex()
    _forget_cached_tree()
    log.info(
        "demo catalog: %d categories, %d shops, %d products, %d SKUs, %d product images from %d pictures, "
        "%s indexed; setup %.1fs, pictures %.1fs, products %.1fs, search %.1fs, total %.1fs",
        len(categories), len(shops), counts["products"], counts["skus"], counts["images"],
        sum(len(v) for v in pool.values()), "none" if indexed is None else indexed, t_setup - started,
        t_images - t_setup, t_products - t_images, time.perf_counter() - t_products, time.perf_counter() - started,
    )  # fmt: skip
    return True


# ---------------------------------------------------------------- categories, brands, shops
async def _ensure_categories(conn: asyncpg.Connection) -> dict[tuple[str, ...], int]:
    """The tree from demo_data, found by (parent, name) or created. Returns {name path: id} for every node."""
    existing = {
        (r["parent"], r["name_zh"]): (r["id"], r["path"])
        for r in await conn.fetch("SELECT id, parent, name_zh, path FROM category")
    }
    ids: dict[tuple[str, ...], int] = {}

    async def ensure(names: tuple[str, ...], parent: tuple[int, str] | None, en: str, order: int, **extra: Any):
        key = (parent[0] if parent else None, names[-1])
        if key not in existing:
            row = await conn.fetchrow(
                "INSERT INTO category (parent, name_zh, name_en, level, path, icon, sort_order, visible, "
                "commission_bp) VALUES ($1, $2, $3, $4, '', $5, $6, true, $7) RETURNING id",
                key[0], names[-1], en, len(names), extra.get("icon", ""), order, extra["bp"],
            )  # fmt: skip
            path = f"{parent[1] if parent else '/'}{row['id']}/"
            await conn.execute("UPDATE category SET path = $1 WHERE id = $2", path, row["id"])
            existing[key] = (row["id"], path)
        ids[names] = existing[key][0]
        return existing[key]

    async with conn.transaction():
        for i, root in enumerate(data.TREE):
            r = await ensure((root.zh,), None, root.en, (i + 1) * 10, icon=root.icon, bp=root.commission_bp)
            for j, mid in enumerate(root.mids):
                m = await ensure((root.zh, mid.zh), r, mid.en, (j + 1) * 10, bp=root.commission_bp)
                for k, leaf in enumerate(mid.leaves):
                    await ensure((root.zh, mid.zh, leaf.zh), m, leaf.en, (k + 1) * 10, bp=root.commission_bp)
    return ids


async def _ensure_brands(conn: asyncpg.Connection) -> dict[str, int]:
    names, names_en = zip(*data.BRANDS, strict=True)
    await conn.execute(
        "INSERT INTO brand (name, name_en) SELECT * FROM unnest($1::varchar[], $2::varchar[]) "
        "ON CONFLICT (name) DO NOTHING",
        list(names),
        list(names_en),
    )
    rows = await conn.fetch("SELECT id, name FROM brand WHERE name = ANY($1::varchar[])", list(names))
    return {r["name"]: r["id"] for r in rows}


async def _ensure_shops() -> list[tuple[int, data.DemoShop]]:
    """Each demo shop, found by name or opened (through the sellers service) for its owner, who is found by
    email or phone or registered (through the accounts service)."""
    out = []
    for shop in data.SHOPS:
        row = await Shop.select(Shop.id).where(Shop.name == shop.name).first()
        if row is None:
            column = User.email if "@" in shop.owner else User.phone
            user = await User.select(User.id).where(column == shop.owner).first()
            owner_id = user["id"] if user else None
            if owner_id is None:
                owner_id = await register(
                    identifier=shop.owner,
                    password=data.SELLER_PASSWORD,
                    password_confirm=data.SELLER_PASSWORD,
                    display_name=shop.owner_name,
                )
            shop_id = await create_shop(actor=SYSTEM, name=shop.name, owner_id=owner_id, shop_type=shop.shop_type)
        else:
            shop_id = row["id"]
        out.append((shop_id, shop))
    return out


def _leaf_infos(categories: dict[tuple[str, ...], int], shops: list[tuple[int, data.DemoShop]]) -> list[_LeafInfo]:
    infos = []
    for root in data.TREE:
        for mid in root.mids:
            for leaf in mid.leaves:
                names = {root.zh, mid.zh, leaf.zh}
                sellers = tuple((sid, s.brand) for sid, s in shops if names & set(s.sells))
                if not sellers:
                    raise RuntimeError(f"no demo shop sells {root.zh} › {mid.zh} › {leaf.zh}")
                infos.append(_LeafInfo(leaf, root.hue, categories[(root.zh, mid.zh, leaf.zh)], sellers))
    return infos


def _forget_cached_tree() -> None:
    from app.catalog.services import forget_category_tree

    forget_category_tree()


async def _reindex() -> int:
    from app.catalog.search import reindex_products

    count = await reindex_products(product_ids=None)
    # fresh statistics after a bulk load: without them the planner misjudges the search indexes (5-25x slower)
    await engine().run_ddl("ANALYZE")
    return count


# ---------------------------------------------------------------- products
_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")


def _render(template: str, rng: random.Random, values: dict[str, str]) -> str:
    def sub(match: re.Match[str]) -> str:
        body = match.group(1)
        return rng.choice(body.split("|")) if "|" in body else values.get(body, "")

    return " ".join(_PLACEHOLDER.sub(sub, template).split())


def _charm(fen: float) -> int:
    """A shop's price: ¥3,999 · ¥129 · ¥39.90 · ¥9.90."""
    step, minus = (10_000, 100) if fen >= 100_000 else (1_000, 100) if fen >= 10_000 else (100, 10)
    return max(step, round(fen / step) * step) - minus


def _pick_values(rng: random.Random, specs: tuple[data.Spec, ...]) -> list[tuple[data.Spec, list[int]]]:
    """Indexes of the values this product offers per dimension, at most MAX_SKUS combinations."""
    room, out = MAX_SKUS, []
    for n, spec in enumerate(specs):
        most = min(len(spec.values), room if n == len(specs) - 1 else min(4, room))
        k = rng.randint(1, max(1, most))
        if spec.priced or spec.name == "尺码":  # neighbouring sizes or versions
            start = rng.randint(0, len(spec.values) - k)
            picked = list(range(start, start + k))
        else:
            picked = sorted(rng.sample(range(len(spec.values)), k))
        out.append((spec, picked))
        room //= k
    return out


def _description(title: str, subtitle: str, points: list[str]) -> str:
    items = []
    for point in points:
        head, _, rest = point.partition("，")
        body = f"<strong>{html.escape(head)}</strong>" + (f"，{html.escape(rest)}" if rest else "")
        items.append(f"<li>{body}</li>")
    service = " · ".join(data.SERVICE.split("/"))
    return sanitize_description(  # the same gate every description passes on the way in
        f"<p><strong>{html.escape(title)}</strong></p><p>{html.escape(subtitle)}</p>"
        f"<ul>{''.join(items)}</ul><p>服务保障：{html.escape(service)}</p>"
    )


def _product(
    rng: random.Random, info: _LeafInfo, brands: dict[str, int], now: datetime, pictures: list[tuple[str, int, int]]
) -> tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[str, int, int]]]:
    """One product row (without its id), its SKU rows (without product id and code) and its pictures."""
    leaf = info.leaf
    shop_id, preferred = rng.choice(info.shops)
    brand = preferred if preferred in leaf.brands and rng.random() < 0.7 else rng.choice(leaf.brands)
    picks = _pick_values(rng, leaf.specs) if rng.random() > 0.08 else []
    template = rng.choice(leaf.titles)
    values = {"brand": brand, "year": data.YEAR, "model": rng.choice(leaf.models.get(brand, ("",)))}
    for n, (spec, picked) in enumerate(picks):
        values[f"v{n}"] = spec.values[picked[0]]
    title = _render(template, rng, values)
    if rng.random() < 0.3:
        title = rng.choice(data.TITLE_PREFIXES) + title
    if rng.random() < 0.4:
        title = f"{title} {rng.choice(data.TITLE_SUFFIXES)}"
    title = title[:120]
    first, second = rng.sample(leaf.subtitles, 2) if len(leaf.subtitles) > 1 else (leaf.subtitles[0], "")
    subtitle = f"【{first}】{second}"[:200]
    points = rng.sample(leaf.points, min(len(leaf.points), 3))
    status = rng.choices([s for s, _ in STATUSES], weights=[w for _, w in STATUSES])[0]
    base = leaf.price[0] * (leaf.price[1] / leaf.price[0]) ** rng.random()  # log-uniform
    steps = [rng.uniform(0.08, 0.3) for _ in picks]
    markup = rng.uniform(1.1, 1.4) if rng.random() < 0.35 else None
    sold_out = rng.random() < 0.02
    weight = rng.randint(*leaf.weight)
    shown = rng.sample(pictures, min(len(pictures), rng.randint(2, 4))) if pictures else []
    color_dim = bool(picks) and picks[0][0].name in ("颜色", "色号") and len(shown) > 1
    skus = []
    combos = itertools.product(*(picked for _, picked in picks)) if picks else [()]
    for position, combo in enumerate(combos):
        factor = 1.0
        for (spec, _), idx, step in zip(picks, combo, steps, strict=True):
            if spec.priced:
                factor *= 1 + step * idx
        price = _charm(base * factor)
        listed = max(_charm(price * markup), price + 100) if markup else None
        stock = 0 if sold_out or rng.random() < 0.035 else int(rng.triangular(1, 500, 60))
        spec_values = {spec.name: spec.values[idx] for (spec, _), idx in zip(picks, combo, strict=True)}
        image = picks[0][1].index(combo[0]) % len(shown) if color_dim else None
        skus.append((json.dumps(spec_values, ensure_ascii=False), price, listed, stock, weight, position, image))
    prices = [s[1] for s in skus]
    hidden = status in ("draft", "pending_review")
    sales = 0 if hidden else int(min(rng.lognormvariate(4.2, 1.7), 250_000))
    rated = int(sales * rng.uniform(0.15, 0.6))
    rating_sum = min(5 * rated, max(rated, round(rated * rng.triangular(3.6, 5.0, 4.8))))
    created = now - timedelta(seconds=rng.uniform(0, SPREAD_DAYS * 86_400))
    updated = created + (now - created) * rng.uniform(0, 0.3)
    specs = [{"name": spec.name, "values": [spec.values[i] for i in picked]} for spec, picked in picks]
    row = (
        shop_id, info.category_id, brands.get(brand), title, subtitle, _description(title, subtitle, points),
        json.dumps(specs, ensure_ascii=False), status, min(prices), max(prices), sum(s[3] for s in skus), len(skus),
        sales, rating_sum, rated, created, updated,
    )  # fmt: skip
    return row, skus, shown


async def _insert_products(
    conn: asyncpg.Connection,
    count: int,
    *,
    seed: int,
    leaves: list[_LeafInfo],
    brands: dict[str, int],
    pool: dict[str, list[tuple[str, int, int]]],
) -> dict[str, int]:
    """COPY `count` products in chunks; the next chunk is generated in a thread while PostgreSQL takes the
    previous one (chunks are still generated one after another, so the content follows the seed)."""
    rng = random.Random(seed)
    now = clock.now()
    seq = await conn.fetchval("SELECT pg_get_serial_sequence('product', 'id')")
    ids = [r[0] for r in await conn.fetch("SELECT nextval($1::regclass) FROM generate_series(1, $2)", seq, count)]
    chunks = [ids[i : i + CHUNK] for i in range(0, count, CHUNK)]

    def build(chunk: list[int]) -> tuple[list[tuple[Any, ...]], ...]:
        products, skus, images = [], [], []
        for pid in chunk:
            info = rng.choice(leaves)
            row, product_skus, shown = _product(rng, info, brands, now, pool.get(info.leaf.shape, []))
            products.append((pid, *row))
            skus.extend((pid, f"JS{pid}-{i + 1:02d}", *sku) for i, sku in enumerate(product_skus))
            images.extend((pid, pos, key, w, h) for pos, (key, w, h) in enumerate(shown))
        return products, skus, images

    totals = {"products": 0, "skus": 0, "images": 0}
    upcoming = asyncio.ensure_future(asyncio.to_thread(build, chunks[0])) if chunks else None
    try:
        for n in range(len(chunks)):
            assert upcoming is not None
            products, skus, images = await upcoming
            upcoming = asyncio.ensure_future(asyncio.to_thread(build, chunks[n + 1])) if n + 1 < len(chunks) else None
            await conn.copy_records_to_table("product", records=products, columns=PRODUCT_COLUMNS)
            await conn.copy_records_to_table("sku", records=skus, columns=SKU_COLUMNS)
            if images:
                await conn.copy_records_to_table("product_image", records=images, columns=IMAGE_COLUMNS)
            totals["products"] += len(products)
            totals["skus"] += len(skus)
            totals["images"] += len(images)
            if totals["products"] % 20_000 == 0 and count > 20_000:
                log.info("demo catalog: %d/%d products", totals["products"], count)
    finally:
        if upcoming is not None:
            upcoming.cancel()
    return totals


# ---------------------------------------------------------------- pictures
def _rgb(hue: float, saturation: float, lightness: float) -> tuple[int, int, int]:
    r, g, b = colorsys.hls_to_rgb((hue % 360) / 360, lightness, saturation)
    return round(r * 255), round(g * 255), round(b * 255)


def draw_picture(shape: str, hue: int, seed: str) -> bytes:
    """An 800×800 JPEG: a soft two-colour gradient in the category's hue, the silhouette in a colour of its
    own, a blurred shadow. ~25 ms."""
    rng = random.Random(seed)
    size = IMAGE_SIZE
    corners = [_rgb(hue + rng.randint(-30, 30), 0.45 + 0.05 * i, 0.95 - 0.05 * i) for i in range(4)]
    rng.shuffle(corners)
    tiny = Image.new("RGB", (2, 2))
    tiny.putdata(corners)
    canvas = tiny.resize((size, size), Image.Resampling.BICUBIC)  # a soft four-corner gradient
    tint = hue + rng.choice((0, 25, 150, 180, 210, -40))
    roles = {
        "m": _rgb(tint, 0.55, 0.55), "d": _rgb(tint, 0.25, 0.22), "l": _rgb(tint, 0.4, 0.82),
        "a": _rgb(tint + 120, 0.7, 0.55), "w": (246, 246, 244), "x": (0, 0, 0, 0),
    }  # fmt: skip
    layer = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    pen = ImageDraw.Draw(layer)
    scale = size / 100 * rng.uniform(0.76, 0.9)
    shift = ((size - 100 * scale) / 2 + rng.uniform(-20, 20), (size - 100 * scale) / 2 + rng.uniform(-12, 20))

    def xy(values: list[str]) -> list[float]:
        return [shift[i % 2] + float(v) * scale for i, v in enumerate(values)]

    for item in data.SHAPES[shape].split(";"):
        op, *args = item.split()
        fill = roles[args.pop()]
        if op == "p":
            pen.polygon(xy(args), fill=fill)
            continue
        box = xy(args[:4])
        if op == "r":
            pen.rectangle(box, fill=fill)
        elif op == "e":
            pen.ellipse(box, fill=fill)
        elif op == "rr":
            pen.rounded_rectangle(box, radius=float(args[4]) * scale, fill=fill)
        elif op == "ring":
            pen.ellipse(box, outline=fill, width=round(float(args[4]) * scale))
        elif op == "l":
            pen.line(box, fill=fill, width=round(float(args[4]) * scale))
        elif op == "g":
            cols, rows = int(args[4]), int(args[5])
            w, h = (box[2] - box[0]) / cols, (box[3] - box[1]) / rows
            for cx, cy in itertools.product(range(cols), range(rows)):
                x0, y0 = box[0] + cx * w, box[1] + cy * h
                pen.rounded_rectangle((x0 + 2, y0 + 2, x0 + w - 2, y0 + h - 2), radius=4, fill=fill)
        else:
            raise ValueError(f"unknown shape operation {op!r} in {shape}")
    shadow = layer.getchannel("A").filter(ImageFilter.GaussianBlur(14)).point(lambda v: v * 0.35)
    canvas.paste((40, 40, 50), (14, 22), shadow)
    canvas.paste(layer, (0, 0), layer)
    buf = io.BytesIO()
    canvas.save(buf, "JPEG", quality=90)
    return buf.getvalue()


def _plan_pictures(total: int) -> list[tuple[str, int, int]]:
    """(shape, hue, variant) for about `total` pictures: at least two per shape, the rest by how many leaf
    categories use the shape; each variant takes the hue of one of those categories in turn."""
    hues: dict[str, list[int]] = {}
    for root in data.TREE:
        for mid in root.mids:
            for leaf in mid.leaves:
                hues.setdefault(leaf.shape, []).append(root.hue)
    uses = sum(len(v) for v in hues.values())
    plan = []
    for shape, shape_hues in hues.items():
        n = max(min(2, total), round(total * len(shape_hues) / uses))
        plan.extend((shape, shape_hues[v % len(shape_hues)], v) for v in range(n))
    return plan


async def _image_pool(total: int, *, seed: int, storage: Any) -> dict[str, list[tuple[str, int, int]]]:
    """Draw and store the pictures, a few at a time (drawing and re-encoding run in threads)."""
    from app.catalog.images import store_image

    gate = asyncio.Semaphore(3)

    async def make(shape: str, hue: int, variant: int) -> tuple[str, tuple[str, int, int]]:
        async with gate:
            jpeg = await asyncio.to_thread(draw_picture, shape, hue, f"{seed}:{shape}:{variant}")
            stored = await store_image(jpeg, storage=storage)
        return shape, (stored.key, stored.width, stored.height)

    pool: dict[str, list[tuple[str, int, int]]] = {}
    for shape, ref in await asyncio.gather(*(make(*p) for p in _plan_pictures(total))):
        pool.setdefault(shape, []).append(ref)
    return pool
