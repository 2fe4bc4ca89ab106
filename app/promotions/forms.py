"""Reading a promotion form: every field of every kind, with a msgid per wrong field. The checks that need the
database (SKUs of the shop, prices below the SKU's price, categories that exist) are in services.py.

Fields: name, starts_at, ends_at (datetime-local in the display time zone); tiers as rows t1_threshold, t1_off,
t1_percent, t1_pieces … (blank rows ignored); scope and scope_ids ("12, 15"); skus, a textarea with one SKU per
line ("1234 59.90", "1234 85%" for prices, "1234 2" for quantities); bundle_price; min_level_rank; gift:
threshold, gift_sku, gift_quantity, gift_stock."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from app.core.errors import DomainError
from app.core.i18n import N_
from app.core.money import parse_yuan, plain_yuan
from app.promotions import rules
from app.promotions.rules import PromoSku, Tier

TIER_ROWS = 4
DT_FORMAT = "%Y-%m-%dT%H:%M"
MAX_SKUS = 50


@dataclass(frozen=True, slots=True)
class PromotionInput:
    kind: str
    name: str
    starts_at: datetime
    ends_at: datetime
    scope: str = "all"
    scope_ids: tuple[int, ...] = ()
    tiers: tuple[Tier, ...] = ()
    skus: tuple[PromoSku, ...] = ()
    bundle_price_fen: int | None = None
    threshold_fen: int | None = None
    gift_sku_id: int | None = None
    gift_quantity: int = 1
    gift_stock: int = 0


def parse_dt(text: str, tz: str) -> datetime | None:
    try:
        return datetime.strptime((text or "").strip()[:16], DT_FORMAT).replace(tzinfo=ZoneInfo(tz))
    except ValueError:
        return None


def format_dt(value: datetime | None, tz: str) -> str:
    return value.astimezone(ZoneInfo(tz)).strftime(DT_FORMAT) if value else ""


def _int(text: str, low: int, high: int) -> int | None:
    text = (text or "").strip()
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        return None
    value = int(text)
    return value if low <= value <= high else None


def _yuan(text: str) -> int:
    """Fen from a form amount; raises DomainError with the money module's message."""
    return parse_yuan(text)


def _tiers(kind: str, form: dict[str, str], errors: dict[str, str]) -> tuple[Tier, ...]:
    tiers: list[Tier] = []
    for i in range(1, TIER_ROWS + 1):
        raw = {k: form.get(f"t{i}_{k}", "").strip() for k in ("threshold", "off", "percent", "pieces")}
        if kind == "full_reduction" and not (raw["threshold"] or raw["off"]):
            continue
        if kind == "full_discount" and not (raw["threshold"] or raw["percent"]):
            continue
        if kind == "multi_piece" and not (raw["pieces"] or raw["percent"]):
            continue
        try:
            threshold = _yuan(raw["threshold"]) if kind in rules.TIER_KINDS else 0
            off = _yuan(raw["off"]) if kind == "full_reduction" else 0
        except DomainError as exc:
            errors["tiers"] = exc.message
            return ()
        percent = pieces = 0
        if kind in ("full_discount", "multi_piece"):
            percent = _int(raw["percent"], 1, 99) or 0
            if not percent:
                errors["tiers"] = N_("A percentage is between 1 and 99.")
                return ()
        if kind == "multi_piece":
            pieces = _int(raw["pieces"], 2, 999) or 0
            if not pieces:
                errors["tiers"] = N_("A multi-piece tier starts at 2 pieces.")
                return ()
        tiers.append(Tier(threshold_fen=threshold, off_fen=off, percent=percent, pieces=pieces))
    problem = rules.check_tiers(kind, tiers)
    if problem:
        errors["tiers"] = problem
    return tuple(tiers)


def _sku_lines(kind: str, text: str, errors: dict[str, str]) -> tuple[PromoSku, ...]:
    skus: list[PromoSku] = []
    seen: set[int] = set()
    for raw in (text or "").splitlines():
        parts = [p for p in re.split(r"[\s,，=×xX*]+", raw.strip()) if p]
        if not parts:
            continue
        sku_id = _int(parts[0], 1, 2_000_000_000)
        if sku_id is None or len(parts) > 2 or (kind in rules.PRICE_KINDS and len(parts) != 2):
            errors["skus"] = N_("Write one SKU per line: its number, then the price or the quantity.")
            return ()
        if sku_id in seen:
            errors["skus"] = N_("A SKU appears twice.")
            return ()
        seen.add(sku_id)
        value = parts[1] if len(parts) == 2 else "1"
        if kind in rules.PRICE_KINDS:
            if value.endswith(("%", "％")):
                percent = _int(value[:-1], 1, 99)
                if percent is None:
                    errors["skus"] = N_("A percentage is between 1 and 99.")
                    return ()
                skus.append(PromoSku(sku_id, percent=percent))
            else:
                try:
                    price = _yuan(value)
                except DomainError as exc:
                    errors["skus"] = exc.message
                    return ()
                if price <= 0:
                    errors["skus"] = N_("A promotion price is above zero.")
                    return ()
                skus.append(PromoSku(sku_id, price_fen=price))
        else:
            quantity = _int(value, 1, 99)
            if quantity is None:
                errors["skus"] = N_("A quantity is a whole number from 1 to 99.")
                return ()
            skus.append(PromoSku(sku_id, quantity=quantity))
    if len(skus) > MAX_SKUS:
        errors["skus"] = N_("At most 50 SKUs per promotion.")
    if not skus and kind in ("limited_time", "member_price", "bundle"):
        errors["skus"] = N_("Add at least one SKU.")
    if kind == "bundle" and len(skus) == 1 and skus[0].quantity == 1:
        errors["skus"] = N_("A bundle has more than one piece.")
    return tuple(skus)


def parse_promotion(kind: str, form: dict[str, str], *, tz: str, platform: bool) -> PromotionInput | dict[str, str]:
    """The input, or {field: msgid} when anything is wrong."""
    errors: dict[str, str] = {}
    allowed = rules.PLATFORM_KINDS if platform else rules.SHOP_KINDS
    if kind not in allowed:
        return {"kind": N_("Choose a kind of promotion.")}
    name = " ".join((form.get("name") or "").split())
    if not name:
        errors["name"] = N_("Enter a name.")
    elif len(name) > 64:
        errors["name"] = N_("At most 64 characters.")
    starts_at, ends_at = parse_dt(form.get("starts_at", ""), tz), parse_dt(form.get("ends_at", ""), tz)
    errors.update(rules.check_window(starts_at, ends_at))

    scope, scope_ids = "all", ()
    if kind in (*rules.TIER_KINDS, "multi_piece", "gift"):
        scope = form.get("scope", "all")
        allowed_scopes = ("all", "categories") if platform else ("all", "categories", "products")
        if scope not in allowed_scopes:
            errors["scope"] = N_("Choose what the promotion covers.")
        elif scope != "all":
            ids = [p for p in re.split(r"[\s,，]+", form.get("scope_ids", "")) if p]
            parsed = [_int(p, 1, 2_000_000_000) for p in ids]
            if not parsed or None in parsed:
                errors["scope_ids"] = N_("Enter the numbers of the categories or products, separated by commas.")
            else:
                scope_ids = tuple(dict.fromkeys(p for p in parsed if p is not None))

    tiers = _tiers(kind, form, errors) if kind in (*rules.TIER_KINDS, "multi_piece") else ()
    skus = _sku_lines(kind, form.get("skus", ""), errors) if kind in rules.SKU_KINDS else ()

    if kind == "member_price":
        rank = _int(form.get("min_level_rank", ""), 1, 99)
        if rank is None:
            errors["min_level_rank"] = N_("Enter a member level from 1 up.")
        else:
            skus = tuple(PromoSku(s.sku_id, s.price_fen, s.percent, rank, s.quantity) for s in skus)

    bundle_price = threshold = gift_sku = None
    gift_quantity, gift_stock = 1, 0
    if kind == "bundle":
        try:
            bundle_price = _yuan(form.get("bundle_price", ""))
            if bundle_price <= 0:
                errors["bundle_price"] = N_("A bundle price is above zero.")
        except DomainError as exc:
            errors["bundle_price"] = exc.message
    if kind == "gift":
        if form.get("threshold", "").strip():
            try:
                threshold = _yuan(form.get("threshold", ""))
                if threshold <= 0:
                    errors["threshold"] = N_("Enter an amount above zero.")
            except DomainError as exc:
                errors["threshold"] = exc.message
        if bool(skus) == bool(threshold) and "threshold" not in errors and "skus" not in errors:
            errors["skus"] = N_("Give either the SKUs to buy or an amount to spend, not both.")
        gift_sku = _int(form.get("gift_sku", ""), 1, 2_000_000_000)
        if gift_sku is None:
            errors["gift_sku"] = N_("Enter the number of the gift SKU.")
        quantity = _int(form.get("gift_quantity", ""), 1, 99)
        if quantity is None:
            errors["gift_quantity"] = N_("A quantity is a whole number from 1 to 99.")
        stock = _int(form.get("gift_stock", ""), 0, 1_000_000)
        if stock is None:
            errors["gift_stock"] = N_("Enter how many gifts you can give (0 or more).")
        gift_quantity, gift_stock = quantity or 1, stock or 0

    if errors or starts_at is None or ends_at is None:
        return errors or {"starts_at": N_("Enter a start date and time.")}
    return PromotionInput(
        kind=kind,
        name=name,
        starts_at=starts_at,
        ends_at=ends_at,
        scope=scope,
        scope_ids=scope_ids,
        tiers=tiers,
        skus=skus,
        bundle_price_fen=bundle_price,
        threshold_fen=threshold,
        gift_sku_id=gift_sku,
        gift_quantity=gift_quantity,
        gift_stock=gift_stock,
    )


def form_of(promo: rules.Promo, tz: str) -> dict[str, str]:
    """A saved promotion as the form's fields, for editing."""
    form: dict[str, str] = {
        "kind": promo.kind,
        "name": promo.name,
        "starts_at": format_dt(promo.starts_at, tz),
        "ends_at": format_dt(promo.ends_at, tz),
        "scope": promo.scope,
        "scope_ids": ", ".join(str(i) for i in sorted(promo.scope_ids)),
    }
    for i, tier in enumerate(promo.tiers, start=1):
        form[f"t{i}_threshold"] = plain_yuan(tier.threshold_fen) if tier.threshold_fen else ""
        form[f"t{i}_off"] = plain_yuan(tier.off_fen) if tier.off_fen else ""
        form[f"t{i}_percent"] = str(tier.percent) if tier.percent else ""
        form[f"t{i}_pieces"] = str(tier.pieces) if tier.pieces else ""
    lines = []
    for sku in promo.skus:
        if promo.kind in rules.PRICE_KINDS:
            value = f"{sku.percent}%" if sku.percent is not None else plain_yuan(sku.price_fen or 0)
        else:
            value = str(sku.quantity)
        lines.append(f"{sku.sku_id} {value}")
        if sku.min_level_rank:
            form["min_level_rank"] = str(sku.min_level_rank)
    form["skus"] = "\n".join(lines)
    if promo.bundle_price_fen is not None:
        form["bundle_price"] = plain_yuan(promo.bundle_price_fen)
    if promo.threshold_fen:
        form["threshold"] = plain_yuan(promo.threshold_fen)
    if promo.gift_sku_id:
        form["gift_sku"] = str(promo.gift_sku_id)
        form["gift_quantity"] = str(promo.gift_quantity)
        form["gift_stock"] = str(promo.gift_stock)
    return form
