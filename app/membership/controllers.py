"""Routes of the membership app (issue 7): the member's level card (/me/member), points and check-in (/me/points),
the points mall (/points-mall) and the admin's levels, settings, mall items and member lookup (/admin/membership)."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.core.errors import DomainError, ValidationFailed
from app.core.i18n import N_
from app.membership import admin, coupon_link, ledger, mall, services
from app.web.auth import current_user
from app.web.flash import flash
from app.web.forms import actor_of, field_errors, form_data
from app.web.guards import requires_login, requires_platform_role
from app.web.htmx import is_htmx, render


def _user_id(request: Request) -> int:
    user = current_user(request)
    assert user is not None
    return user.id


class MemberController(Controller):
    path = "/me/member"
    guards = [requires_login]

    async def _page(
        self,
        request: Request,
        *,
        form: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        return Template(
            template_name="storefront/membership/member.html",
            context={
                "card": await services.member_card(_user_id(request)),
                "form": form or {},
                "errors": errors or {},
            },
            status_code=status_code,
        )

    @get("/", name="membership:member")
    async def index(self, request: Request) -> Template:
        return await self._page(request)

    @post("/birthday", name="membership:birthday")
    async def birthday(self, request: Request) -> Template | Redirect:
        form = await form_data(request)
        try:
            await services.set_birthday(user_id=_user_id(request), raw=form.get("birthday", ""))
        except DomainError as exc:
            return await self._page(request, form=form, errors=field_errors(exc), status_code=422)
        flash(request, N_("Your birthday is saved. A gift awaits you on the day."), "success")
        return Redirect(path="/me/member", status_code=303)


class PointsController(Controller):
    path = "/me/points"
    guards = [requires_login]

    @get("/", name="membership:points")
    async def index(self, request: Request) -> Template:
        user_id = _user_id(request)
        return Template(
            template_name="storefront/membership/points.html",
            context={
                "summary": await ledger.summary(user_id),
                "checked_in": await services.checked_in_today(user_id),
                "settings": await services.get_settings(),
                "redemptions": await mall.my_redemptions(user_id),
            },
        )

    @post("/checkin", name="membership:checkin")
    async def checkin(self, request: Request) -> Template | Redirect:
        result = await services.check_in(user_id=_user_id(request))
        if is_htmx(request):
            return render(
                request,
                "storefront/membership/_checkin_response.html",
                checked_in=result.points,
                balance=await ledger.balance(_user_id(request)),
                headers={"HX-Trigger": "points-changed"},
            )
        if result.already:
            flash(request, N_("You have already checked in today."), "info")
        else:
            flash(request, N_("Checked in: +%(points)s points."), "success", points=result.points)
        return Redirect(path="/me/points", status_code=303)


class PointsMallController(Controller):
    path = "/points-mall"

    @get("/", name="membership:mall")
    async def index(self, request: Request) -> Template:
        user = current_user(request)
        return Template(
            template_name="storefront/membership/mall.html",
            context={
                "items": await mall.list_items(),
                "balance": await ledger.balance(user.id) if user else None,
                "redeemed": await mall.redeemed_counts(user.id) if user else {},
                "coupons_ready": coupon_link.available(),
            },
            headers={"Cache-Control": "private, no-store"},
        )

    @post("/{item_id:int}/redeem", name="membership:redeem", guards=[requires_login])
    async def redeem(self, request: Request, item_id: FromPath[int]) -> Redirect:
        try:
            done = await mall.redeem(user_id=_user_id(request), item_id=item_id)
        except DomainError as exc:
            flash(request, exc.message, "error", **exc.params)
            return Redirect(path="/points-mall", status_code=303)
        if done.kind == "coupon":
            flash(request, N_("Redeemed %(title)s: the coupon is in My coupons."), "success", title=done.item_title)
        else:
            flash(
                request,
                N_("Redeemed %(title)s: the platform will ship it to your default address."),
                "success",
                title=done.item_title,
            )
        return Redirect(path="/me/points", status_code=303)


class MembershipAdminController(Controller):
    path = "/admin/membership"
    guards = [requires_platform_role("operations")]

    async def _home(
        self,
        *,
        settings_form: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        settings = await services.get_settings()
        return Template(
            template_name="admin/membership/home.html",
            context={
                "levels": await services.list_levels(),
                "items": await mall.list_items(active_only=False),
                "settings": settings,
                "form": settings_form if settings_form is not None else _settings_form(settings),
                "errors": errors or {},
                "coupons_ready": coupon_link.available(),
                "gifts": await mall.gifts_to_ship(),
            },
            status_code=status_code,
        )

    @get("/", name="admin:membership")
    async def index(self, request: Request) -> Template:
        return await self._home()

    @post("/settings", name="admin:points-settings")
    async def save_settings(self, request: Request) -> Template | Redirect:
        form = await form_data(request)
        try:
            await services.save_settings(actor=actor_of(request), form=form)
        except ValidationFailed as exc:
            return await self._home(settings_form=form, errors=field_errors(exc), status_code=422)
        flash(request, N_("The points settings are saved."), "success")
        return Redirect(path="/admin/membership/", status_code=303)

    # -- levels

    def _level_page(
        self,
        *,
        level_id: int | None,
        form: dict[str, Any],
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        return Template(
            template_name="admin/membership/level_form.html",
            context={"level_id": level_id, "form": form, "errors": errors or {}},
            status_code=status_code,
        )

    @get("/levels/new", name="admin:member-level-new")
    async def new_level(self, request: Request) -> Template:
        levels = await services.list_levels()
        rank = max((lv.rank for lv in levels), default=0) + 1
        return self._level_page(
            level_id=None, form={"rank": rank, "points_multiplier_pct": 100, "extra_discount_pct": 0, "active": "on"}
        )

    @get("/levels/{level_id:int}", name="admin:member-level")
    async def edit_level(self, request: Request, level_id: FromPath[int]) -> Template:
        level = next((lv for lv in await services.list_levels() if lv.id == level_id), None)
        if level is None:
            from app.core.errors import NotFound

            raise NotFound(N_("Level not found."))
        form = {
            "rank": level.rank,
            "name_zh": level.name_zh,
            "name_en": level.name_en,
            "growth_threshold": level.growth_threshold,
            "extra_discount_pct": level.extra_discount_pct,
            "points_multiplier_pct": level.points_multiplier_pct,
            "free_shipping": "on" if level.free_shipping else "",
            "active": "on" if level.active else "",
        }
        return self._level_page(level_id=level_id, form=form)

    @post("/levels", name="admin:member-level-create")
    async def create_level(self, request: Request) -> Template | Redirect:
        return await self._save_level(request, None)

    @post("/levels/{level_id:int}", name="admin:member-level-update")
    async def update_level(self, request: Request, level_id: FromPath[int]) -> Template | Redirect:
        return await self._save_level(request, level_id)

    async def _save_level(self, request: Request, level_id: int | None) -> Template | Redirect:
        form = await form_data(request)
        try:
            await services.save_level(actor=actor_of(request), level_id=level_id, form=form)
        except ValidationFailed as exc:
            return self._level_page(level_id=level_id, form=form, errors=field_errors(exc), status_code=422)
        flash(request, N_("The level is saved."), "success")
        return Redirect(path="/admin/membership/", status_code=303)

    # -- points mall items

    def _item_page(
        self,
        *,
        item_id: int | None,
        form: dict[str, Any],
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        return Template(
            template_name="admin/membership/item_form.html",
            context={
                "item_id": item_id,
                "form": form,
                "errors": errors or {},
                "coupons_ready": coupon_link.available(),
            },
            status_code=status_code,
        )

    @get("/items/new", name="admin:mall-item-new")
    async def new_item(self, request: Request) -> Template:
        return self._item_page(item_id=None, form={"kind": "gift", "per_user_limit": 1, "stock": 0, "active": "on"})

    @get("/items/{item_id:int}", name="admin:mall-item")
    async def edit_item(self, request: Request, item_id: FromPath[int]) -> Template:
        item = await mall.get_item(item_id)
        form = {
            "title": item.title,
            "description": item.description,
            "kind": item.kind,
            "coupon_template_id": item.coupon_template_id or "",
            "gift_sku_id": item.gift_sku_id or "",
            "cost_points": item.cost_points,
            "stock": item.stock,
            "per_user_limit": item.per_user_limit,
            "active": "on" if item.active else "",
        }
        return self._item_page(item_id=item_id, form=form)

    @post("/items", name="admin:mall-item-create")
    async def create_item(self, request: Request) -> Template | Redirect:
        return await self._save_item(request, None)

    @post("/items/{item_id:int}", name="admin:mall-item-update")
    async def update_item(self, request: Request, item_id: FromPath[int]) -> Template | Redirect:
        return await self._save_item(request, item_id)

    async def _save_item(self, request: Request, item_id: int | None) -> Template | Redirect:
        form = await form_data(request)
        try:
            await mall.save_item(actor=actor_of(request), item_id=item_id, form=form)
        except ValidationFailed as exc:
            return self._item_page(item_id=item_id, form=form, errors=field_errors(exc), status_code=422)
        flash(request, N_("The points-mall item is saved."), "success")
        return Redirect(path="/admin/membership/", status_code=303)

    @post("/items/{item_id:int}/active", name="admin:mall-item-active")
    async def set_active(self, request: Request, item_id: FromPath[int]) -> Redirect:
        form = await form_data(request)
        active = form.get("active") == "1"
        await mall.set_item_active(actor=actor_of(request), item_id=item_id, active=active)
        flash(request, N_("The item is on sale again.") if active else N_("The item is paused."), "success")
        return Redirect(path="/admin/membership/", status_code=303)

    @post("/gifts/{redemption_id:int}/shipped", name="admin:gift-shipped")
    async def gift_shipped(self, request: Request, redemption_id: FromPath[int]) -> Redirect:
        await mall.mark_shipped(actor=actor_of(request), redemption_id=redemption_id)
        flash(request, N_("Marked as shipped."), "success")
        return Redirect(path="/admin/membership/#gifts", status_code=303)

    # -- members

    async def _member_page(
        self,
        *,
        q: str,
        user_id: int | None,
        form: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        return Template(
            template_name="admin/membership/members.html",
            context={
                "q": q,
                "found": await admin.lookup(user_id) if user_id else None,
                "form": form or {},
                "errors": errors or {},
            },
            status_code=status_code,
        )

    @get("/members", name="admin:members")
    async def members(self, request: Request, q: FromQuery[str] = "") -> Template | Redirect:
        user_id = await admin.find_user(q)
        if user_id:
            return Redirect(path=f"/admin/membership/members/{user_id}", status_code=303)
        return await self._member_page(q=q, user_id=None)

    @get("/members/{user_id:int}", name="admin:member")
    async def member(self, request: Request, user_id: FromPath[int]) -> Template:
        return await self._member_page(q=str(user_id), user_id=user_id)

    @post("/members/{user_id:int}/adjust", name="admin:member-adjust")
    async def adjust(self, request: Request, user_id: FromPath[int]) -> Template | Redirect:
        form = await form_data(request)
        try:
            delta = await admin.adjust_points(actor=actor_of(request), user_id=user_id, form=form)
        except ValidationFailed as exc:
            return await self._member_page(
                q=str(user_id), user_id=user_id, form=form, errors=field_errors(exc), status_code=422
            )
        flash(request, N_("Points adjusted by %(delta)s."), "success", delta=f"{delta:+d}")
        return Redirect(path=f"/admin/membership/members/{user_id}", status_code=303)


def _settings_form(settings: services.Settings) -> dict[str, Any]:
    form: dict[str, Any] = {k: getattr(settings, k) for k in services.SETTINGS_FIELDS}
    form["birthday_coupon_template_id"] = settings.birthday_coupon_template_id or ""
    form["enabled"] = "on" if settings.enabled else ""
    return form


ROUTES: list[Any] = [MemberController, PointsController, PointsMallController, MembershipAdminController]
