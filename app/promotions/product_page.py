"""What a product page shows of the promotions the product is in now (the lazy fragment /promotions/product/{id})."""

# ruff: noqa: S608 (fixed fragments: PROMO_COLUMNS; every value is a parameter)

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from app.core.db import fetch
from app.promotions import rules
from app.promotions.context import LineInfo
from app.promotions.offers import PROMO_COLUMNS, promo_from_row
from app.promotions.rules import Promo, Tier


def spec_text(values: Any) -> str:
    """A SKU's spec values as one line ("红 M")."""
    data = json.loads(values) if isinstance(values, str) else (values or {})
    return " ".join(str(v) for v in data.values())


_spec = spec_text


@dataclass(frozen=True, slots=True)
class BundleItem:
    title: str
    spec: str
    quantity: int


@dataclass(frozen=True, slots=True)
class ProductPromotion:
    id: int
    kind: str
    name: str
    platform: bool
    ends_at: datetime
    tiers: tuple[Tier, ...] = ()
    price_fen: int | None = None  # limited-time / member price: the lowest over the product's SKUs
    min_level_rank: int = 0
    bundle_items: tuple[BundleItem, ...] = ()
    bundle_price_fen: int | None = None
    bundle_value_fen: int = 0
    gift_title: str = ""
    gift_quantity: int = 1
    buy_quantity: int = 0  # gift: buy this many of this product
    threshold_fen: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


ORDER = {k: i for i, k in enumerate(("limited_time", "member_price", "full_reduction", "full_discount",
                                     "multi_piece", "bundle", "gift"))}  # fmt: skip


async def product_promotions(*, product_id: int, now: datetime) -> list[ProductPromotion]:
    """The promotions a product is in now, for its page: two indexed queries (three when a bundle or gift needs
    the names of other SKUs)."""
    scoped = await fetch(
        f"SELECT {PROMO_COLUMNS}, pr.shop AS product_shop, c.path FROM product pr "
        "JOIN category c ON c.id = pr.category JOIN promotion p ON (p.shop = pr.shop OR p.shop IS NULL) "
        "WHERE pr.id = {} AND p.status = 'active' AND p.starts_at <= {} AND p.ends_at > {} "
        "AND p.kind IN ('full_reduction', 'full_discount', 'multi_piece', 'gift') ORDER BY p.id",
        product_id,
        now,
        now,
    )
    by_sku = await fetch(
        f"SELECT {PROMO_COLUMNS} FROM promotion p WHERE p.status = 'active' AND p.starts_at <= {{}} "
        "AND p.ends_at > {} AND p.kind IN ('limited_time', 'member_price', 'bundle', 'gift') AND p.id IN "
        "(SELECT ps.promotion FROM promotion_sku ps JOIN sku s ON s.id = ps.sku WHERE s.product = {}) ORDER BY p.id",
        now,
        now,
        product_id,
    )
    promos: list[Promo] = []
    if scoped:
        path = scoped[0]["path"] or ""
        line = LineInfo("p", 0, product_id, scoped[0]["product_shop"],
                        tuple(int(c) for c in path.strip("/").split("/") if c), 0, 1)  # fmt: skip
        for row in scoped:
            promo = promo_from_row(row)
            if promo.covers(line) and not (promo.kind == "gift" and promo.skus):
                promos.append(promo)
    promos.extend(promo_from_row(r) for r in by_sku)
    if not promos:
        return []
    wanted = {s.sku_id for p in promos for s in p.skus} | {p.gift_sku_id for p in promos if p.gift_sku_id}
    skus = await fetch(
        "SELECT s.id, s.product, s.price_fen, s.spec_values, p.title FROM sku s JOIN product p ON p.id = s.product "
        "WHERE s.id = ANY({}::int[]) OR s.product = {}",
        sorted(wanted),
        product_id,
    )
    info = {r["id"]: r for r in skus}
    out: list[ProductPromotion] = []
    for p in promos:
        base = {"id": p.id, "kind": p.kind, "name": p.name, "platform": p.shop_id is None, "ends_at": p.ends_at}
        if p.kind in rules.PRICE_KINDS:
            prices = [rules.promo_unit_price(info[s.sku_id]["price_fen"], s) for s in p.skus
                      if s.sku_id in info and info[s.sku_id]["product"] == product_id]  # fmt: skip
            if prices:
                rank = max((s.min_level_rank for s in p.skus), default=0)
                out.append(ProductPromotion(**base, price_fen=min(prices), min_level_rank=rank))
        elif p.kind == "bundle":
            items = tuple(BundleItem(info[s.sku_id]["title"], _spec(info[s.sku_id]["spec_values"]), s.quantity)
                          for s in p.skus if s.sku_id in info)  # fmt: skip
            value = sum(info[s.sku_id]["price_fen"] * s.quantity for s in p.skus if s.sku_id in info)
            out.append(ProductPromotion(**base, bundle_items=items, bundle_price_fen=p.bundle_price_fen,
                                        bundle_value_fen=value))  # fmt: skip
        elif p.kind == "gift":
            gift = info.get(p.gift_sku_id or 0)
            if gift is None or p.gift_stock <= 0:
                continue
            buy = min((s.quantity for s in p.skus if s.sku_id in info and info[s.sku_id]["product"] == product_id),
                      default=0)  # fmt: skip
            out.append(ProductPromotion(**base, gift_title=gift["title"], gift_quantity=p.gift_quantity,
                                        buy_quantity=buy, threshold_fen=p.threshold_fen))  # fmt: skip
        else:
            out.append(ProductPromotion(**base, tiers=p.tiers))
    out.sort(key=lambda x: (ORDER[x.kind], x.id))
    return out
