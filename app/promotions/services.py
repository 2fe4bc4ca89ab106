"""Promotions for the seller center (a shop's promotions) and the admin (platform campaigns): list, create, edit,
pause, resume, end; their statistics; what a product page shows; the sweep that ends promotions past their end.

`shop_id` None means the platform's campaigns. Every query is filtered by it, so another shop's promotion is
simply not found. Every change is audited in its transaction."""

# ruff: noqa: S608 (fixed fragments: PROMO_COLUMNS and owner clauses; every value is a parameter)

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.config import get_settings
from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.core.errors import DomainError, NotFound, ValidationFailed
from app.core.i18n import N_
from app.core.principal import Actor
from app.moderation.services import record_audit
from app.promotions import forms, rules
from app.promotions.offers import PROMO_COLUMNS, promo_from_row
from app.promotions.product_page import BundleItem as BundleItem  # re-exported: callers know services
from app.promotions.product_page import ProductPromotion as ProductPromotion
from app.promotions.product_page import product_promotions as product_promotions
from app.promotions.product_page import spec_text as _spec
from app.promotions.rules import Promo
from app.promotions.stats import PromotionStats as PromotionStats
from app.promotions.stats import promotion_stats as promotion_stats

NOT_FOUND = N_("This promotion does not exist.")
LIST_LIMIT = 200
TRANSITIONS = {  # action → (statuses it may start from, status it leads to)
    "activate": (("draft",), "active"),
    "pause": (("active",), "paused"),
    "resume": (("paused",), "active"),
    "end": (("draft", "active", "paused"), "ended"),
}


class IllegalChange(DomainError):
    code = "illegal_promotion_change"


def _tz() -> str:
    return get_settings().display_timezone


def _owner_sql(shop_id: int | None) -> tuple[str, list[Any]]:
    return ("p.shop = {}", [shop_id]) if shop_id is not None else ("p.shop IS NULL", [])


# ---------------------------------------------------------------------------------------------- reading
@dataclass(frozen=True, slots=True)
class PromotionRow:
    promo: Promo
    live: bool  # active and inside its window now
    upcoming: bool


async def list_promotions(*, shop_id: int | None, status: str = "", kind: str = "") -> list[PromotionRow]:
    where, args = _owner_sql(shop_id)
    if status in ("draft", "active", "paused", "ended"):
        where += " AND p.status = {}"
        args.append(status)
    if kind in rules.SHOP_KINDS:
        where += " AND p.kind = {}"
        args.append(kind)
    rows = await fetch(f"SELECT {PROMO_COLUMNS} FROM promotion p WHERE {where} ORDER BY p.id DESC LIMIT {LIST_LIMIT}",
                       *args)  # fmt: skip
    now = clock.now()
    promos = [promo_from_row(r) for r in rows]
    return [PromotionRow(p, p.live(now), p.status == "active" and p.starts_at > now) for p in promos]


async def status_counts(*, shop_id: int | None) -> dict[str, int]:
    where, args = _owner_sql(shop_id)
    rows = await fetch(f"SELECT p.status, count(*) AS n FROM promotion p WHERE {where} GROUP BY p.status", *args)
    return {r["status"]: int(r["n"]) for r in rows}


async def get_promotion(*, shop_id: int | None, promotion_id: int) -> Promo:
    where, args = _owner_sql(shop_id)
    row = await fetchrow(f"SELECT {PROMO_COLUMNS} FROM promotion p WHERE p.id = {{}} AND {where}", promotion_id, *args)
    if row is None:
        raise NotFound(NOT_FOUND)
    return promo_from_row(row)


@dataclass(frozen=True, slots=True)
class SkuChoice:
    id: int
    title: str
    spec: str
    price_fen: int
    stock: int
    product_id: int = 0


async def shop_skus(*, shop_id: int, limit: int = 200) -> list[SkuChoice]:
    """The shop's SKUs on sale, for the reference list beside the form."""
    rows = await fetch(
        "SELECT s.id, s.spec_values, s.price_fen, s.stock, p.title, p.id AS product FROM sku s "
        "JOIN product p ON p.id = s.product WHERE p.shop = {} AND p.status = 'active' "
        "ORDER BY p.id DESC, s.position, s.id LIMIT {}",
        shop_id,
        limit,
    )
    return [SkuChoice(r["id"], r["title"], _spec(r["spec_values"]), r["price_fen"], r["stock"], r["product"])
            for r in rows]  # fmt: skip


@dataclass(frozen=True, slots=True)
class CategoryChoice:
    id: int
    name_zh: str
    name_en: str
    level: int


async def categories_for_picker() -> list[CategoryChoice]:
    """The first two levels of the category tree, for the scope's reference list (a level includes its children)."""
    rows = await fetch("SELECT id, name_zh, name_en, level FROM category WHERE visible AND level <= 2 ORDER BY path")
    return [CategoryChoice(r["id"], r["name_zh"], r["name_en"], r["level"]) for r in rows]


async def sku_titles(*, sku_ids: list[int]) -> dict[int, SkuChoice]:
    if not sku_ids:
        return {}
    rows = await fetch(
        "SELECT s.id, s.spec_values, s.price_fen, s.stock, p.title FROM sku s JOIN product p ON p.id = s.product "
        "WHERE s.id = ANY({}::int[])",
        sku_ids,
    )
    return {r["id"]: SkuChoice(r["id"], r["title"], _spec(r["spec_values"]), r["price_fen"], r["stock"]) for r in rows}


# ---------------------------------------------------------------------------------------------- writing
async def _check_with_rows(data: forms.PromotionInput, *, shop_id: int | None) -> dict[str, str]:
    """The checks that need rows: SKUs of this shop and on sale, prices below the SKU's price, the gift SKU and
    its stock, categories and products of the scope."""
    errors: dict[str, str] = {}
    sku_ids = [s.sku_id for s in data.skus] + ([data.gift_sku_id] if data.gift_sku_id else [])
    found = {}
    if sku_ids and shop_id is not None:
        rows = await fetch(
            "SELECT s.id, s.price_fen, s.stock FROM sku s JOIN product p ON p.id = s.product "
            "WHERE s.id = ANY({}::int[]) AND p.shop = {} AND p.status = 'active'",
            sku_ids,
            shop_id,
        )
        found = {r["id"]: r for r in rows}
    missing = [s.sku_id for s in data.skus if s.sku_id not in found]
    if missing:
        errors["skus"] = N_("SKU %(sku)s is not one of your shop's SKUs on sale.")
        errors["_skus_params"] = str(missing[0])
    elif data.kind in rules.PRICE_KINDS:
        for sku in data.skus:
            row = found[sku.sku_id]
            if sku.price_fen is not None and sku.price_fen >= row["price_fen"]:
                errors["skus"] = N_("The price of SKU %(sku)s must be below its price now.")
                errors["_skus_params"] = str(sku.sku_id)
                break
    if data.kind == "bundle" and not errors:
        value = sum(found[s.sku_id]["price_fen"] * s.quantity for s in data.skus)
        if data.bundle_price_fen is not None and data.bundle_price_fen >= value:
            errors["bundle_price"] = N_("The bundle price must be below what its SKUs cost together.")
    if data.kind == "gift" and data.gift_sku_id:
        gift = found.get(data.gift_sku_id)
        if gift is None:
            errors["gift_sku"] = N_("The gift must be one of your shop's SKUs on sale.")
        elif data.gift_stock > gift["stock"]:
            errors["gift_stock"] = N_("The gift SKU has only %(stock)s in stock: give at most that many.")
            errors["_gift_stock_params"] = str(gift["stock"])
    if data.scope == "categories" and data.scope_ids:
        rows = await fetch("SELECT id FROM category WHERE id = ANY({}::int[])", list(data.scope_ids))
        if len(rows) != len(data.scope_ids):
            errors["scope_ids"] = N_("One of these categories does not exist.")
    if data.scope == "products" and data.scope_ids and shop_id is not None:
        rows = await fetch("SELECT id FROM product WHERE id = ANY({}::int[]) AND shop = {}", list(data.scope_ids),
                           shop_id)  # fmt: skip
        if len(rows) != len(data.scope_ids):
            errors["scope_ids"] = N_("One of these products is not in your shop.")
    return errors


class PromotionInvalid(ValidationFailed):
    """Field errors, some with parameters (which SKU, how much stock)."""

    def __init__(self, errors: dict[str, str], params: dict[str, dict[str, str]]) -> None:
        super().__init__(errors)
        self.field_params = params


def _raise(errors: dict[str, str]) -> None:
    params: dict[str, dict[str, str]] = {}
    if "_skus_params" in errors:
        params["skus"] = {"sku": errors.pop("_skus_params")}
    if "_gift_stock_params" in errors:
        params["gift_stock"] = {"stock": errors.pop("_gift_stock_params")}
    raise PromotionInvalid(errors, params)


def _snapshot(data: forms.PromotionInput | Promo) -> dict[str, Any]:
    tiers = [t.as_json() for t in data.tiers]
    skus = [
        {k: v for k, v in (("sku", s.sku_id), ("price_fen", s.price_fen), ("percent", s.percent),
                           ("min_level_rank", s.min_level_rank), ("quantity", s.quantity)) if v is not None}
        for s in data.skus
    ]  # fmt: skip
    return {
        "kind": data.kind,
        "name": data.name,
        "starts_at": data.starts_at.isoformat(),
        "ends_at": data.ends_at.isoformat(),
        "scope": data.scope,
        "scope_ids": sorted(data.scope_ids),
        "tiers": tiers,
        "skus": skus,
        "bundle_price_fen": data.bundle_price_fen,
        "threshold_fen": data.threshold_fen,
        "gift_sku": data.gift_sku_id,
        "gift_quantity": data.gift_quantity,
        "gift_stock": data.gift_stock,
    }


async def _write_skus(promotion_id: int, data: forms.PromotionInput) -> None:
    await fetch("DELETE FROM promotion_sku WHERE promotion = {}", promotion_id)
    for sku in data.skus:
        await fetch(
            "INSERT INTO promotion_sku (promotion, sku, price_fen, percent, min_level_rank, quantity) "
            "VALUES ({}, {}, {}, {}, {}, {})",
            promotion_id,
            sku.sku_id,
            sku.price_fen,
            sku.percent,
            sku.min_level_rank,
            sku.quantity,
        )


async def save_promotion(
    *, actor: Actor, shop_id: int | None, kind: str, form: dict[str, str], promotion_id: int | None = None,
    activate: bool = False,
) -> int:  # fmt: skip
    """Create (promotion_id None) or edit a promotion from its form. A new one is a draft unless `activate`.
    Raises PromotionInvalid with field errors; an ended promotion can no longer be edited."""
    parsed = forms.parse_promotion(kind, form, tz=_tz(), platform=shop_id is None)
    if isinstance(parsed, dict):
        _raise(parsed)
        raise AssertionError  # unreachable
    data = parsed
    if promotion_id is None and data.ends_at <= clock.now():
        _raise({"ends_at": N_("The end must be in the future.")})
    errors = await _check_with_rows(data, shop_id=shop_id)
    if errors:
        _raise(errors)
    tiers = json.dumps([t.as_json() for t in data.tiers])
    scope_ids = json.dumps(list(data.scope_ids))
    now = clock.now()
    async with engine().transaction():
        if promotion_id is None:
            row = await fetchrow(
                "INSERT INTO promotion (issuer, shop, kind, name, starts_at, ends_at, status, scope, scope_ids, tiers, "
                "bundle_price_fen, threshold_fen, gift_sku, gift_quantity, gift_stock, created_by, created_at, "
                "updated_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}::jsonb, {}::jsonb, {}, {}, {}, {}, {}, {}, "
                "{}, {}) RETURNING id",
                "platform" if shop_id is None else "shop",
                shop_id,
                data.kind,
                data.name,
                data.starts_at,
                data.ends_at,
                "active" if activate else "draft",
                data.scope,
                scope_ids,
                tiers,
                data.bundle_price_fen,
                data.threshold_fen,
                data.gift_sku_id,
                data.gift_quantity,
                data.gift_stock,
                actor.user_id,
                now,
                now,
            )
            assert row is not None
            promotion_id = int(row["id"])
            await _write_skus(promotion_id, data)
            await record_audit(actor=actor, action="promotion.create", target_type="promotion",
                               target_id=promotion_id, after={**_snapshot(data), "shop": shop_id})  # fmt: skip
            return promotion_id
        where, args = _owner_sql(shop_id)
        locked = await fetchrow(
            f"SELECT {PROMO_COLUMNS} FROM promotion p WHERE p.id = {{}} AND {where} FOR UPDATE", promotion_id, *args
        )
        if locked is None:
            raise NotFound(NOT_FOUND)
        before = promo_from_row(locked)
        if before.kind != data.kind:
            raise NotFound(NOT_FOUND)
        if before.status == "ended":
            raise IllegalChange(N_("An ended promotion can no longer be changed."))
        await fetch(
            "UPDATE promotion SET name = {}, starts_at = {}, ends_at = {}, scope = {}, scope_ids = {}::jsonb, "
            "tiers = {}::jsonb, bundle_price_fen = {}, threshold_fen = {}, gift_sku = {}, gift_quantity = {}, "
            "gift_stock = {}, updated_at = {} WHERE id = {}",
            data.name,
            data.starts_at,
            data.ends_at,
            data.scope,
            scope_ids,
            tiers,
            data.bundle_price_fen,
            data.threshold_fen,
            data.gift_sku_id,
            data.gift_quantity,
            data.gift_stock,
            now,
            promotion_id,
        )
        await _write_skus(promotion_id, data)
        await record_audit(actor=actor, action="promotion.update", target_type="promotion", target_id=promotion_id,
                           before=_snapshot(before), after=_snapshot(data))  # fmt: skip
    return promotion_id


async def change_status(*, actor: Actor, shop_id: int | None, promotion_id: int, action: str) -> str:
    """activate | pause | resume | end. Returns the new status; refuses a change that does not fit the current
    one (e.g. resuming an active promotion) with a clear message."""
    if action not in TRANSITIONS:
        raise NotFound(NOT_FOUND)
    starts, to = TRANSITIONS[action]
    where, args = _owner_sql(shop_id)
    async with engine().transaction():
        row = await fetchrow(
            f"SELECT p.id, p.status, p.ends_at FROM promotion p WHERE p.id = {{}} AND {where} FOR UPDATE",
            promotion_id,
            *args,
        )
        if row is None:
            raise NotFound(NOT_FOUND)
        if row["status"] not in starts:
            raise IllegalChange(N_("This promotion cannot be changed that way now."))
        if to == "active" and row["ends_at"] <= clock.now():
            raise IllegalChange(N_("This promotion is past its end: change the end first."))
        await fetch("UPDATE promotion SET status = {}, updated_at = {} WHERE id = {}", to, clock.now(), promotion_id)
        await record_audit(actor=actor, action=f"promotion.{action}", target_type="promotion", target_id=promotion_id,
                           before={"status": row["status"]}, after={"status": to})  # fmt: skip
    return to


# ---------------------------------------------------------------------------------------------- sweep
async def end_due(*, batch: int = 200) -> int:
    """The worker's sweep: promotions past their end become ended. Idempotent, safe with several workers."""
    done = 0
    while True:
        async with engine().transaction():
            rows = await fetch(
                "SELECT id, status FROM promotion WHERE status IN ('draft', 'active', 'paused') AND ends_at <= {} "
                "ORDER BY id LIMIT {} FOR UPDATE SKIP LOCKED",
                clock.now(),
                batch,
            )
            if rows:
                await fetch(
                    "UPDATE promotion SET status = 'ended', updated_at = {} WHERE id = ANY({}::int[])",
                    clock.now(),
                    [r["id"] for r in rows],
                )
                for row in rows:
                    await record_audit(actor=Actor(user_id=None, label="system"), action="promotion.end",
                                       target_type="promotion", target_id=row["id"], before={"status": row["status"]},
                                       after={"status": "ended"})  # fmt: skip
            done += len(rows)
        if len(rows) < batch:
            return done
