"""The address book under "me" (/me/addresses): list, add, edit, delete, make default; and the region selects'
fragment (/regions/{code}/children?field=city|district) that htmx swaps in when a province or city is chosen.

Without JavaScript the form still works: its "show the cities and districts" button (in <noscript>) posts the
form back, which re-renders it with the next select filled and everything typed kept. `?next=/checkout...`
(a local path only) brings the buyer back where they came from after saving."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.accounts import addresses, regions
from app.core.errors import DomainError, NotFound
from app.core.i18n import N_
from app.web.auth import current_user
from app.web.errors import safe_next
from app.web.flash import flash
from app.web.forms import field_errors, form_data
from app.web.guards import requires_login

LIST_URL = "/me/addresses"
FIELDS = ("receiver", "mobile", "province", "city", "district", "detail", "tag")


def _user_id(request: Request) -> int:
    user = current_user(request)
    assert user is not None
    return user.id


def _next(value: str | None) -> str:
    """A safe local path to go back to after saving, or "" (back to the list)."""
    target = safe_next(value, "")
    return target if target.startswith("/") else ""


def _form_context(form: dict[str, str]) -> dict[str, Any]:
    """The selects' options for what the form holds; a city not in the province (or a district not in the city)
    is dropped so the next select is filled from the current choice."""
    province = form.get("province", "")
    cities = regions.children(province)
    if form.get("city") and all(c.code != form["city"] for c in cities):
        form["city"] = ""
    districts = regions.children(form.get("city", ""))
    if form.get("district") and all(d.code != form["district"] for d in districts):
        form["district"] = ""
    return {"provinces": regions.provinces(), "cities": cities, "districts": districts}


def _form_page(
    *,
    form: dict[str, str],
    address_id: int | None = None,
    is_default: bool = False,
    errors: dict[str, str] | None = None,
    next_url: str = "",
    status_code: int = 200,
) -> Template:
    form = dict(form)
    options = _form_context(form) if not errors else _options_keeping(form)
    return Template(
        template_name="storefront/accounts/addresses_form.html",
        status_code=status_code,
        context={
            "form": form,
            "errors": errors or {},
            "address_id": address_id,
            "is_default": is_default,
            "next_url": next_url,
            "max_receiver": addresses.RECEIVER_MAX,
            "max_detail": addresses.DETAIL_MAX,
            **options,
        },
    )


def _options_keeping(form: dict[str, str]) -> dict[str, Any]:
    """After a failed save the selects keep exactly what was chosen (the error says what is wrong with it)."""
    return {
        "provinces": regions.provinces(),
        "cities": regions.children(form.get("province", "")),
        "districts": regions.children(form.get("city", "")),
    }


def _values(form: dict[str, str]) -> dict[str, Any]:
    return {name: form.get(name, "") for name in FIELDS} | {"is_default": form.get("is_default") == "1"}


class AddressController(Controller):
    path = LIST_URL
    guards = [requires_login]

    @get("/", name="address:list")
    async def index(self, request: Request, next: FromQuery[str] = "") -> Template:
        book = await addresses.list_addresses(user_id=_user_id(request))
        return Template(
            template_name="storefront/accounts/addresses.html",
            context={"addresses": book, "max_addresses": addresses.MAX_ADDRESSES, "next_url": _next(next)},
        )

    @get("/new", name="address:new")
    async def new(self, request: Request, next: FromQuery[str] = "") -> Template:
        return _form_page(form={"tag": ""}, next_url=_next(next))

    @post("/new", name="address:create")
    async def create(self, request: Request) -> Template | Redirect:
        form = await form_data(request)
        next_url = _next(form.get("next"))
        if form.get("action") == "regions":  # no JavaScript: fill the next select, keep what was typed
            return _form_page(form=form, next_url=next_url)
        try:
            await addresses.create_address(user_id=_user_id(request), **_values(form))
        except DomainError as exc:
            return _form_page(form=form, errors=field_errors(exc), next_url=next_url, status_code=422)
        flash(request, N_("The address has been saved."), "success")
        return Redirect(path=next_url or LIST_URL, status_code=303)

    @get("/{address_id:int}/edit", name="address:edit")
    async def edit(self, request: Request, address_id: FromPath[int], next: FromQuery[str] = "") -> Template:
        a = await addresses.get_address(user_id=_user_id(request), address_id=address_id)
        form = {
            "receiver": a.receiver,
            "mobile": a.mobile,
            "province": a.province_code,
            "city": a.city_code,
            "district": a.district_code,
            "detail": a.detail,
            "tag": a.tag,
        }
        return _form_page(form=form, address_id=a.id, is_default=a.is_default, next_url=_next(next))

    @post("/{address_id:int}/edit", name="address:update")
    async def update(self, request: Request, address_id: FromPath[int]) -> Template | Redirect:
        user_id = _user_id(request)
        current = await addresses.get_address(user_id=user_id, address_id=address_id)  # another user's: 404
        form = await form_data(request)
        next_url = _next(form.get("next"))
        page = {"address_id": address_id, "is_default": current.is_default, "next_url": next_url}
        if form.get("action") == "regions":
            return _form_page(form=form, **page)
        try:
            await addresses.update_address(user_id=user_id, address_id=address_id, **_values(form))
        except NotFound:
            raise
        except DomainError as exc:
            return _form_page(form=form, errors=field_errors(exc), status_code=422, **page)
        flash(request, N_("The address has been saved."), "success")
        return Redirect(path=next_url or LIST_URL, status_code=303)

    @post("/{address_id:int}/default", name="address:default")
    async def make_default(self, request: Request, address_id: FromPath[int]) -> Redirect:
        await addresses.set_default(user_id=_user_id(request), address_id=address_id)
        flash(request, N_("This is now your default address."), "success")
        return Redirect(path=LIST_URL, status_code=303)

    @post("/{address_id:int}/delete", name="address:delete")
    async def delete(self, request: Request, address_id: FromPath[int]) -> Redirect:
        await addresses.delete_address(user_id=_user_id(request), address_id=address_id)
        flash(request, N_("The address has been deleted."), "success")
        return Redirect(path=LIST_URL, status_code=303)


class RegionController(Controller):
    """The <select> of a province's cities or a city's districts, for the cascading selects (public data)."""

    path = "/regions"

    @get(["/{code:str}/children", "/children"], name="regions:children")
    async def children(
        self,
        request: Request,
        code: FromPath[str | None] = None,
        field: FromQuery[str] = "city",
        province: FromQuery[str] = "",
        city: FromQuery[str] = "",
    ) -> Template:
        """htmx sends the changed select's own value (province=… or city=…); the path form names the code."""
        if field not in ("city", "district"):
            raise NotFound(N_("Page not found"))
        parent = code if code is not None else (province if field == "city" else city)
        return Template(
            template_name="storefront/accounts/_region_select.html",
            context={"fragment_field": field, "parent": parent or "", "options": regions.children(parent or "")},
            headers={"Vary": "HX-Request"},
        )


ROUTES: list = [AddressController, RegionController]
