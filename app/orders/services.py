"""Checkout and the order group's life around payment: price a checkout, place it (one group, one order per shop,
stock taken with one conditional UPDATE per SKU, all in one transaction, idempotent by checkout token), mark a
group paid (called by app/payments inside its transaction), cancel it unpaid (the buyer) or on timeout (the
worker's sweep), and give stock back.

Lock order, so concurrent checkouts never deadlock: the group's token row, then SKUs in id order, then products
in id order (refresh_product_summaries). Payment and cancellation lock the group first, then its orders."""

from __future__ import annotations

import json
import logging
import re
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.core.errors import NotFound
from app.core.i18n import N_
from app.core.principal import Actor
from app.operations.settings import setting
from app.orders.errors import CheckoutError, InsufficientStock
from app.orders.states import transition
from app.orders.tables import OrderItem
from app.promotions import engine as promo_engine
from app.promotions import pricing
from app.promotions.context import LineInfo, Member

log = logging.getLogger("jishi.orders")

MAX_LINES = 100
MAX_QUANTITY = 999
SYSTEM = Actor(user_id=None, label="system")
GROUP_NOT_FOUND = N_("Order not found.")


# ---------------------------------------------------------------------------------------------------------------
# input


@dataclass(frozen=True, slots=True)
class CheckoutLine:
    sku_id: int
    quantity: int
    flash_item_id: int | None = None  # bought at a flash-sale price from the flash stock (app/flash)

    @property
    def key(self) -> str:
        """The line's key in the pricing engine (gift lines are "gift:<promotion>:<sku>")."""
        return f"flash:{self.flash_item_id}" if self.flash_item_id is not None else str(self.sku_id)


@dataclass(frozen=True, slots=True)
class Invoice:
    kind: str  # personal | company
    title: str
    tax_no: str = ""

    def as_json(self) -> dict[str, str]:
        return {"kind": self.kind, "title": self.title, "tax_no": self.tax_no}


@dataclass(frozen=True, slots=True)
class ShopChoice:
    delivery: str = "express"  # express | pickup
    pickup_point_id: int | None = None
    note: str = ""
    invoice: Invoice | None = None


# 统一社会信用代码: 18 characters from this alphabet (the old 15/20-digit tax numbers are still accepted)
_CREDIT_CODE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")
_OLD_TAX_NO = re.compile(r"^[0-9A-Z]{15}$|^[0-9A-Z]{20}$")
_CREDIT_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def valid_tax_no(value: str) -> bool:
    """A unified social credit code with a correct check character (GB 32100-2015), or an old 15/20-char number."""
    if _OLD_TAX_NO.match(value):
        return True
    if not _CREDIT_CODE.match(value):
        return False
    total = sum(_CREDIT_ALPHABET.index(ch) * w for ch, w in zip(value[:17], _CREDIT_WEIGHTS, strict=True))
    return _CREDIT_ALPHABET[(31 - total % 31) % 31] == value[17]


def check_invoice(kind: str, title: str, tax_no: str) -> tuple[Invoice | None, dict[str, str]]:
    """Parse an invoice request: ('', ...) means none. Returns the invoice or field errors (msgids)."""
    kind, title, tax_no = kind.strip(), title.strip(), tax_no.strip().upper().replace(" ", "")
    if not kind:
        return None, {}
    errors: dict[str, str] = {}
    if kind not in {"personal", "company"}:
        errors["invoice_kind"] = N_("Choose a personal or a company invoice.")
    if not title:
        errors["invoice_title"] = N_("Enter the invoice title.")
    elif len(title) > 100:
        errors["invoice_title"] = N_("The invoice title is at most 100 characters.")
    if kind == "company" and not valid_tax_no(tax_no):
        errors["invoice_tax_no"] = N_("Enter a valid taxpayer number (18-character unified social credit code).")
    if errors:
        return None, errors
    return Invoice(kind, title, tax_no if kind == "company" else ""), {}


def parse_quantity(raw: object) -> int | None:
    """A quantity typed or posted: 1..999, else None (the caller shows its message)."""
    text = str(raw).strip() if raw is not None else ""
    if not text.isascii() or not text.isdigit() or len(text) > 4:
        return None
    value = int(text)
    return value if 1 <= value <= MAX_QUANTITY else None


# ---------------------------------------------------------------------------------------------------------------
# reading SKUs and pricing


@dataclass(frozen=True, slots=True)
class SkuRow:
    sku_id: int
    product_id: int
    shop_id: int
    shop_name: str
    title: str
    spec: str
    image_key: str
    price_fen: int
    image_width: int
    image_height: int
    stock: int
    weight_g: int
    available: bool  # product active and shop active
    category_ids: tuple[int, ...] = ()  # the product's category and its ancestors


_SKU_SQL = """
SELECT s.id AS sku_id, s.product AS product_id, p.shop AS shop_id, sh.name AS shop_name, p.title,
       s.spec_values, s.price_fen, s.stock, s.weight_g,
       coalesce(img.key, '') AS image_key, coalesce(img.width, 0) AS image_width,
       coalesce(img.height, 0) AS image_height,
       (p.status = 'active' AND sh.status = 'active') AS available, coalesce(c.path, '') AS category_path
FROM sku s JOIN product p ON p.id = s.product JOIN shop sh ON sh.id = p.shop
LEFT JOIN category c ON c.id = p.category
LEFT JOIN LATERAL (SELECT i.key, i.width, i.height FROM product_image i WHERE i.product = p.id
                   ORDER BY (i.position = s.image_position) DESC, i.position LIMIT 1) img ON true
WHERE s.id = ANY({}::int[])
"""


def spec_text(spec_values: dict[str, str]) -> str:
    return " / ".join(f"{k}: {v}" for k, v in spec_values.items())


async def load_skus(sku_ids: Sequence[int]) -> dict[int, SkuRow]:
    rows = await fetch(_SKU_SQL, list(sku_ids))
    out: dict[int, SkuRow] = {}
    for r in rows:
        specs = r["spec_values"]
        specs = json.loads(specs) if isinstance(specs, str) else (specs or {})
        out[r["sku_id"]] = SkuRow(
            sku_id=r["sku_id"],
            product_id=r["product_id"],
            shop_id=r["shop_id"],
            shop_name=r["shop_name"],
            title=r["title"],
            spec=spec_text(specs),
            image_key=r["image_key"],
            image_width=int(r["image_width"]),
            image_height=int(r["image_height"]),
            price_fen=int(r["price_fen"]),
            stock=int(r["stock"]),
            weight_g=int(r["weight_g"] or 0),
            available=bool(r["available"]),
            category_ids=tuple(int(part) for part in str(r["category_path"]).split("/") if part.isdigit()),
        )
    return out


@dataclass
class ShopCheckout:
    shop_id: int
    shop_name: str
    lines: list[tuple[SkuRow, int, pricing.LinePrice]]  # gift lines too (unit price 0)
    price: pricing.ShopPrice
    choice: ShopChoice
    pickup_points: list[Any] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class Problem:
    message: str  # msgid
    params: dict[str, Any]
    kind: str  # stock | unavailable | address | delivery


@dataclass
class CheckoutView:
    shops: list[ShopCheckout]
    quote: pricing.Quote
    address: dict[str, Any] | None
    problems: list[Problem]  # what would stop the order as it stands
    needs_address: bool
    priced: promo_engine.Priced | None = None  # the promotions applied: hints, coupons, points
    sources: dict[str, str] = field(default_factory=dict)  # line key -> where its stock comes from ("" = the SKU)
    line_map: dict[str, CheckoutLine] = field(default_factory=dict)

    def breakdown(self) -> list[tuple[str, int]]:
        """Money off by reason (msgid, fen < 0), over every line, in the order first met."""
        out: dict[str, int] = {}
        for shop in self.shops:
            for _sku, _qty, line in shop.lines:
                for adj in line.adjustments:
                    out[adj.reason] = out.get(adj.reason, 0) + adj.amount_fen
        return list(out.items())

    @property
    def can_submit(self) -> bool:
        return not self.problems and bool(self.shops) and (self.address is not None or not self.needs_address)


def _merge_lines(lines: Sequence[CheckoutLine]) -> list[CheckoutLine]:
    merged: dict[tuple[int, int | None], int] = {}
    for line in lines:
        merged[(line.sku_id, line.flash_item_id)] = merged.get((line.sku_id, line.flash_item_id), 0) + line.quantity
    return [CheckoutLine(sku, qty, flash) for (sku, flash), qty in merged.items()]


async def _shipping(shop_ids: list[int]) -> dict[int, pricing.ShippingTemplate]:
    try:
        from app.sellers.shipping import shipping_templates
    except ImportError:  # pragma: no cover - the shipping module lands with the same issue
        return {}
    return await shipping_templates(shop_ids)


async def _pickup_points(shop_ids: list[int]) -> dict[int, list[Any]]:
    try:
        from app.sellers.shipping import pickup_points
    except ImportError:  # pragma: no cover
        return {}
    return await pickup_points(shop_ids, active_only=True)


async def _pickup_snapshot(shop_id: int, point_id: int) -> dict[str, Any] | None:
    from app.sellers.shipping import pickup_point_snapshot

    return await pickup_point_snapshot(shop_id=shop_id, point_id=point_id)


async def _address(buyer_id: int, address_id: int | None) -> dict[str, Any] | None:
    """The buyer's address as a snapshot; someone else's id (or a deleted one) is not found."""
    from app.accounts import addresses

    if address_id is None:
        found = await addresses.default_address(user_id=buyer_id)
        if found is None:
            return None
        address_id = found["id"] if isinstance(found, dict) else found.id
    return await addresses.address_snapshot(user_id=buyer_id, address_id=address_id)


def _line_info(sku: SkuRow, line: CheckoutLine) -> LineInfo:
    return LineInfo(
        key=line.key,
        sku_id=sku.sku_id,
        product_id=sku.product_id,
        shop_id=sku.shop_id,
        category_ids=sku.category_ids,
        unit_price_fen=sku.price_fen,
        quantity=line.quantity,
        flash_item_id=line.flash_item_id,
        weight_g=sku.weight_g,
    )


async def _price(
    member: Member,
    skus: dict[int, SkuRow],
    lines: Sequence[CheckoutLine],
    shipping: dict[int, pricing.ShippingTemplate],
    choices: dict[int, ShopChoice],
    region: str | None,
    *,
    coupon_ids: Sequence[int] | None,
    points: int,
) -> promo_engine.Priced:
    """The promotions engine's price; a pickup order ships nothing, so it costs no postage and suits any address."""
    templates = {
        shop_id: (pricing.FREE_SHIPPING if choices.get(shop_id, ShopChoice()).delivery == "pickup" else template)
        for shop_id, template in shipping.items()
    }
    return await promo_engine.price(
        member=member,
        lines=[_line_info(skus[line.sku_id], line) for line in lines],
        shipping=templates,
        region=region,
        coupon_ids=coupon_ids,
        points=points,
    )


def _gift_line(gift: Any, sku: SkuRow) -> tuple[SkuRow, int, pricing.LinePrice]:
    key = f"gift:{gift.promotion_id}:{sku.sku_id}"
    price = pricing.LinePrice(
        key=key, sku_id=sku.sku_id, unit_price_fen=0, quantity=gift.quantity, gross_fen=0, adjustments=(), paid_fen=0
    )
    return sku, gift.quantity, price


async def prepare_checkout(
    *,
    buyer_id: int,
    lines: Sequence[CheckoutLine],
    address_id: int | None = None,
    choices: dict[int, ShopChoice] | None = None,
    coupon_ids: Sequence[int] | None = None,
    points: int = 0,
    stop_on_short: bool = False,
) -> CheckoutView:
    """What the checkout page shows: lines per shop at today's prices with every promotion that applies (coupons:
    the best ones unless `coupon_ids` says which; `points` to spend), shipping per shop for the chosen address, the
    totals, and every problem that would stop the order (unavailable or short lines, a flash sale that is not on,
    no address, a region the shop does not deliver to)."""
    from app.membership.checkout import member_for

    choices = dict(choices or {})
    lines = _merge_lines(lines)[:MAX_LINES]
    skus = await load_skus([line.sku_id for line in lines])
    problems: list[Problem] = []
    kept: list[CheckoutLine] = []
    for line in lines:
        sku = skus.get(line.sku_id)
        if sku is None:
            problems.append(Problem(N_("A product in your order no longer exists."), {}, "unavailable"))
        elif not sku.available:
            problems.append(Problem(N_("%(title)s is no longer on sale."), {"title": sku.title}, "unavailable"))
        else:
            if line.flash_item_id is None and sku.stock < line.quantity:  # flash lines have their own stock
                problems.append(
                    Problem(N_("%(title)s has only %(left)s left."), {"title": sku.title, "left": sku.stock}, "stock")
                    if sku.stock
                    else Problem(N_("%(title)s is sold out."), {"title": sku.title}, "stock")
                )
            kept.append(line)
    short = next((p for p in problems if p.kind == "stock"), None)
    if stop_on_short and short is not None:
        # placing an order: a line already short when read is refused before any pricing work (a burst for a sold-out
        # SKU costs one query each); stock that is there when read is still decided by the conditional UPDATE
        raise InsufficientStock(short.message, **short.params)
    shop_ids = list(dict.fromkeys(skus[line.sku_id].shop_id for line in kept))
    shipping = await _shipping(shop_ids)
    pickup = await _pickup_points(shop_ids)
    for shop_id in shop_ids:
        choice = choices.get(shop_id, ShopChoice())
        if choice.delivery == "pickup" and not pickup.get(shop_id):
            choice = ShopChoice(note=choice.note, invoice=choice.invoice)  # no pickup points: express
        choices[shop_id] = choice
    needs_address = any(choices[s].delivery == "express" for s in shop_ids)
    try:
        address = await _address(buyer_id, address_id) if needs_address else None
    except NotFound:
        address = None
        problems.append(Problem(N_("Choose one of your addresses."), {}, "address"))
    region = address.get("province_code") if address else None
    member = await member_for(buyer_id)
    priced = await _price(member, skus, kept, shipping, choices, region, coupon_ids=coupon_ids, points=points)
    quote = priced.quote
    line_map = {line.key: line for line in kept}
    for key in priced.flash_refused:
        problems.append(
            Problem(
                N_("The flash sale for %(title)s is not on."),
                {"title": skus[line_map[key].sku_id].title},
                "unavailable",
            )
        )
    gift_skus = await load_skus(sorted({g.sku_id for g in priced.gifts})) if priced.gifts else {}
    sources = {line.key: (f"flash:{line.flash_item_id}" if line.flash_item_id is not None else "") for line in kept}
    by_key = {lp.key: lp for s in quote.shops for lp in s.lines}
    shops: list[ShopCheckout] = []
    for shop_price in quote.shops:
        shop_lines = [(skus[line.sku_id], line.quantity, by_key[line.key]) for line in kept]
        shop_lines = [entry for entry in shop_lines if entry[0].shop_id == shop_price.shop_id]
        for gift in priced.gifts:
            sku = gift_skus.get(gift.sku_id)
            if gift.shop_id == shop_price.shop_id and sku is not None and sku.shop_id == gift.shop_id:
                shop_lines.append(_gift_line(gift, sku))
                sources[shop_lines[-1][2].key] = f"gift:{gift.promotion_id}"
        shop_name = shop_lines[0][0].shop_name
        if not shop_price.deliverable:
            problems.append(Problem(N_("%(shop)s does not deliver to this address."), {"shop": shop_name}, "delivery"))
        shops.append(
            ShopCheckout(
                shop_id=shop_price.shop_id,
                shop_name=shop_name,
                lines=shop_lines,
                price=shop_price,
                choice=choices[shop_price.shop_id],
                pickup_points=pickup.get(shop_price.shop_id, []),
            )
        )
    return CheckoutView(
        shops=shops,
        quote=quote,
        address=address,
        problems=problems,
        needs_address=needs_address,
        priced=priced,
        sources=sources,
        line_map=line_map,
    )


# ---------------------------------------------------------------------------------------------------------------
# placing an order


@dataclass(frozen=True, slots=True)
class PlacedGroup:
    id: int
    no: str
    total_fen: int
    created: bool  # False: this token had already placed the group (resubmission)


def new_order_no() -> str:
    """Date in Beijing time + 10 random digits: readable on the phone, and says nothing about volume."""
    day = (clock.now() + timedelta(hours=8)).strftime("%y%m%d")
    return f"{day}{secrets.randbelow(10**10):010d}"


async def _existing_group(token: uuid.UUID, buyer_id: int) -> PlacedGroup | None:
    row = await fetchrow(
        "SELECT id, no, total_fen, buyer FROM order_group WHERE checkout_token = {}",
        token,
    )
    if row is None:
        return None
    if row["buyer"] != buyer_id:  # a token is random per form: someone else's means a forged request
        raise CheckoutError(N_("This checkout has expired. Please review your order and submit it again."))
    return PlacedGroup(row["id"], row["no"], int(row["total_fen"]), created=False)


async def _refresh_products(product_ids: list[int]) -> None:
    """The catalog's stock summaries, in this transaction. Product rows are locked in id order first: a multi-row
    UPDATE locks in no particular order, and two checkouts sharing products must not deadlock."""
    from app.catalog.services import refresh_product_summaries

    await fetch("SELECT id FROM product WHERE id = ANY({}::int[]) ORDER BY id FOR NO KEY UPDATE", product_ids)
    await refresh_product_summaries(product_ids=product_ids)


async def take_stock(*, sku_id: int, quantity: int) -> bool:
    """One conditional UPDATE: never below zero, whatever runs at the same time (CHECK stock >= 0 is the last guard)."""
    row = await fetchrow(
        "UPDATE sku SET stock = stock - {} WHERE id = {} AND stock >= {} RETURNING stock",
        quantity,
        sku_id,
        quantity,
    )
    return row is not None


async def place_order(
    *,
    buyer_id: int,
    checkout_token: uuid.UUID,
    lines: Sequence[CheckoutLine],
    address_id: int | None = None,
    choices: dict[int, ShopChoice] | None = None,
    coupon_ids: Sequence[int] | None = None,
    points: int = 0,
) -> PlacedGroup:
    """Create one order group and one order per shop, or nothing. Prices come from the catalog and the promotions
    engine, never from the form. Stock, flash stock, gift stock, coupons and points are all taken in the one
    transaction, each by a statement that cannot overshoot. Submitting the same token again returns the same
    group."""
    if existing := await _existing_group(checkout_token, buyer_id):
        return existing
    lines = _merge_lines(lines)
    if not lines:
        raise CheckoutError(N_("Your order is empty."))
    if len(lines) > MAX_LINES or any(not 1 <= line.quantity <= MAX_QUANTITY for line in lines):
        raise CheckoutError(N_("Enter a quantity between 1 and %(max)s."), max=MAX_QUANTITY)
    view = await prepare_checkout(
        buyer_id=buyer_id,
        lines=lines,
        address_id=address_id,
        choices=choices,
        coupon_ids=coupon_ids,
        points=points,
        stop_on_short=True,
    )
    # stock that looked enough is decided by the conditional UPDATE below, at the moment of truth
    blocking = [p for p in view.problems if p.kind != "stock"]
    if blocking:
        raise CheckoutError(blocking[0].message, **blocking[0].params)
    if view.needs_address and view.address is None:
        raise CheckoutError(N_("Add a delivery address first."))
    pickups: dict[int, dict[str, Any]] = {}
    for shop in view.shops:
        if shop.choice.delivery == "pickup":
            snapshot = await _pickup_snapshot(shop.shop_id, shop.choice.pickup_point_id or 0)
            if snapshot is None:
                raise CheckoutError(N_("Choose a pickup point for %(shop)s."), shop=shop.shop_name)
            pickups[shop.shop_id] = snapshot
    now = clock.now()
    deadline = now + timedelta(minutes=await setting("orders.pay_timeout_minutes"))
    async with engine().transaction():
        # the token row first: a concurrent resubmission waits here, then finds the committed group
        inserted = await fetchrow(
            "INSERT INTO order_group (no, buyer, checkout_token, status, total_fen, address, pay_deadline_at, "
            "created_at) VALUES ({}, {}, {}, 'pending_payment', {}, {}::jsonb, {}, {}) "
            "ON CONFLICT (checkout_token) DO NOTHING RETURNING id",
            new_order_no(),
            buyer_id,
            checkout_token,
            view.quote.total_fen,
            json.dumps(view.address or {}, ensure_ascii=False),
            deadline,
            now,
        )
        if inserted is None:
            existing = await _existing_group(checkout_token, buyer_id)
            assert existing is not None
            return existing
        group_id = inserted["id"]
        entries = [(sku, qty, view.sources.get(line.key, "")) for shop in view.shops for sku, qty, line in shop.lines]
        plain = sorted(((sku, qty) for sku, qty, source in entries if not source), key=lambda e: e[0].sku_id)
        for sku, qty in plain:  # fixed lock order: SKU ids ascending, then flash items, then gift promotions
            if not await take_stock(sku_id=sku.sku_id, quantity=qty):
                left = await fetchrow("SELECT stock FROM sku WHERE id = {}", sku.sku_id)
                stock = int(left["stock"]) if left else 0
                if stock:
                    raise InsufficientStock(N_("%(title)s has only %(left)s left."), title=sku.title, left=stock)
                raise InsufficientStock(N_("%(title)s is sold out."), title=sku.title)
        await _take_special_stock(buyer_id, entries)
        for shop in view.shops:
            await _insert_order(
                group_id, buyer_id, shop, view.address, pickups.get(shop.shop_id), deadline, now, view.sources
            )
        await _use_benefits(buyer_id, group_id, view)
        if plain:
            await _refresh_products(sorted({sku.product_id for sku, _ in plain}))
        group_no = (await fetchrow("SELECT no FROM order_group WHERE id = {}", group_id) or {})["no"]
    return PlacedGroup(group_id, group_no, view.quote.total_fen, created=True)


async def _take_special_stock(buyer_id: int, entries: Sequence[tuple[SkuRow, int, str]]) -> None:
    """Flash-sale lines take the flash item's stock (and count against the buyer's limit); gift lines take the gift
    promotion's stock. A gift that ran out is refused like a sold-out line: the buyer sees the new price."""
    from app.flash.checkout import take_flash_stock
    from app.promotions.offers import take_gift_stock

    special = sorted(((source, sku, qty) for sku, qty, source in entries if source), key=lambda e: e[0])
    for source, sku, qty in special:
        kind, _, ref = source.partition(":")
        if kind == "flash":
            refused = await take_flash_stock(buyer_id=buyer_id, flash_item_id=int(ref), quantity=qty)
            if refused:
                raise InsufficientStock(refused, title=sku.title)
        elif kind == "gift" and not await take_gift_stock(promotion_id=int(ref), sku_id=sku.sku_id, quantity=qty):
            raise InsufficientStock(N_("The gift %(title)s has run out. Please review your order."), title=sku.title)


async def _use_benefits(buyer_id: int, group_id: int, view: CheckoutView) -> None:
    """The coupons and points this checkout was priced with, used up in the same transaction."""
    from app.coupons.checkout import use_coupons
    from app.membership.checkout import spend_points

    priced = view.priced
    if priced is None:
        return
    if priced.coupons.selected_ids:
        await use_coupons(buyer_id=buyer_id, user_coupon_ids=priced.coupons.selected_ids, group_id=group_id)
    if priced.points_used:
        await spend_points(user_id=buyer_id, points=priced.points_used, group_id=group_id)


async def _insert_order(
    group_id: int,
    buyer_id: int,
    shop: ShopCheckout,
    address: dict[str, Any] | None,
    pickup: dict[str, Any] | None,
    deadline: Any,
    now: Any,
    sources: dict[str, str],
) -> int:
    price = shop.price
    row = await fetchrow(
        'INSERT INTO shop_order (no, "group", shop, buyer, status, goods_fen, discount_fen, shipping_fen, total_fen, '
        "delivery, address, pickup_point, buyer_note, invoice, pay_deadline_at, created_at, updated_at) VALUES "
        "({}, {}, {}, {}, 'pending_payment', {}, {}, {}, {}, {}, {}::jsonb, {}::jsonb, {}, {}::jsonb, {}, {}, {}) "
        "RETURNING id",
        new_order_no(),
        group_id,
        shop.shop_id,
        buyer_id,
        price.goods_fen,
        price.discount_fen,
        price.shipping_fen,
        price.total_fen,
        shop.choice.delivery,
        json.dumps(address if shop.choice.delivery == "express" and address else {}, ensure_ascii=False),
        json.dumps(pickup or {}, ensure_ascii=False),
        shop.choice.note[:200],
        json.dumps(shop.choice.invoice.as_json() if shop.choice.invoice else {}, ensure_ascii=False),
        deadline,
        now,
        now,
    )
    assert row is not None
    order_id = row["id"]
    await OrderItem.insert(
        *[
            OrderItem(
                order=order_id,
                sku=sku.sku_id,
                product=sku.product_id,
                title=sku.title[:120],
                spec=sku.spec[:200],
                image_key=sku.image_key,
                unit_price_fen=line.unit_price_fen,
                quantity=qty,
                gross_fen=line.gross_fen,
                paid_fen=line.paid_fen,
                adjustments=[
                    {"reason": a.reason, "amount_fen": a.amount_fen, "bearer": a.bearer, "source": a.source}
                    for a in line.adjustments
                ],
                weight_g=sku.weight_g,
                stock_source=sources.get(line.key, ""),
            )
            for sku, qty, line in shop.lines
        ]
    )
    await fetch(
        'INSERT INTO order_event ("order", from_status, to_status, action, actor, actor_label, at) '
        "VALUES ({}, '', 'pending_payment', 'placed', {}, '', {})",
        order_id,
        buyer_id,
        now,
    )
    return int(order_id)


# ---------------------------------------------------------------------------------------------------------------
# payment, cancellation, timeout


async def group_for_payment(*, group_no: str, buyer_id: int) -> dict[str, Any]:
    """The buyer's own group (another buyer's is not found): id, no, status, total_fen, pay_deadline_at, orders."""
    row = await fetchrow(
        "SELECT id, no, status, total_fen, pay_deadline_at, paid_at, created_at FROM order_group "
        "WHERE no = {} AND buyer = {}",
        group_no,
        buyer_id,
    )
    if row is None:
        raise NotFound(GROUP_NOT_FOUND)
    orders = await fetch(
        "SELECT o.id, o.no, o.status, o.total_fen, s.name AS shop_name FROM shop_order o JOIN shop s ON s.id = o.shop "
        'WHERE o."group" = {} ORDER BY o.id',
        row["id"],
    )
    return {**row, "orders": orders}


def _pickup_code() -> str:
    return f"{secrets.randbelow(10**8):08d}"


async def mark_group_paid(*, group_id: int, amount_fen: int, payment_id: int | None = None, actor: Actor) -> str:
    """Called by payments inside its transaction when the gateway says the group was paid. Locks the group; returns
    "paid" (its orders are now paid), "already_paid" (a duplicate notice), "cancelled" (paid after the group was
    cancelled: the caller refunds) or "amount_mismatch" (nothing changes)."""
    if engine().current_transaction.get() is None:
        async with engine().transaction():
            return await mark_group_paid(group_id=group_id, amount_fen=amount_fen, payment_id=payment_id, actor=actor)
    group = await fetchrow("SELECT id, status, total_fen FROM order_group WHERE id = {} FOR UPDATE", group_id)
    if group is None:
        raise NotFound(GROUP_NOT_FOUND)
    if group["status"] == "paid":
        return "already_paid"
    if group["status"] == "cancelled":
        return "cancelled"
    if int(group["total_fen"]) != amount_fen:
        log.warning("group %s: paid %s fen, expected %s", group_id, amount_fen, group["total_fen"])
        return "amount_mismatch"
    now = clock.now()
    await fetch("UPDATE order_group SET status = 'paid', paid_at = {} WHERE id = {}", now, group_id)
    orders = await fetch(
        "SELECT id, shop, delivery FROM shop_order WHERE \"group\" = {} AND status = 'pending_payment' ORDER BY id",
        group_id,
    )
    for order in orders:
        extra: dict[str, object] = {"pickup_code": _pickup_code()} if order["delivery"] == "pickup" else {}
        await transition(order_id=order["id"], to="paid", action="paid", actor=actor, extra=extra)
    await fetch(
        "UPDATE product p SET sales_count = p.sales_count + q.n FROM (SELECT i.product, sum(i.quantity) AS n "
        'FROM order_item i JOIN shop_order o ON o.id = i."order" WHERE o."group" = {} GROUP BY i.product) q '
        "WHERE p.id = q.product",
        group_id,
    )
    from app.settlement.hooks import on_orders_paid

    await on_orders_paid([o["id"] for o in orders])
    await _notify_sellers([o["id"] for o in orders])
    return "paid"


async def _notify_sellers(order_ids: list[int]) -> None:
    from app.messaging.services import notify

    rows = await fetch(
        "SELECT o.id, o.no, st.user AS user_id FROM shop_order o JOIN shop_staff st ON st.shop = o.shop "
        "WHERE o.id = ANY({}::int[]) AND st.role IN ('owner', 'manager', 'warehouse')",
        order_ids,
    )
    for r in rows:
        await notify(
            user_id=r["user_id"],
            kind="order_paid",
            title=N_("New paid order %(no)s"),
            body=N_("Order %(no)s has been paid and is waiting to be shipped."),
            params={"no": r["no"]},
            link=f"/seller/orders/{r['id']}",
        )


async def restock(*, order_ids: Sequence[int]) -> None:
    """Give the stock of these orders' items back (in the caller's transaction) where it came from: SKUs in id
    order, then flash items (with the buyer's count), then gift promotions."""
    from app.flash.checkout import release_flash_stock
    from app.promotions.offers import return_gift_stock

    items = await fetch(
        'SELECT sku, product, sum(quantity) AS n FROM order_item WHERE "order" = ANY({}::int[]) '
        "AND stock_source = '' GROUP BY sku, product ORDER BY sku",
        list(order_ids),
    )
    for item in items:
        await fetch("UPDATE sku SET stock = stock + {} WHERE id = {}", int(item["n"]), item["sku"])
    special = await fetch(
        'SELECT i.stock_source, o.buyer, sum(i.quantity) AS n FROM order_item i JOIN shop_order o ON o.id = i."order" '
        "WHERE i.\"order\" = ANY({}::int[]) AND i.stock_source <> '' GROUP BY i.stock_source, o.buyer "
        "ORDER BY i.stock_source",
        list(order_ids),
    )
    for row in special:
        kind, _, ref = str(row["stock_source"]).partition(":")
        if kind == "flash":
            await release_flash_stock(buyer_id=row["buyer"], flash_item_id=int(ref), quantity=int(row["n"]))
        elif kind == "gift":
            await return_gift_stock(promotion_id=int(ref), quantity=int(row["n"]))
    if items:
        await _refresh_products(sorted({int(i["product"]) for i in items}))


async def _cancel_group(group_id: int, *, action: str, actor: Actor, reason: str) -> bool:
    """Cancel an unpaid group and all its orders, giving stock back. In the caller's transaction; False if the group
    is no longer unpaid (paid or cancelled meanwhile)."""
    group = await fetchrow("SELECT id, status FROM order_group WHERE id = {} FOR UPDATE", group_id)
    if group is None or group["status"] != "pending_payment":
        return False
    orders = await fetch(
        "SELECT id FROM shop_order WHERE \"group\" = {} AND status = 'pending_payment' ORDER BY id", group_id
    )
    for order in orders:
        await transition(
            order_id=order["id"],
            to="cancelled",
            action=action,
            actor=actor,
            reason=reason,
            extra={"cancel_reason": reason},
        )
    await fetch("UPDATE order_group SET status = 'cancelled' WHERE id = {}", group_id)
    await restock(order_ids=[o["id"] for o in orders])
    await _release_benefits(group_id)
    return True


async def _release_benefits(group_id: int) -> None:
    """An unpaid group was cancelled: its coupons become usable again and its points come back."""
    from app.coupons.checkout import release_coupons
    from app.membership.checkout import refund_points

    await release_coupons(group_id=group_id)
    await refund_points(group_id=group_id)


async def cancel_unpaid(*, buyer_id: int, order_id: int, actor: Actor, reason: str = "") -> int:
    """The buyer cancels an unpaid order: one payment covers the whole checkout, so every order of its group is
    cancelled together. Returns how many orders were cancelled. Someone else's order is not found."""
    from app.orders.errors import IllegalTransition, OrderNotFound

    row = await fetchrow('SELECT "group", status FROM shop_order WHERE id = {} AND buyer = {}', order_id, buyer_id)
    if row is None:
        raise OrderNotFound(N_("Order not found."))
    async with engine().transaction():
        count = await fetchrow(
            "SELECT count(*) AS n FROM shop_order WHERE \"group\" = {} AND status = 'pending_payment'", row["group"]
        )
        if not await _cancel_group(
            row["group"], action="cancelled_by_buyer", actor=actor, reason=reason or N_("Cancelled by the buyer")
        ):
            raise IllegalTransition(N_("This order has been paid or cancelled already."))
    return int(count["n"]) if count else 0


async def expire_unpaid(*, batch: int = 100) -> int:
    """The worker's sweep: cancel groups past their payment deadline and give their stock back. Safe with several
    workers (SKIP LOCKED) and against a payment arriving at the same moment (both lock the group)."""
    done = 0
    while True:
        async with engine().transaction():
            rows = await fetch(
                "SELECT id FROM order_group WHERE status = 'pending_payment' AND pay_deadline_at < {} "
                "ORDER BY id LIMIT {} FOR UPDATE SKIP LOCKED",
                clock.now(),
                batch,
            )
            for row in rows:
                if await _cancel_group(
                    row["id"], action="timeout", actor=SYSTEM, reason=N_("Not paid before the deadline")
                ):
                    done += 1
        if len(rows) < batch:
            return done


async def group_refunded_whole(order_id: int) -> bool:
    """Every order of this order's checkout is cancelled or refunded in full by after-sales (the platform coupon
    spread over them all may then come back)."""
    row = await fetchrow(
        "SELECT bool_and(o.status = 'cancelled' OR coalesce((SELECT sum(a.refunded_fen) FROM after_sale a "
        'WHERE a."order" = o.id), 0) >= (SELECT coalesce(sum(i.paid_fen), 0) FROM order_item i '
        'WHERE i."order" = o.id)) AS whole FROM shop_order o '
        'WHERE o."group" = (SELECT "group" FROM shop_order WHERE id = {})',
        order_id,
    )
    return bool(row and row["whole"])
