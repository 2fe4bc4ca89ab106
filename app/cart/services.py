"""The cart: one per shopper spanning every shop, kept in PostgreSQL. A signed-in shopper's cart belongs to the
account; an anonymous visitor's is found by the random token in the `cart` cookie and is merged into the
account at login. Every money figure the cart shows comes from the pricing engine (`cart_view`).

The badge counts lines (distinct SKUs), like the malls shoppers know; "Checkout (N)" counts selected lines.
Writes to one cart are serialised on its row (every write first touches cart.updated_at), so concurrent adds
of the same SKU add up; the unique (cart, sku) index with ON CONFLICT is the last guard."""

# ruff: noqa: S608 - SQL is assembled only from constant fragments; every value is a bound parameter

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from app.cart.errors import CartError, CartLimit, InvalidQuantity, NotInCart, SkuUnavailable
from app.cart.tables import MAX_QUANTITY
from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.core.i18n import N_
from app.membership.checkout import member_for
from app.promotions import engine as promo_engine
from app.promotions import pricing
from app.promotions.context import ANONYMOUS, Hint, LineInfo

log = logging.getLogger("jishi.cart")

ANONYMOUS_DAYS = 30  # an anonymous cart nobody touched for this long is swept (the cookie lives as long)
MAX_LINES = 200  # distinct SKUs in one cart
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{43}$")  # secrets.token_urlsafe(32)

UNAVAILABLE_DELISTED = N_("No longer on sale")
UNAVAILABLE_SHOP = N_("The shop is closed for now")
UNAVAILABLE_SOLD_OUT = N_("Sold out")


@dataclass(frozen=True, slots=True)
class CartOwner:
    """Whose cart: a signed-in user (token ignored), else an anonymous visitor's cookie token, else nobody."""

    user_id: int | None
    token: str | None

    @property
    def known(self) -> bool:
        return self.user_id is not None or valid_token(self.token)


def valid_token(token: str | None) -> bool:
    return bool(token) and _TOKEN.match(token or "") is not None


@dataclass(frozen=True, slots=True)
class CartLine:
    sku_id: int
    product_id: int
    shop_id: int
    shop_name: str
    title: str
    spec: str
    image_key: str
    image_width: int
    image_height: int
    unit_price_fen: int
    quantity: int
    stock: int
    weight_g: int
    category_ids: tuple[int, ...]
    selected: bool
    available: bool
    unavailable_reason: str  # a msgid, "" when available

    @property
    def short(self) -> bool:
        """More in the cart than in stock: checkout takes only what is left."""
        return self.available and self.quantity > self.stock

    @property
    def order_quantity(self) -> int:
        return min(self.quantity, self.stock) if self.available else self.quantity


@dataclass(frozen=True, slots=True)
class ShopGroup:
    shop_id: int
    shop_name: str
    lines: tuple[CartLine, ...]
    price: pricing.ShopPrice | None  # None when none of the shop's lines is selected

    @property
    def all_selected(self) -> bool:
        return all(line.selected for line in self.lines)


@dataclass(frozen=True, slots=True)
class CartView:
    shops: tuple[ShopGroup, ...]  # available lines, per shop, the most recently added first
    unavailable: tuple[CartLine, ...]
    quote: pricing.Quote  # the selected available lines, each at min(quantity, stock)
    prices: dict[int, pricing.LinePrice] = field(default_factory=dict)  # by SKU id, the quoted lines only
    region: str | None = None  # the default address's province the shipping was computed for
    hints: tuple[Hint, ...] = ()  # "spend ¥23 more to save ¥20", per shop (shop_id) or platform-wide (None)

    def hints_for(self, shop_id: int | None) -> list[Hint]:
        return [h for h in self.hints if h.shop_id == shop_id]

    @property
    def count(self) -> int:
        return sum(len(shop.lines) for shop in self.shops) + len(self.unavailable)

    @property
    def selected_count(self) -> int:
        return len(self.prices)

    @property
    def selected_quantity(self) -> int:
        return sum(p.quantity for p in self.prices.values())

    @property
    def all_selected(self) -> bool:
        return bool(self.shops) and all(shop.all_selected for shop in self.shops)

    @property
    def empty(self) -> bool:
        return not self.shops and not self.unavailable


@dataclass(frozen=True, slots=True)
class Added:
    """What add() did: the badge count, the line's quantity now, and a note (msgid + params) when fewer than
    asked were added because of the stock or the per-line maximum."""

    count: int
    quantity: int
    added: int
    product_id: int
    title: str
    note: str | None = None
    params: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------------------------
# reading


def _owner_sql(owner: CartOwner, alias: str = "") -> tuple[str, object]:
    prefix = f"{alias}." if alias else ""
    if owner.user_id is not None:
        return f'{prefix}"user" = {{}}', owner.user_id
    return f"{prefix}token = {{}}", owner.token


_LINES_SQL = """
SELECT ci.sku AS sku_id, ci.quantity, ci.selected, s.product AS product_id, p.shop AS shop_id, sh.name AS shop_name,
       p.title, p.specs, s.spec_values, s.price_fen, s.stock, s.weight_g,
       (p.status = 'active') AS product_on_sale, (sh.status = 'active') AS shop_open,
       img.key AS image_key, img.width AS image_width, img.height AS image_height,
       coalesce(cat.path, '') AS category_path
FROM cart c
JOIN cart_item ci ON ci.cart = c.id
JOIN sku s ON s.id = ci.sku
JOIN product p ON p.id = s.product
JOIN shop sh ON sh.id = p.shop
LEFT JOIN category cat ON cat.id = p.category
LEFT JOIN LATERAL (
    SELECT i.key, i.width, i.height FROM product_image i WHERE i.product = p.id
    ORDER BY (i.position = s.image_position) DESC, i.position LIMIT 1
) img ON true
WHERE {owner}
ORDER BY ci.added_at DESC, ci.id DESC
"""


def _json(value: Any, default: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return default
    return value if value is not None else default


def spec_text(specs: Any, values: Any) -> str:
    """'颜色: 红 / 尺码: L', in the order the product lists its specs."""
    values = _json(values, {})
    if not isinstance(values, dict):
        return ""
    order = [item.get("name") for item in _json(specs, []) if isinstance(item, dict)]
    names = [n for n in order if n in values] + [n for n in values if n not in order]
    return " / ".join(f"{name}: {values[name]}" for name in names)


def _line(r: dict[str, Any]) -> CartLine:
    stock = int(r["stock"])
    if not r["product_on_sale"]:
        reason = UNAVAILABLE_DELISTED
    elif not r["shop_open"]:
        reason = UNAVAILABLE_SHOP
    elif stock <= 0:
        reason = UNAVAILABLE_SOLD_OUT
    else:
        reason = ""
    return CartLine(
        sku_id=int(r["sku_id"]),
        product_id=int(r["product_id"]),
        shop_id=int(r["shop_id"]),
        shop_name=r["shop_name"],
        title=r["title"],
        spec=spec_text(r["specs"], r["spec_values"]),
        image_key=r["image_key"] or "",
        image_width=int(r["image_width"] or 0),
        image_height=int(r["image_height"] or 0),
        unit_price_fen=int(r["price_fen"]),
        quantity=int(r["quantity"]),
        stock=stock,
        weight_g=int(r["weight_g"] or 0),
        category_ids=tuple(int(part) for part in str(r.get("category_path") or "").split("/") if part.isdigit()),
        selected=bool(r["selected"]),
        available=not reason,
        unavailable_reason=reason,
    )


async def _lines(owner: CartOwner) -> list[CartLine]:
    if not owner.known:
        return []
    clause, value = _owner_sql(owner, "c")
    return [_line(r) for r in await fetch(_LINES_SQL.replace("{owner}", clause), value)]


async def _shipping(shop_ids: list[int]) -> dict[int, pricing.ShippingTemplate]:
    if not shop_ids:
        return {}
    try:
        from app.sellers.shipping import shipping_templates
    except ImportError:  # pragma: no cover - lands with the same issue
        return {}
    return await shipping_templates(shop_ids)


async def _region(user_id: int | None) -> str | None:
    """The province of the buyer's default address (None: anonymous, or no address yet)."""
    if user_id is None:
        return None
    try:
        from app.accounts.addresses import default_address
    except ImportError:  # pragma: no cover - lands with the same issue
        return None
    found = await default_address(user_id=user_id)
    if found is None:
        return None
    for name in ("province_code", "province"):
        value = found.get(name) if isinstance(found, dict) else getattr(found, name, None)
        if value:
            return str(value)
    return None


def _group(lines: Sequence[CartLine], quote: pricing.Quote) -> tuple[ShopGroup, ...]:
    by_shop: dict[int, list[CartLine]] = {}
    for line in lines:
        by_shop.setdefault(line.shop_id, []).append(line)
    prices = {shop.shop_id: shop for shop in quote.shops}
    return tuple(
        ShopGroup(shop_id=shop_id, shop_name=group[0].shop_name, lines=tuple(group), price=prices.get(shop_id))
        for shop_id, group in by_shop.items()
    )


async def cart_view(*, owner: CartOwner) -> CartView:
    """Everything the cart page shows: available lines per shop, the unavailable ones apart, and the engine's
    quote for the selected available lines (shipping per shop for the default address's province)."""
    lines = await _lines(owner)
    available = [line for line in lines if line.available]
    unavailable = tuple(line for line in lines if not line.available)
    chosen = [line for line in available if line.selected]
    shop_ids = list(dict.fromkeys(line.shop_id for line in chosen))
    shipping = await _shipping(shop_ids)
    region = await _region(owner.user_id) if chosen else None
    member = await member_for(owner.user_id) if owner.user_id is not None and chosen else ANONYMOUS
    priced = await promo_engine.price(
        member=member,
        lines=[
            LineInfo(
                key=str(line.sku_id),
                sku_id=line.sku_id,
                product_id=line.product_id,
                shop_id=line.shop_id,
                category_ids=line.category_ids,
                unit_price_fen=line.unit_price_fen,
                quantity=line.order_quantity,
                weight_g=line.weight_g,
            )
            for line in chosen
        ],
        shipping=shipping,
        region=region,
        with_coupons=False,  # coupons and points are chosen at checkout
    )
    quote = priced.quote
    prices = {lp.sku_id: lp for shop in quote.shops for lp in shop.lines}
    return CartView(
        shops=_group(available, quote),
        unavailable=unavailable,
        quote=quote,
        prices=prices,
        region=region,
        hints=priced.hints,
    )


async def checkout_lines(*, user_id: int) -> list[CartLine]:
    """The signed-in user's selected, available lines, grouped by shop as the cart shows them; a line with more
    than the stock left carries the stock as its quantity (checkout is clamped)."""
    chosen = [line for line in await _lines(CartOwner(user_id=user_id, token=None)) if line.available and line.selected]
    shops = list(dict.fromkeys(line.shop_id for line in chosen))
    chosen.sort(key=lambda line: shops.index(line.shop_id))  # stable: the cart's order within each shop
    return [replace(line, quantity=line.order_quantity) for line in chosen]


async def badge_count(*, owner: CartOwner) -> int:
    """Lines in the cart: one indexed query (cart by owner, items by cart)."""
    if not owner.known:
        return 0
    clause, value = _owner_sql(owner, "c")
    row = await fetchrow(f"SELECT count(*) AS n FROM cart_item ci JOIN cart c ON c.id = ci.cart WHERE {clause}", value)
    return int(row["n"]) if row else 0


# ---------------------------------------------------------------------------------------------------------------
# writing


def _check_quantity(quantity: int) -> None:
    if not 1 <= quantity <= MAX_QUANTITY:
        raise InvalidQuantity(N_("Enter a quantity between 1 and %(max)s."), field="qty", max=MAX_QUANTITY)


def _check_owner(owner: CartOwner) -> None:
    if not owner.known:
        raise CartError(N_("Your cart could not be found. Please reload the page."))


async def _ensure_cart(owner: CartOwner) -> int:
    """The owner's cart id, created when missing; touching updated_at locks the cart row until commit, which
    serialises concurrent writes to one cart."""
    now = clock.now()
    if owner.user_id is not None:
        sql = (
            'INSERT INTO cart ("user", created_at, updated_at) VALUES ({}, {}, {}) '
            'ON CONFLICT ("user") DO UPDATE SET updated_at = EXCLUDED.updated_at RETURNING id'
        )
        row = await fetchrow(sql, owner.user_id, now, now)
    else:
        sql = (
            "INSERT INTO cart (token, created_at, updated_at) VALUES ({}, {}, {}) "
            "ON CONFLICT (token) DO UPDATE SET updated_at = EXCLUDED.updated_at RETURNING id"
        )
        row = await fetchrow(sql, owner.token, now, now)
    assert row is not None
    return int(row["id"])


_SKU_SQL = """
SELECT s.id, s.product AS product_id, s.stock, p.title, p.status AS product_status, sh.name AS shop_name,
       sh.status AS shop_status
FROM sku s JOIN product p ON p.id = s.product JOIN shop sh ON sh.id = p.shop
WHERE s.id = {}
"""


async def add(*, owner: CartOwner, sku_id: int, quantity: int) -> Added:
    """Put `quantity` of a SKU in the cart (adding to what is there), up to the stock and MAX_QUANTITY. A SKU
    that does not exist, is not on sale, belongs to a shop that is not open or is sold out cannot be added."""
    _check_quantity(quantity)
    _check_owner(owner)
    sku = await fetchrow(_SKU_SQL, sku_id)
    if sku is None:
        raise SkuUnavailable(N_("This product does not exist."))
    if sku["product_status"] != "active":
        raise SkuUnavailable(N_("%(title)s is no longer on sale."), title=sku["title"])
    if sku["shop_status"] != "active":
        raise SkuUnavailable(N_("%(shop)s is closed for now: its products cannot be bought."), shop=sku["shop_name"])
    stock = int(sku["stock"])
    if stock <= 0:
        raise SkuUnavailable(N_("%(title)s is sold out."), title=sku["title"])
    cap = min(MAX_QUANTITY, stock)
    async with engine().transaction():
        cart_id = await _ensure_cart(owner)
        row = await fetchrow(
            "SELECT quantity, (SELECT count(*) FROM cart_item WHERE cart = {}) AS lines "
            "FROM (SELECT 1) one LEFT JOIN cart_item ci ON ci.cart = {} AND ci.sku = {}",
            cart_id,
            cart_id,
            sku_id,
        )
        assert row is not None
        have = int(row["quantity"] or 0)
        if not have and int(row["lines"]) >= MAX_LINES:
            raise CartLimit(N_("Your cart is full (%(max)s items). Remove something first."), max=MAX_LINES)
        new = min(have + quantity, cap)
        if new <= have:
            if cap == stock:
                raise CartLimit(N_("Only %(left)s left, and they are all in your cart already."), left=stock)
            raise CartLimit(N_("You already have %(max)s of this item in your cart, the most allowed."), max=cap)
        added = new - have
        await fetch(
            "INSERT INTO cart_item (cart, sku, quantity, selected, added_at) VALUES ({}, {}, {}, true, {}) "
            "ON CONFLICT (cart, sku) DO UPDATE SET quantity = LEAST(cart_item.quantity + EXCLUDED.quantity, {}), "
            "selected = true",
            cart_id,
            sku_id,
            added,
            clock.now(),
            cap,
        )
        count = await fetchrow("SELECT count(*) AS n FROM cart_item WHERE cart = {}", cart_id)
    note, params = None, {}
    if added < quantity:
        if cap == stock:
            note, params = N_("Only %(left)s left: your cart now has %(num)s."), {"left": stock, "num": new}
        else:
            note, params = N_("At most %(max)s of one item: your cart now has %(num)s."), {"max": cap, "num": new}
    return Added(
        count=int(count["n"]) if count else 0,
        quantity=new,
        added=added,
        product_id=int(sku["product_id"]),
        title=sku["title"],
        note=note,
        params=params,
    )


async def add_item(*, owner: CartOwner, sku_id: int, quantity: int) -> int:
    """add() for callers that only need the new badge count."""
    return (await add(owner=owner, sku_id=sku_id, quantity=quantity)).count


def _touching(owner: CartOwner) -> tuple[str, list[object]]:
    """A CTE that touches the owner's cart (locking its row) and yields its id as `c`."""
    clause, value = _owner_sql(owner)
    return f"WITH c AS (UPDATE cart SET updated_at = {{}} WHERE {clause} RETURNING id) ", [clock.now(), value]


async def set_quantity(*, owner: CartOwner, sku_id: int, quantity: int) -> int:
    """Set a line's quantity (1..MAX_QUANTITY); more than the stock left is set to the stock. Returns the
    quantity now, so the caller can tell the shopper when it is less than asked."""
    _check_quantity(quantity)
    _check_owner(owner)
    cte, args = _touching(owner)
    row = await fetchrow(
        cte + "UPDATE cart_item ci SET quantity = CASE WHEN s.stock > 0 THEN LEAST({}, s.stock) ELSE {} END "
        "FROM c, sku s WHERE ci.cart = c.id AND ci.sku = {} AND s.id = ci.sku RETURNING ci.quantity",
        *args,
        quantity,
        quantity,
        sku_id,
    )
    if row is None:
        raise NotInCart(N_("This item is no longer in your cart."))
    return int(row["quantity"])


async def remove_items(*, owner: CartOwner, sku_ids: Sequence[int]) -> int:
    """Remove these SKUs' lines from the owner's cart (others' carts are never touched). Returns how many."""
    if not owner.known or not sku_ids:
        return 0
    cte, args = _touching(owner)
    rows = await fetch(
        cte + "DELETE FROM cart_item ci USING c WHERE ci.cart = c.id AND ci.sku = ANY({}::int[]) RETURNING ci.sku",
        *args,
        list(sku_ids),
    )
    return len(rows)


async def remove_unavailable(*, owner: CartOwner) -> int:
    """Remove every line that cannot be bought now (delisted, shop not open, sold out)."""
    if not owner.known:
        return 0
    cte, args = _touching(owner)
    rows = await fetch(
        cte + "DELETE FROM cart_item ci USING c, sku s, product p, shop sh "
        "WHERE ci.cart = c.id AND s.id = ci.sku AND p.id = s.product AND sh.id = p.shop "
        "AND (p.status <> 'active' OR sh.status <> 'active' OR s.stock <= 0) RETURNING ci.sku",
        *args,
    )
    return len(rows)


async def set_selected(
    *, owner: CartOwner, sku_ids: Sequence[int] | None = None, shop_id: int | None = None, selected: bool
) -> int:
    """Select or deselect some lines (sku_ids), one shop's lines (shop_id), or every line (neither)."""
    if not owner.known:
        return 0
    cte, args = _touching(owner)
    sql = cte + "UPDATE cart_item ci SET selected = {} FROM c WHERE ci.cart = c.id"
    args.append(selected)
    if sku_ids is not None:
        sql += " AND ci.sku = ANY({}::int[])"
        args.append(list(sku_ids))
    if shop_id is not None:
        sql += " AND ci.sku IN (SELECT s.id FROM sku s JOIN product p ON p.id = s.product WHERE p.shop = {})"
        args.append(shop_id)
    return len(await fetch(sql + " RETURNING ci.sku", *args))


async def remove_purchased(*, user_id: int, sku_ids: Sequence[int]) -> None:
    """After an order is placed: the bought SKUs leave the buyer's cart."""
    await remove_items(owner=CartOwner(user_id=user_id, token=None), sku_ids=sku_ids)


async def merge_anonymous(*, token: str | None, user_id: int) -> int:
    """At login: move the anonymous cart's lines into the account's cart. A SKU in both gets the sum, capped at
    MAX_QUANTITY and at the stock; a line selected in either stays selected. The anonymous cart is deleted.
    Returns how many lines came over (0 when the token has no cart)."""
    if not valid_token(token):
        return 0
    async with engine().transaction():
        anonymous = await fetchrow('SELECT id FROM cart WHERE token = {} AND "user" IS NULL FOR UPDATE', token)
        if anonymous is None:
            return 0
        cart_id = await _ensure_cart(CartOwner(user_id=user_id, token=None))
        rows = await fetch(
            "INSERT INTO cart_item (cart, sku, quantity, selected, added_at) "
            "SELECT {}, a.sku, a.quantity, a.selected, a.added_at FROM cart_item a WHERE a.cart = {} ORDER BY a.sku "
            "ON CONFLICT (cart, sku) DO UPDATE SET "
            "quantity = LEAST(cart_item.quantity + EXCLUDED.quantity, {}, "
            "GREATEST((SELECT stock FROM sku WHERE sku.id = EXCLUDED.sku), 1)), "
            "selected = cart_item.selected OR EXCLUDED.selected, "
            "added_at = GREATEST(cart_item.added_at, EXCLUDED.added_at) RETURNING sku",
            cart_id,
            anonymous["id"],
            MAX_QUANTITY,
        )
        await fetch("DELETE FROM cart WHERE id = {}", anonymous["id"])
    return len(rows)


async def sweep_anonymous_carts(*, batch: int = 1000) -> int:
    """Worker sweep: delete anonymous carts nobody touched for ANONYMOUS_DAYS (their lines go with them).
    Safe with several workers (SKIP LOCKED) and to repeat."""
    cutoff = clock.now() - timedelta(days=ANONYMOUS_DAYS)
    total = 0
    for _ in range(50):
        rows = await fetch(
            'DELETE FROM cart WHERE id IN (SELECT id FROM cart WHERE "user" IS NULL AND updated_at < {} '
            "ORDER BY id LIMIT {} FOR UPDATE SKIP LOCKED) RETURNING id",
            cutoff,
            batch,
        )
        total += len(rows)
        if len(rows) < batch:
            break
    return total
