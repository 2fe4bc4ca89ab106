"""Complaints (投诉): a buyer files one from a shop page or an order (/complaints/new?shop=|order=) and follows
it under /me/complaints/; platform staff (moderator or operations) work the queue at /admin/complaints/."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.complaints import services
from app.core.errors import DomainError, NotFound
from app.core.i18n import N_
from app.web.auth import current_user
from app.web.flash import flash
from app.web.forms import actor_of, field_errors
from app.web.guards import requires_login, requires_platform_role

MAX_UPLOAD_BYTES = services.MAX_PHOTOS * services.MAX_PHOTO_BYTES + 1024 * 1024


def _user_id(request: Request) -> int:
    user = current_user(request)
    assert user is not None
    return user.id


def _id(value: str) -> int | None:
    text = (value or "").strip()
    if not text:
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        raise NotFound(N_("Page not found"))
    return int(text)


def _photo_response(data: bytes) -> Response[bytes]:
    return Response(
        content=data,
        media_type="image/jpeg",
        headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


class ComplaintController(Controller):
    path = "/complaints"
    guards = [requires_login]

    async def _form(
        self, request: Request, about: dict[str, Any], *, form: dict[str, str], errors: dict[str, str], status: int
    ) -> Template:
        return Template(
            template_name="storefront/complaints/new.html",
            context={
                "about": about,
                "categories": services.CATEGORIES,
                "max_photos": services.MAX_PHOTOS,
                "form": form,
                "errors": errors,
            },
            status_code=status,
        )

    @get("/new", name="complaints:new")
    async def new(self, request: Request, shop: FromQuery[str] = "", order: FromQuery[str] = "") -> Template:
        about = await services.target(complainant_id=_user_id(request), shop_id=_id(shop), order_id=_id(order))
        return await self._form(request, about, form={}, errors={}, status=200)

    @post("/new", name="complaints:create", request_max_body_size=MAX_UPLOAD_BYTES)
    async def create(self, request: Request) -> Template | Redirect:
        raw = await request.form()
        form = {k: v for k, v in raw.items() if isinstance(v, str)}
        uploads = [v for k, v in raw.multi_items() if k == "photos" and isinstance(v, UploadFile)]
        photos = [data for data in [await u.read() for u in uploads] if data]
        user_id = _user_id(request)
        shop_id, order_id = _id(form.get("shop", "")), _id(form.get("order", ""))
        about = await services.target(complainant_id=user_id, shop_id=shop_id, order_id=order_id)
        try:
            complaint_id = await services.file_complaint(
                actor=actor_of(request),
                complainant_id=user_id,
                shop_id=shop_id,
                order_id=order_id,
                category=form.get("category", ""),
                text=form.get("text", ""),
                photos=photos,
            )
        except NotFound:
            raise
        except DomainError as exc:
            return await self._form(request, about, form=form, errors=_with_params(field_errors(exc)), status=422)
        flash(request, N_("Your complaint is filed. The platform will look into it."), "success")
        return Redirect(path=f"/me/complaints/{complaint_id}", status_code=303)


def _with_params(errors: dict[str, str]) -> dict[str, str]:
    """Field errors from ValidationFailed carry no params: fill the limits in."""
    out: dict[str, str] = {}
    for name, message in errors.items():
        params = {
            "min": services.MIN_TEXT,
            "max": services.MAX_TEXT if name == "text" else services.MAX_PHOTOS,
            "mb": services.MAX_PHOTO_BYTES // (1024 * 1024),
        }
        try:
            out[name] = message % params
        except (KeyError, ValueError, TypeError):
            out[name] = message
    return out


class MyComplaintsController(Controller):
    path = "/me/complaints"
    guards = [requires_login]

    @get("/", name="complaints:mine")
    async def index(self, request: Request) -> Template:
        return Template(
            template_name="storefront/complaints/list.html",
            context={"items": await services.complainant_complaints(complainant_id=_user_id(request))},
        )

    @get("/{complaint_id:int}", name="complaints:mine-detail")
    async def detail(self, request: Request, complaint_id: FromPath[int]) -> Template:
        c = await services.complainant_complaint(complainant_id=_user_id(request), complaint_id=complaint_id)
        return Template(
            template_name="storefront/complaints/detail.html",
            context={
                "c": c,
                "photos": await services.photos(complaint_id=c.id),
                "timeline": await services.timeline(complaint_id=c.id),
                "photo_base": f"/me/complaints/{c.id}/photos",
            },
        )

    @get("/{complaint_id:int}/photos/{photo_id:int}", name="complaints:mine-photo")
    async def photo(self, request: Request, complaint_id: FromPath[int], photo_id: FromPath[int]) -> Response[bytes]:
        c = await services.complainant_complaint(complainant_id=_user_id(request), complaint_id=complaint_id)
        return _photo_response(await services.photo_bytes(complaint_id=c.id, photo_id=photo_id))


class ComplaintAdminController(Controller):
    path = "/admin/complaints"
    guards = [requires_platform_role("moderator", "operations")]

    @get("/", name="admin:complaints")
    async def queue(self, request: Request, status: FromQuery[str] = "") -> Template:
        return Template(
            template_name="admin/complaints/queue.html",
            context={
                "items": await services.admin_queue(status=status),
                "status": status if status in services.STATUSES else "",
                "statuses": services.STATUSES,
                "counts": await services.status_counts(),
            },
        )

    async def _detail(
        self,
        complaint_id: int,
        *,
        form: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        c = await services.admin_complaint(complaint_id=complaint_id)
        return Template(
            template_name="admin/complaints/detail.html",
            context={
                "c": c,
                "photos": await services.photos(complaint_id=c.id),
                "timeline": await services.timeline(complaint_id=c.id),
                "next_statuses": sorted(services.TRANSITIONS[c.status]),
                "photo_base": f"/admin/complaints/{c.id}/photos",
                "form": form or {},
                "errors": errors or {},
            },
            status_code=status_code,
        )

    @get("/{complaint_id:int}", name="admin:complaint")
    async def detail(self, complaint_id: FromPath[int]) -> Template:
        return await self._detail(complaint_id)

    @post("/{complaint_id:int}/status", name="admin:complaint-status")
    async def change_status(self, request: Request, complaint_id: FromPath[int]) -> Template | Redirect:
        raw = await request.form()
        form = {k: v for k, v in raw.items() if isinstance(v, str)}
        try:
            await services.change_status(
                actor=actor_of(request),
                complaint_id=complaint_id,
                to_status=form.get("status", ""),
                note=form.get("note", ""),
            )
        except NotFound:
            raise
        except DomainError as exc:
            return await self._detail(complaint_id, form=form, errors=field_errors(exc), status_code=422)
        flash(request, N_("The complaint is updated and the complainant notified."), "success")
        return Redirect(path=f"/admin/complaints/{complaint_id}", status_code=303)

    @get("/{complaint_id:int}/photos/{photo_id:int}", name="admin:complaint-photo")
    async def photo(self, complaint_id: FromPath[int], photo_id: FromPath[int]) -> Response[bytes]:
        c = await services.admin_complaint(complaint_id=complaint_id)
        return _photo_response(await services.photo_bytes(complaint_id=c.id, photo_id=photo_id))


ROUTES: list[Any] = [ComplaintController, MyComplaintsController, ComplaintAdminController]
