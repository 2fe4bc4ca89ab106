"""Seller center: the shop's shipping template (/seller/shop/shipping) and pickup points
(/seller/shop/pickup-points). Both need "shop.settings" (owner, manager); the services check it again and
audit every change. Another shop's pickup point is not found."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.accounts import regions
from app.core.errors import DomainError, NotFound
from app.core.i18n import N_
from app.core.money import plain_yuan
from app.sellers import shipping
from app.sellers.permissions import requires_shop_permission
from app.web.flash import flash
from app.web.forms import actor_of, field_errors, form_data

SHIPPING_URL = "/seller/shop/shipping"
POINTS_URL = "/seller/shop/pickup-points"
POINT_FIELDS = ("name", "province", "city", "district", "detail", "phone", "hours")


def _shop_id(request: Request) -> int:
    return int(request.state.shop.shop_id)


def plain_kg(grams: int) -> str:
    """1000 → '1', 500 → '0.5', 1250 → '1.25' (for form inputs)."""
    whole, rest = divmod(grams, 1000)
    return f"{whole}.{rest:03d}".rstrip("0") if rest else str(whole)


def _labels(codes: tuple[str, ...]) -> list[str]:
    return [region.label for code in codes if (region := regions.get(code))]


def _template_form(t: shipping.TemplateView | None) -> tuple[dict[str, str], list[str]]:
    if t is None:
        return {"mode": "flat", "flat_fen": "0", "free_over_fen": "", "first_weight_g": "1", "first_fen": "",
                "extra_weight_g": "1", "extra_fen": ""}, []  # fmt: skip
    return {
        "mode": t.mode,
        "flat_fen": plain_yuan(t.flat_fen),
        "free_over_fen": "" if t.free_over_fen is None else plain_yuan(t.free_over_fen),
        "first_weight_g": plain_kg(t.first_weight_g),
        "first_fen": plain_yuan(t.first_fen),
        "extra_weight_g": plain_kg(t.extra_weight_g),
        "extra_fen": plain_yuan(t.extra_fen),
    }, list(t.excluded_regions)


class ShippingSellerController(Controller):
    path = SHIPPING_URL
    guards = [requires_shop_permission("shop.settings")]

    async def _page(
        self, request: Request, *, form: dict[str, str] | None = None, excluded: list[str] | None = None,
        errors: dict[str, str] | None = None, status_code: int = 200,
    ) -> Template:  # fmt: skip
        saved = await shipping.get_template(shop_id=_shop_id(request))
        if form is None:
            form, excluded = _template_form(saved)
        return Template(
            template_name="seller/shop/shipping.html",
            status_code=status_code,
            context={
                "saved": saved,
                "excluded_labels": [
                    r.label for code in (saved.excluded_regions if saved else ()) if (r := regions.get(code))
                ],
                "kg": plain_kg,
                "form": form,
                "excluded": set(excluded or []),
                "provinces": regions.provinces(),
                "errors": errors or {},
            },
        )

    @get("/", name="seller:shipping")
    async def index(self, request: Request) -> Template:
        return await self._page(request)

    @post("/", name="seller:shipping-save")
    async def save(self, request: Request) -> Template | Redirect:
        raw = await request.form()
        form = {key: value for key, value in raw.items() if isinstance(value, str)}
        excluded = [v for v in raw.getall("excluded", []) if isinstance(v, str)]
        try:
            values = shipping.parse_template_form(form, excluded)
            await shipping.save_shipping_template(actor=actor_of(request), shop_id=_shop_id(request), **values)
        except DomainError as exc:
            if exc.status_code != 422:
                raise
            return await self._page(request, form=form, excluded=excluded, errors=field_errors(exc), status_code=422)
        flash(request, N_("The shipping template has been saved."), "success")
        return Redirect(path=SHIPPING_URL, status_code=303)


def _point_page(
    *, form: dict[str, str], point_id: int | None = None, errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:  # fmt: skip
    form = dict(form)
    if not errors:  # a city (district) outside the chosen province (city) is dropped: the next select refills
        if form.get("city") and all(c.code != form["city"] for c in regions.children(form.get("province", ""))):
            form["city"] = ""
        if form.get("district") and all(d.code != form["district"] for d in regions.children(form.get("city", ""))):
            form["district"] = ""
    return Template(
        template_name="seller/shop/pickup_points_form.html",
        status_code=status_code,
        context={
            "form": form,
            "point_id": point_id,
            "errors": errors or {},
            "provinces": regions.provinces(),
            "cities": regions.children(form.get("province", "")),
            "districts": regions.children(form.get("city", "")),
        },
    )


def _point_values(form: dict[str, str]) -> dict[str, Any]:
    return {name: form.get(name, "") for name in POINT_FIELDS}


class PickupPointSellerController(Controller):
    path = POINTS_URL
    guards = [requires_shop_permission("shop.settings")]

    @get("/", name="seller:pickup-points")
    async def index(self, request: Request) -> Template:
        points = (await shipping.pickup_points([_shop_id(request)], active_only=False)).get(_shop_id(request), [])
        return Template(
            template_name="seller/shop/pickup_points.html",
            context={
                "points": points,
                "active_count": sum(1 for p in points if p.active),
                "max_points": shipping.MAX_PICKUP_POINTS,
            },
        )

    @get("/new", name="seller:pickup-point-new")
    async def new(self) -> Template:
        return _point_page(form={})

    @post("/new", name="seller:pickup-point-add")
    async def add(self, request: Request) -> Template | Redirect:
        form = await form_data(request)
        if form.get("action") == "regions":  # no JavaScript: fill the next select, keep what was typed
            return _point_page(form=form)
        try:
            await shipping.add_pickup_point(actor=actor_of(request), shop_id=_shop_id(request), **_point_values(form))
        except DomainError as exc:
            if exc.status_code != 422:
                raise
            return _point_page(form=form, errors=field_errors(exc), status_code=422)
        flash(request, N_("The pickup point has been added."), "success")
        return Redirect(path=POINTS_URL, status_code=303)

    @get("/{point_id:int}/edit", name="seller:pickup-point-edit")
    async def edit(self, request: Request, point_id: FromPath[int]) -> Template:
        p = await shipping.get_pickup_point(shop_id=_shop_id(request), point_id=point_id)
        form = {"name": p.name, "province": p.province_code, "city": p.city_code, "district": p.district_code,
                "detail": p.detail, "phone": p.phone, "hours": p.hours}  # fmt: skip
        return _point_page(form=form, point_id=p.id)

    @post("/{point_id:int}/edit", name="seller:pickup-point-update")
    async def update(self, request: Request, point_id: FromPath[int]) -> Template | Redirect:
        await shipping.get_pickup_point(shop_id=_shop_id(request), point_id=point_id)  # another shop's: 404
        form = await form_data(request)
        if form.get("action") == "regions":
            return _point_page(form=form, point_id=point_id)
        try:
            await shipping.update_pickup_point(
                actor=actor_of(request), shop_id=_shop_id(request), point_id=point_id, **_point_values(form)
            )
        except NotFound:
            raise
        except DomainError as exc:
            if exc.status_code != 422:
                raise
            return _point_page(form=form, point_id=point_id, errors=field_errors(exc), status_code=422)
        flash(request, N_("The pickup point has been saved."), "success")
        return Redirect(path=POINTS_URL, status_code=303)

    @post("/{point_id:int}/deactivate", name="seller:pickup-point-deactivate")
    async def deactivate(self, request: Request, point_id: FromPath[int]) -> Redirect:
        await shipping.deactivate_pickup_point(actor=actor_of(request), shop_id=_shop_id(request), point_id=point_id)
        flash(request, N_("The pickup point has been deactivated. Buyers can no longer choose it."), "success")
        return Redirect(path=POINTS_URL, status_code=303)

    @post("/{point_id:int}/activate", name="seller:pickup-point-activate")
    async def activate(self, request: Request, point_id: FromPath[int]) -> Redirect:
        await shipping.set_pickup_point_active(
            actor=actor_of(request), shop_id=_shop_id(request), point_id=point_id, active=True
        )
        flash(request, N_("The pickup point is active again."), "success")
        return Redirect(path=POINTS_URL, status_code=303)


ROUTES: list = [ShippingSellerController, PickupPointSellerController]
