"""Shipping templates (运费模板) and pickup points (自提点) of a shop.

Read by the checkout: shipping_templates() maps shop ids to the pricing engine's ShippingTemplate (a shop without
a template ships free, so it is simply absent), pickup_points() lists each shop's points and
pickup_point_snapshot() is what an order keeps of the chosen one.

Changed by the seller center (permission "shop.settings", checked here as well as by the route guard): every
change is audited in the same transaction. A shop's other rows are always looked up with its id, so another
shop's pickup point is "not found"."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from app.accounts import regions
from app.accounts.addresses import place_errors, region_text
from app.core import clock
from app.core.db import engine, fetchrow
from app.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.core.i18n import N_
from app.core.money import InvalidAmount, parse_yuan
from app.core.principal import Actor
from app.moderation.services import record_audit
from app.promotions import pricing
from app.sellers.permissions import has_permission
from app.sellers.tables import PickupPoint, ShippingTemplate, ShopStaff

MODES = ("flat", "weight")
MAX_PICKUP_POINTS = 20  # active ones per shop
MAX_FEE_FEN = 100_000_00  # ¥100,000: a fee or threshold above this is a typo
MAX_WEIGHT_G = 1_000_000  # 1 tonne
NAME_MAX, HOURS_MAX = 30, 60

NOT_ALLOWED = N_("Your role may not change the shop's delivery settings.")
POINT_NOT_FOUND = N_("This pickup point does not exist.")
TOO_MANY_POINTS = N_("A shop can have at most %(num)s pickup points. Deactivate one first.")
CHOOSE_MODE = N_("Choose how the fee is worked out.")
AMOUNT_TOO_LARGE = N_("This amount is too large.")
ENTER_WEIGHT = N_("Enter a weight in kg, such as 1 or 0.5.")
WEIGHT_RANGE = N_("Enter a weight between 0.001 and 1000 kg.")
UNKNOWN_PROVINCE = N_("Choose provinces from the list.")
ENTER_POINT_NAME = N_("Enter the pickup point's name.")
POINT_NAME_TOO_LONG = N_("The name can have at most 30 characters.")
ENTER_PHONE = N_("Enter a contact number: a mobile number, or a landline such as 021-12345678.")
ENTER_HOURS = N_("Enter the opening hours, e.g. 每天 9:00-21:00.")
HOURS_TOO_LONG = N_("The opening hours can have at most 60 characters.")

_PHONE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,6})?|400-?\d{3}-?\d{4})$")


# ---------------------------------------------------------------- views
@dataclass(frozen=True, slots=True)
class TemplateView:
    """The shop's template as the seller's form shows it (fen and grams)."""

    mode: str
    flat_fen: int
    free_over_fen: int | None
    first_weight_g: int
    first_fen: int
    extra_weight_g: int
    extra_fen: int
    excluded_regions: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PickupPointView:
    id: int
    shop_id: int
    name: str
    province_code: str
    city_code: str
    district_code: str
    detail: str
    phone: str
    hours: str
    active: bool

    @property
    def address(self) -> str:
        """One line: '上海市 浦东新区 世纪大道 100 号'."""
        return f"{region_text(self.province_code, self.city_code, self.district_code)} {self.detail}".strip()


def _pricing_template(row: dict[str, Any]) -> pricing.ShippingTemplate:
    return pricing.ShippingTemplate(
        mode=row["mode"],
        flat_fen=row["flat_fen"],
        free_over_fen=row["free_over_fen"],
        first_weight_g=row["first_weight_g"],
        first_fen=row["first_fen"],
        extra_weight_g=row["extra_weight_g"],
        extra_fen=row["extra_fen"],
        excluded_regions=frozenset(_regions(row["excluded_regions"])),
    )


def _regions(raw: Any) -> list[str]:
    value = json.loads(raw) if isinstance(raw, str) else raw
    return [str(code) for code in value or []]


def _point(row: dict[str, Any]) -> PickupPointView:
    return PickupPointView(
        id=row["id"],
        shop_id=row["shop"],
        name=row["name"],
        province_code=row["province"],
        city_code=row["city"],
        district_code=row["district"],
        detail=row["detail"],
        phone=row["phone"],
        hours=row["hours"],
        active=row["active"],
    )


# ---------------------------------------------------------------- reading (checkout)
async def shipping_templates(shop_ids: list[int] | tuple[int, ...] | set[int]) -> dict[int, pricing.ShippingTemplate]:
    """Shop id → the pricing engine's template; shops without one are absent (free shipping)."""
    ids = sorted({int(i) for i in shop_ids})
    if not ids:
        return {}
    rows = await ShippingTemplate.select().where(ShippingTemplate.shop.is_in(ids))
    return {row["shop"]: _pricing_template(row) for row in rows}


async def pickup_points(
    shop_ids: list[int] | tuple[int, ...] | set[int], *, active_only: bool = True
) -> dict[int, list[PickupPointView]]:
    """Shop id → its pickup points (oldest first); shops without any are absent."""
    ids = sorted({int(i) for i in shop_ids})
    if not ids:
        return {}
    query = PickupPoint.select().where(PickupPoint.shop.is_in(ids))
    if active_only:
        query = query.where(PickupPoint.active.eq(True))
    out: dict[int, list[PickupPointView]] = {}
    for row in await query.order_by(PickupPoint.id):
        out.setdefault(row["shop"], []).append(_point(row))
    return out


async def pickup_point_snapshot(*, shop_id: int, point_id: int) -> dict[str, Any] | None:
    """What an order keeps of its pickup point; None unless it is an active point of that shop."""
    row = (
        await PickupPoint.select()
        .where((PickupPoint.id == point_id) & (PickupPoint.shop == shop_id) & (PickupPoint.active.eq(True)))
        .first()
    )
    if row is None:
        return None
    point = _point(row)
    return {"id": point.id, "name": point.name, "address": point.address, "hours": point.hours, "phone": point.phone}


# ---------------------------------------------------------------- reading (seller center)
async def get_template(*, shop_id: int) -> TemplateView | None:
    row = await ShippingTemplate.select().where(ShippingTemplate.shop == shop_id).first()
    if row is None:
        return None
    t = _pricing_template(row)
    return TemplateView(
        t.mode,
        t.flat_fen,
        t.free_over_fen,
        t.first_weight_g,
        t.first_fen,
        t.extra_weight_g,
        t.extra_fen,
        tuple(_regions(row["excluded_regions"])),
    )


async def get_pickup_point(*, shop_id: int, point_id: int) -> PickupPointView:
    row = await PickupPoint.select().where((PickupPoint.id == point_id) & (PickupPoint.shop == shop_id)).first()
    if row is None:
        raise NotFound(POINT_NOT_FOUND)
    return _point(row)


# ---------------------------------------------------------------- input parsing (pure)
def parse_kg(text: str) -> int:
    """'1' → 1000 g, '0.5' → 500 g; a clear message otherwise."""
    cleaned = (text or "").strip().lower().removesuffix("kg").strip()
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        raise DomainError(ENTER_WEIGHT) from None
    if not value.is_finite():
        raise DomainError(ENTER_WEIGHT)
    grams = value * 1000
    if grams != grams.to_integral_value() or grams < 1 or grams > MAX_WEIGHT_G:
        raise DomainError(WEIGHT_RANGE)
    return int(grams)


def parse_template_form(form: dict[str, str], excluded: list[str]) -> dict[str, Any]:
    """The seller's form (yuan and kg as typed) → save_shipping_template()'s arguments; ValidationFailed with
    every wrong field at once. Fields the chosen mode does not use may be left empty."""
    errors: dict[str, str] = {}
    mode = form.get("mode", "")
    if mode not in MODES:
        errors["mode"] = CHOOSE_MODE

    def money(name: str, *, required: bool) -> int | None:
        text = form.get(name, "").strip()
        if not text:
            if required:
                errors[name] = N_("Enter an amount such as 12.30")
            return None
        try:
            fen = parse_yuan(text)
        except InvalidAmount as exc:
            errors[name] = exc.message
            return None
        if fen > MAX_FEE_FEN:
            errors[name] = AMOUNT_TOO_LARGE
            return None
        return fen

    def weight(name: str, *, required: bool) -> int | None:
        text = form.get(name, "").strip()
        if not text:
            if required:
                errors[name] = ENTER_WEIGHT
            return None
        try:
            return parse_kg(text)
        except DomainError as exc:
            errors[name] = exc.message
            return None

    by_weight = mode == "weight"
    values = {
        "mode": mode,
        "flat_fen": money("flat_fen", required=mode == "flat"),
        "free_over_fen": money("free_over_fen", required=False),
        "first_weight_g": weight("first_weight_g", required=by_weight),
        "first_fen": money("first_fen", required=by_weight),
        "extra_weight_g": weight("extra_weight_g", required=by_weight),
        "extra_fen": money("extra_fen", required=by_weight),
    }
    codes = sorted({code.strip() for code in excluded if code.strip()})
    if any(getattr(regions.get(code), "level", 0) != 1 for code in codes):
        errors["excluded_regions"] = UNKNOWN_PROVINCE
    if errors:
        raise ValidationFailed(errors)
    defaults = pricing.ShippingTemplate()
    for name in ("flat_fen", "first_weight_g", "first_fen", "extra_weight_g", "extra_fen"):
        if values[name] is None:  # a field the chosen mode does not use, left empty
            values[name] = getattr(defaults, name)
    values["excluded_regions"] = codes
    return values


def clean_pickup_point(
    *, name: str, province: str, city: str, district: str, detail: str, phone: str, hours: str
) -> dict[str, str]:
    errors: dict[str, str] = {}
    name = " ".join((name or "").split())
    hours = " ".join((hours or "").split())
    detail = " ".join((detail or "").split())
    province, city, district = (province or "").strip(), (city or "").strip(), (district or "").strip()
    number = re.sub(r"\s", "", phone or "")
    if not name:
        errors["name"] = ENTER_POINT_NAME
    elif len(name) > NAME_MAX:
        errors["name"] = POINT_NAME_TOO_LONG
    # the region and detail rules are the address book's
    errors.update(place_errors(province=province, city=city, district=district, detail=detail))
    if not _PHONE.match(number):
        errors["phone"] = ENTER_PHONE
    if not hours:
        errors["hours"] = ENTER_HOURS
    elif len(hours) > HOURS_MAX:
        errors["hours"] = HOURS_TOO_LONG
    if errors:
        raise ValidationFailed(errors)
    return {
        "name": name,
        "province": province,
        "city": city,
        "district": district,
        "detail": detail,
        "phone": number,
        "hours": hours,
    }


# ---------------------------------------------------------------- changing (seller center)
async def _require_settings(*, actor: Actor, shop_id: int) -> None:
    """The actor must hold "shop.settings" in this shop (checked here too, not only by the route guard)."""
    row = (
        await ShopStaff.select(ShopStaff.role)
        .where((ShopStaff.shop == shop_id) & (ShopStaff.user == actor.user_id))
        .first()
    )
    if row is None or not has_permission(row["role"], "shop.settings"):
        raise Forbidden(NOT_ALLOWED)


def _check_template(values: dict[str, Any]) -> None:
    """The service's own guard (callers other than the form): sane numbers and real provinces."""
    if values["mode"] not in MODES:
        raise ValidationFailed({"mode": CHOOSE_MODE})
    for name in ("flat_fen", "first_fen", "extra_fen", "free_over_fen"):
        fen = values[name]
        if fen is not None and not (isinstance(fen, int) and 0 <= fen <= MAX_FEE_FEN):
            raise ValidationFailed({name: AMOUNT_TOO_LARGE})
    for name in ("first_weight_g", "extra_weight_g"):
        grams = values[name]
        if not (isinstance(grams, int) and 1 <= grams <= MAX_WEIGHT_G):
            raise ValidationFailed({name: WEIGHT_RANGE})
    if any(getattr(regions.get(code), "level", 0) != 1 for code in values["excluded_regions"]):
        raise ValidationFailed({"excluded_regions": UNKNOWN_PROVINCE})


async def save_shipping_template(
    *,
    actor: Actor,
    shop_id: int,
    mode: str,
    flat_fen: int = 0,
    free_over_fen: int | None = None,
    first_weight_g: int = 1000,
    first_fen: int = 0,
    extra_weight_g: int = 1000,
    extra_fen: int = 0,
    excluded_regions: list[str] | tuple[str, ...] = (),
) -> None:
    """Create or replace the shop's template."""
    values = {
        "mode": mode,
        "flat_fen": flat_fen,
        "free_over_fen": free_over_fen,
        "first_weight_g": first_weight_g,
        "first_fen": first_fen,
        "extra_weight_g": extra_weight_g,
        "extra_fen": extra_fen,
        "excluded_regions": sorted(set(excluded_regions)),
    }
    _check_template(values)
    async with engine().transaction():
        await _require_settings(actor=actor, shop_id=shop_id)
        before = await fetchrow(
            "SELECT mode, flat_fen, free_over_fen, first_weight_g, first_fen, extra_weight_g, extra_fen, "
            "excluded_regions FROM shipping_template WHERE shop = {} FOR UPDATE",
            shop_id,
        )
        data = {**values, "excluded_regions": json.dumps(values["excluded_regions"])}
        await fetchrow(
            "INSERT INTO shipping_template (shop, mode, flat_fen, free_over_fen, first_weight_g, first_fen, "
            "extra_weight_g, extra_fen, excluded_regions, updated_at) "
            "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}::jsonb, {}) "
            "ON CONFLICT (shop) DO UPDATE SET mode = EXCLUDED.mode, flat_fen = EXCLUDED.flat_fen, "
            "free_over_fen = EXCLUDED.free_over_fen, first_weight_g = EXCLUDED.first_weight_g, "
            "first_fen = EXCLUDED.first_fen, extra_weight_g = EXCLUDED.extra_weight_g, "
            "extra_fen = EXCLUDED.extra_fen, excluded_regions = EXCLUDED.excluded_regions, "
            "updated_at = EXCLUDED.updated_at RETURNING id",
            shop_id,
            data["mode"],
            data["flat_fen"],
            data["free_over_fen"],
            data["first_weight_g"],
            data["first_fen"],
            data["extra_weight_g"],
            data["extra_fen"],
            data["excluded_regions"],
            clock.now(),
        )
        await record_audit(
            actor=actor,
            action="shop.shipping_template",
            target_type="shop",
            target_id=shop_id,
            before={**before, "excluded_regions": _regions(before["excluded_regions"])} if before else None,
            after=values,
        )


async def add_pickup_point(
    *, actor: Actor, shop_id: int, name: str, province: str, city: str, district: str, detail: str, phone: str,
    hours: str,
) -> int:  # fmt: skip
    values = clean_pickup_point(
        name=name, province=province, city=city, district=district, detail=detail, phone=phone, hours=hours
    )
    async with engine().transaction():
        await _require_settings(actor=actor, shop_id=shop_id)
        await _lock_shop(shop_id)
        await _check_room(shop_id)
        now = clock.now()
        point_id = (
            await PickupPoint.insert(PickupPoint(shop=shop_id, **values, created_at=now, updated_at=now)).returning(
                PickupPoint.id
            )
        )[0]["id"]
        await record_audit(
            actor=actor,
            action="shop.pickup_point_add",
            target_type="shop",
            target_id=shop_id,
            after={"id": point_id, **values},
        )
    return int(point_id)


async def update_pickup_point(
    *, actor: Actor, shop_id: int, point_id: int, name: str, province: str, city: str, district: str, detail: str,
    phone: str, hours: str,
) -> None:  # fmt: skip
    values = clean_pickup_point(
        name=name, province=province, city=city, district=district, detail=detail, phone=phone, hours=hours
    )
    async with engine().transaction():
        await _require_settings(actor=actor, shop_id=shop_id)
        before = await _lock_point(shop_id, point_id)
        await PickupPoint.update(
            {**{getattr(PickupPoint, k): v for k, v in values.items()}, PickupPoint.updated_at: clock.now()}
        ).where((PickupPoint.id == point_id) & (PickupPoint.shop == shop_id))
        await record_audit(
            actor=actor,
            action="shop.pickup_point_edit",
            target_type="shop",
            target_id=shop_id,
            before={"id": point_id, **{k: before[k] for k in values}},
            after={"id": point_id, **values},
        )


async def set_pickup_point_active(*, actor: Actor, shop_id: int, point_id: int, active: bool) -> None:
    """Deactivate a point (buyers can no longer choose it) or bring it back (within the cap)."""
    async with engine().transaction():
        await _require_settings(actor=actor, shop_id=shop_id)
        await _lock_shop(shop_id)
        before = await _lock_point(shop_id, point_id)
        if before["active"] == active:
            return
        if active:
            await _check_room(shop_id)
        await PickupPoint.update({PickupPoint.active: active, PickupPoint.updated_at: clock.now()}).where(
            (PickupPoint.id == point_id) & (PickupPoint.shop == shop_id)
        )
        await record_audit(
            actor=actor,
            action="shop.pickup_point_activate" if active else "shop.pickup_point_deactivate",
            target_type="shop",
            target_id=shop_id,
            before={"id": point_id, "active": before["active"]},
            after={"id": point_id, "active": active},
        )


async def deactivate_pickup_point(*, actor: Actor, shop_id: int, point_id: int) -> None:
    await set_pickup_point_active(actor=actor, shop_id=shop_id, point_id=point_id, active=False)


async def _lock_shop(shop_id: int) -> None:
    """Serialise changes of one shop's pickup points, so the cap holds under concurrent adds."""
    await fetchrow("SELECT id FROM shop WHERE id = {} FOR NO KEY UPDATE", shop_id)


async def _lock_point(shop_id: int, point_id: int) -> dict[str, Any]:
    row = await fetchrow(
        "SELECT id, name, province, city, district, detail, phone, hours, active FROM pickup_point "
        "WHERE id = {} AND shop = {} FOR UPDATE",
        point_id,
        shop_id,
    )
    if row is None:
        raise NotFound(POINT_NOT_FOUND)
    return row


async def _check_room(shop_id: int) -> None:
    active = await PickupPoint.count().where((PickupPoint.shop == shop_id) & (PickupPoint.active.eq(True)))
    if active >= MAX_PICKUP_POINTS:
        raise DomainError(TOO_MANY_POINTS, num=MAX_PICKUP_POINTS)
