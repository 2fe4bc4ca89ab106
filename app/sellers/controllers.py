"""Seller center: the dashboard and shop switch, staff and roles, shop settings and decoration (店铺装修) with
its preview. Every route declares its permission (requires_shop_permission); services check ownership by
shop id, so another shop's section, product or staff member is simply not found."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.catalog import services as catalog_services
from app.catalog.errors import ShopNotFound
from app.catalog.listing_controllers import shop_page
from app.core.errors import DomainError, NotFound
from app.core.i18n import N_
from app.sellers import dashboard, decoration, staff
from app.sellers.guards import SHOP_KEY, requires_seller_staff
from app.sellers.permissions import STAFF_ROLES, has_permission, requires_shop_permission
from app.web.flash import flash
from app.web.forms import actor_of, field_errors, form_data
from app.web.htmx import render

MAX_UPLOAD_BYTES = 9 * 1024 * 1024  # a little above images.MAX_BYTES, whose message is the clearer one


def _shop_id(request: Request) -> int:
    return int(request.state.shop.shop_id)


def _ids(values: list[Any]) -> list[int]:
    """Ids posted by a form; anything that is not one is a forged request: not found."""
    out: list[int] = []
    for value in values:
        text = value.strip() if isinstance(value, str) else ""
        if not text.isascii() or not text.isdigit() or len(text) > 10:
            raise NotFound(decoration.PRODUCT_NOT_FOUND)
        out.append(int(text))
    return out


class SellerHomeController(Controller):
    path = "/seller"

    @get("/", name="seller:home", guards=[requires_shop_permission("dashboard.view")])
    async def home(self, request: Request) -> Template:
        shop = request.state.shop
        can_see_products = has_permission(shop.role, "products.view")
        return Template(
            template_name="seller/home.html",
            context={
                "shop": shop,
                "shops": request.state.shops,
                "state": await dashboard.shop_state(shop_id=shop.shop_id),
                "counts": await dashboard.product_counts(shop_id=shop.shop_id) if can_see_products else None,
                "can_manage_staff": has_permission(shop.role, "staff.manage"),
                "can_decorate": has_permission(shop.role, "shop.settings"),
            },
        )

    @post("/switch-shop", name="seller:switch-shop", guards=[requires_seller_staff])
    async def switch_shop(self, request: Request) -> Redirect:
        form = await request.form()
        try:
            shop_id = int(form.get("shop_id", ""))
        except ValueError:
            shop_id = 0
        if any(m.shop_id == shop_id for m in request.state.shops):
            request.session[SHOP_KEY] = shop_id
        return Redirect(path="/seller/", status_code=303)


# ---------------------------------------------------------------- staff
class StaffSellerController(Controller):
    path = "/seller/staff"
    guards = [requires_shop_permission("staff.manage")]

    async def _page(
        self, request: Request, *, form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:  # fmt: skip
        return Template(
            template_name="seller/staff.html",
            status_code=status_code,
            context={
                "members": await staff.list_staff(shop_id=_shop_id(request)),
                "roles": STAFF_ROLES,
                "form": form or {"role": "service"},
                "errors": errors or {},
            },
        )

    @get("/", name="seller:staff")
    async def index(self, request: Request) -> Template:
        return await self._page(request)

    @post("/", name="seller:staff-invite")
    async def invite(self, request: Request) -> Template | Redirect:
        form = await form_data(request)
        try:
            await staff.invite_staff(
                actor=actor_of(request),
                shop_id=_shop_id(request),
                identifier=form.get("identifier", ""),
                role=form.get("role", ""),
            )
        except NotFound:
            raise
        except DomainError as exc:
            return await self._page(request, form=form, errors=field_errors(exc), status_code=422)
        flash(request, N_("%(who)s now works for your shop."), "success", who=form.get("identifier", "").strip())
        return Redirect(path="/seller/staff/", status_code=303)

    @post("/{staff_id:int}/role", name="seller:staff-role")
    async def change_role(self, request: Request, staff_id: FromPath[int]) -> Redirect:
        form = await form_data(request)
        await staff.change_role(
            actor=actor_of(request), shop_id=_shop_id(request), staff_id=staff_id, role=form.get("role", "")
        )
        flash(request, N_("The role has been changed."), "success")
        return Redirect(path="/seller/staff/", status_code=303)

    @post("/{staff_id:int}/remove", name="seller:staff-remove")
    async def remove(self, request: Request, staff_id: FromPath[int]) -> Redirect:
        await staff.remove_staff(actor=actor_of(request), shop_id=_shop_id(request), staff_id=staff_id)
        flash(request, N_("The staff member has been removed."), "success")
        return Redirect(path="/seller/staff/", status_code=303)


# ---------------------------------------------------------------- shop settings and decoration
class ShopSettingsSellerController(Controller):
    path = "/seller/shop"
    guards = [requires_shop_permission("shop.settings")]

    async def _page(
        self, request: Request, *, form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:  # fmt: skip
        shop_id = _shop_id(request)
        current = await decoration.draft(shop_id=shop_id)
        featured = [p for p in await decoration.products_for_picker(shop_id=shop_id, featured=current.featured)
                    if p.chosen]  # fmt: skip
        return Template(
            template_name="seller/shop/settings.html",
            status_code=status_code,
            context={
                "deco": current,
                "featured": featured,
                "sections": await decoration.list_sections(shop_id=shop_id),
                "unpublished": await decoration.has_unpublished_changes(shop_id=shop_id),
                "form": form or {"notice": current.notice, "description": current.description},
                "errors": errors or {},
                "max_featured": decoration.MAX_FEATURED,
            },
        )

    @get("/", name="seller:shop")
    async def index(self, request: Request) -> Template:
        return await self._page(request)

    @post("/texts", name="seller:shop-texts")
    async def texts(self, request: Request) -> Template | Redirect:
        form = await form_data(request)
        try:
            await decoration.save_texts(
                actor=actor_of(request),
                shop_id=_shop_id(request),
                notice=form.get("notice", ""),
                description=form.get("description", ""),
            )
        except DomainError as exc:
            return await self._page(request, form=form, errors=field_errors(exc), status_code=422)
        flash(request, N_("Saved to the draft. Preview it, then publish it for shoppers."), "success")
        return Redirect(path="/seller/shop/", status_code=303)

    @post("/images/{kind:str}", name="seller:shop-image", request_max_body_size=MAX_UPLOAD_BYTES)
    async def upload(self, request: Request, kind: FromPath[str]) -> Template | Redirect:
        if kind not in decoration.IMAGE_KINDS:
            raise NotFound(N_("Page not found"))
        form = await request.form()
        upload = form.get("image")
        data = await upload.read() if isinstance(upload, UploadFile) else b""
        try:
            await decoration.upload_image(actor=actor_of(request), shop_id=_shop_id(request), kind=kind, data=data)
        except DomainError as exc:
            return await self._page(request, errors={kind: field_errors(exc).popitem()[1]}, status_code=422)
        flash(request, N_("Saved to the draft. Preview it, then publish it for shoppers."), "success")
        return Redirect(path="/seller/shop/", status_code=303)

    @post("/images/{kind:str}/remove", name="seller:shop-image-remove")
    async def remove_image(self, request: Request, kind: FromPath[str]) -> Redirect:
        await decoration.remove_image(actor=actor_of(request), shop_id=_shop_id(request), kind=kind)
        return Redirect(path="/seller/shop/", status_code=303)

    @get("/featured", name="seller:shop-featured")
    async def featured_page(self, request: Request, q: FromQuery[str] = "") -> Template:
        shop_id = _shop_id(request)
        current = await decoration.draft(shop_id=shop_id)
        products = await decoration.products_for_picker(shop_id=shop_id, q=q, featured=current.featured)
        return render(
            request,
            "seller/shop/featured.html",
            products=products,
            q=q,
            max_featured=decoration.MAX_FEATURED,
            errors={},
        )

    @post("/featured", name="seller:shop-featured-save")
    async def featured_save(self, request: Request) -> Template | Redirect:
        form = await request.form()
        shop_id = _shop_id(request)
        try:
            await decoration.choose_featured(
                actor=actor_of(request),
                shop_id=shop_id,
                shown=_ids(form.getall("shown", [])),
                chosen=_ids(form.getall("product", [])),
            )
        except NotFound:
            raise
        except DomainError as exc:
            q = str(form.get("q", ""))
            current = await decoration.draft(shop_id=shop_id)
            products = await decoration.products_for_picker(shop_id=shop_id, q=q, featured=current.featured)
            return Template(
                template_name="seller/shop/featured.html",
                status_code=422,
                context={"products": products, "q": q, "max_featured": decoration.MAX_FEATURED,
                         "errors": field_errors(exc)},
            )  # fmt: skip
        flash(request, N_("Saved to the draft. Preview it, then publish it for shoppers."), "success")
        return Redirect(path="/seller/shop/", status_code=303)

    # ------------------------------------------------------------ sections (店铺分类)
    async def _sections_page(
        self, request: Request, *, form: dict[str, str] | None = None, errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:  # fmt: skip
        return Template(
            template_name="seller/shop/sections.html",
            status_code=status_code,
            context={
                "sections": await decoration.list_sections(shop_id=_shop_id(request)),
                "form": form or {},
                "errors": errors or {},
                "max_sections": decoration.MAX_SECTIONS,
            },
        )

    @get("/sections", name="seller:shop-sections")
    async def sections(self, request: Request) -> Template:
        return await self._sections_page(request)

    @post("/sections", name="seller:shop-section-add")
    async def add_section(self, request: Request) -> Template | Redirect:
        form = await form_data(request)
        try:
            await decoration.add_section(actor=actor_of(request), shop_id=_shop_id(request), name=form.get("name", ""))
        except DomainError as exc:
            return await self._sections_page(request, form=form, errors=field_errors(exc), status_code=422)
        flash(request, N_("The category has been added."), "success")
        return Redirect(path="/seller/shop/sections", status_code=303)

    @post("/sections/{section_id:int}/rename", name="seller:shop-section-rename")
    async def rename_section(self, request: Request, section_id: FromPath[int]) -> Template | Redirect:
        form = await form_data(request)
        try:
            await decoration.rename_section(
                actor=actor_of(request), shop_id=_shop_id(request), section_id=section_id, name=form.get("name", "")
            )
        except NotFound:
            raise
        except DomainError as exc:
            errors = {f"name-{section_id}": field_errors(exc).popitem()[1]}
            return await self._sections_page(request, form=form, errors=errors, status_code=422)
        flash(request, N_("The category has been renamed."), "success")
        return Redirect(path="/seller/shop/sections", status_code=303)

    @post("/sections/{section_id:int}/move", name="seller:shop-section-move")
    async def move_section(self, request: Request, section_id: FromPath[int]) -> Redirect:
        form = await form_data(request)
        await decoration.move_section(
            actor=actor_of(request), shop_id=_shop_id(request), section_id=section_id,
            direction=form.get("direction", ""),
        )  # fmt: skip
        return Redirect(path="/seller/shop/sections", status_code=303)

    @post("/sections/{section_id:int}/delete", name="seller:shop-section-delete")
    async def delete_section(self, request: Request, section_id: FromPath[int]) -> Redirect:
        await decoration.delete_section(actor=actor_of(request), shop_id=_shop_id(request), section_id=section_id)
        flash(request, N_("The category has been deleted."), "success")
        return Redirect(path="/seller/shop/sections", status_code=303)

    @get("/sections/{section_id:int}", name="seller:shop-section")
    async def section_products(self, request: Request, section_id: FromPath[int], q: FromQuery[str] = "") -> Template:
        shop_id = _shop_id(request)
        current = await decoration.section(shop_id=shop_id, section_id=section_id)
        products = await decoration.products_for_picker(shop_id=shop_id, q=q, section_id=section_id)
        return render(request, "seller/shop/section.html", sec=current, products=products, q=q)

    @post("/sections/{section_id:int}/products", name="seller:shop-section-products")
    async def assign(self, request: Request, section_id: FromPath[int]) -> Redirect:
        form = await request.form()
        await decoration.assign_products(
            actor=actor_of(request),
            shop_id=_shop_id(request),
            section_id=section_id,
            shown=_ids(form.getall("shown", [])),
            chosen=_ids(form.getall("product", [])),
        )
        flash(request, N_("The category's products have been saved."), "success")
        return Redirect(path=f"/seller/shop/sections/{section_id}", status_code=303)

    # ------------------------------------------------------------ preview and publish
    @get(["/preview", "/preview/t/{section_id:int}"], name="seller:shop-preview")
    async def preview(self, request: Request, section_id: FromPath[int | None] = None) -> Template | Response[str]:
        shop = request.state.shop
        try:
            header = await catalog_services.shop_header(shop_id=shop.shop_id)
        except ShopNotFound:  # not open yet (or suspended): the preview still shows the decoration
            header = catalog_services.ShopHeader(shop.shop_id, shop.shop_name, "", 0, 0, None)
        view = await decoration.preview_view(shop_id=shop.shop_id)
        return await shop_page(request, header=header, view=view, section_id=section_id, base="/seller/shop/preview")

    @post("/publish", name="seller:shop-publish")
    async def publish(self, request: Request) -> Redirect:
        await decoration.publish(actor=actor_of(request), shop_id=_shop_id(request))
        flash(request, N_("Your shop page has been published."), "success")
        return Redirect(path="/seller/shop/", status_code=303)

    @post("/discard", name="seller:shop-discard")
    async def discard(self, request: Request) -> Redirect:
        await decoration.discard_draft(actor=actor_of(request), shop_id=_shop_id(request))
        flash(request, N_("The draft has been discarded."), "info")
        return Redirect(path="/seller/shop/", status_code=303)


ROUTES: list = [SellerHomeController, StaffSellerController, ShopSettingsSellerController]
