"""Shop and platform promotions as the engine sees them (stages A and B in app/promotions/context.py).
Owned by the promotions rules (limited-time discounts, member prices, multi-piece, bundles, full-reduction, gifts).
Each function loads the live rows in one query and hands them to the pure rules in app/promotions/rules.py."""

# ruff: noqa: S608 (fixed fragments: PROMO_COLUMNS; every value is a parameter)

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from app.core.db import fetch
from app.promotions import rules
from app.promotions.context import OrderOffers, PriceOffer, PricingContext
from app.promotions.rules import PRICE_KINDS, Promo, PromoSku, Tier

STAGE_B_KINDS = ("multi_piece", "bundle", "full_reduction", "full_discount", "gift")

# every column a Promo needs, and its SKUs as JSON (one round trip)
PROMO_COLUMNS = (
    "p.id, p.kind, p.name, p.shop, p.starts_at, p.ends_at, p.status, p.scope, p.scope_ids, p.tiers, "
    "p.bundle_price_fen, p.threshold_fen, p.gift_sku, p.gift_quantity, p.gift_stock, "
    "COALESCE((SELECT json_agg(json_build_object('sku', ps.sku, 'price_fen', ps.price_fen, 'percent', ps.percent, "
    "'min_level_rank', ps.min_level_rank, 'quantity', ps.quantity) ORDER BY ps.id) "
    "FROM promotion_sku ps WHERE ps.promotion = p.id), '[]') AS skus"
)


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def promo_from_row(row: dict[str, Any]) -> Promo:
    tiers = tuple(
        Tier(
            threshold_fen=int(t.get("threshold_fen", 0)),
            off_fen=int(t.get("off_fen", 0)),
            percent=int(t.get("percent", 0)),
            pieces=int(t.get("pieces", 0)),
        )
        for t in _json(row["tiers"]) or []
    )
    skus = tuple(
        PromoSku(
            sku_id=int(s["sku"]),
            price_fen=s.get("price_fen"),
            percent=s.get("percent"),
            min_level_rank=int(s.get("min_level_rank") or 0),
            quantity=int(s.get("quantity") or 1),
        )
        for s in _json(row.get("skus") or "[]")
    )
    return Promo(
        id=row["id"],
        kind=row["kind"],
        name=row["name"],
        shop_id=row["shop"],
        starts_at=row["starts_at"],
        ends_at=row["ends_at"],
        status=row["status"],
        scope=row["scope"],
        scope_ids=frozenset(int(i) for i in _json(row["scope_ids"]) or []),
        tiers=tiers,
        skus=skus,
        bundle_price_fen=row["bundle_price_fen"],
        threshold_fen=row["threshold_fen"],
        gift_sku_id=row["gift_sku"],
        gift_quantity=row["gift_quantity"],
        gift_stock=row["gift_stock"],
    )


async def live_promos_for_skus(*, sku_ids: list[int], kinds: tuple[str, ...], now: datetime) -> list[Promo]:
    if not sku_ids:
        return []
    rows = await fetch(
        f"SELECT {PROMO_COLUMNS} FROM promotion p WHERE p.status = 'active' AND p.kind = ANY({{}}::text[]) "
        "AND p.starts_at <= {} AND p.ends_at > {} "
        "AND p.id IN (SELECT promotion FROM promotion_sku WHERE sku = ANY({}::int[])) ORDER BY p.id",
        list(kinds),
        now,
        now,
        sku_ids,
    )
    return [promo_from_row(r) for r in rows]


async def live_promos_for_shops(*, shop_ids: list[int], kinds: tuple[str, ...], now: datetime) -> list[Promo]:
    """The live promotions of these shops and the platform's live campaigns."""
    rows = await fetch(
        f"SELECT {PROMO_COLUMNS} FROM promotion p WHERE p.status = 'active' AND p.kind = ANY({{}}::text[]) "
        "AND p.starts_at <= {} AND p.ends_at > {} AND (p.shop = ANY({}::int[]) OR p.shop IS NULL) ORDER BY p.id",
        list(kinds),
        now,
        now,
        shop_ids,
    )
    return [promo_from_row(r) for r in rows]


async def price_offers(ctx: PricingContext) -> list[PriceOffer]:
    """Stage A: lower unit prices (limited-time discounts, member prices for ctx.member.level_rank) for the lines
    of `ctx` that are on such a promotion now. At most one offer per line per promotion; the engine takes the
    lowest across all providers."""
    lines = [line for line in ctx.lines if line.flash_item_id is None]
    promos = await live_promos_for_skus(sku_ids=sorted({x.sku_id for x in lines}), kinds=PRICE_KINDS, now=ctx.now)
    if not promos:
        return []
    return rules.price_offers(promos, lines, member_rank=ctx.member.level_rank, now=ctx.now)


async def order_offers(ctx: PricingContext, values: dict[str, int]) -> OrderOffers:
    """Stage B over `values` (line key → fen still payable after stage A; flash lines are not in ctx):
    multi-piece, bundles, full-reduction tiers of shops (bearer shop) and platform campaigns (bearer platform,
    shop_id None), gifts, and the hints for the next tier."""
    lines = [line for line in ctx.lines if line.key in values]
    if not lines:
        return OrderOffers()
    promos = await live_promos_for_shops(shop_ids=sorted({x.shop_id for x in lines}), kinds=STAGE_B_KINDS, now=ctx.now)
    if not promos:
        return OrderOffers()
    return rules.order_offers(promos, lines, values, now=ctx.now)


async def take_gift_stock(*, promotion_id: int, sku_id: int, quantity: int) -> bool:
    """In the caller's transaction: one conditional UPDATE of the promotion's gift stock. False: none left."""
    if quantity <= 0:
        return False
    rows = await fetch(
        "UPDATE promotion SET gift_stock = gift_stock - {} WHERE id = {} AND gift_sku = {} AND gift_stock >= {} "
        "RETURNING id",
        quantity,
        promotion_id,
        sku_id,
        quantity,
    )
    return bool(rows)


async def return_gift_stock(*, promotion_id: int, quantity: int) -> None:
    """In the caller's transaction: an unpaid order with a gift was cancelled."""
    if quantity > 0:
        await fetch("UPDATE promotion SET gift_stock = gift_stock + {} WHERE id = {}", quantity, promotion_id)


async def product_promotions(*, product_id: int, now: datetime) -> list[Any]:
    """The promotions a product is in now, for its page (services.ProductPromotion rows; see services)."""
    from app.promotions import services

    return await services.product_promotions(product_id=product_id, now=now)


async def promotion_stats(*, promotion_id: int) -> Any:
    """Orders, GMV driven, cost and ROI of a promotion from paid orders (services.PromotionStats)."""
    from app.promotions import services

    return await services.promotion_stats(promotion_id=promotion_id)
