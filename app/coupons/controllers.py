"""Routes of the coupons app (issue 7).

Storefront: the coupon centre (/coupons) with its redeem-code form, the claim button (htmx swaps it into
"Claimed" or the refusal; without JS a POST, a flash and a 303 back), the lazy fragments of the product and
shop pages, and the wallet (/me/coupons). Anonymous shoppers get a login link that brings them back.
Seller center (/seller/coupons, permission promotions.manage) and admin (/admin/coupons, role operations): the
same management pages over shop templates and platform templates."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.core.errors import DomainError
from app.core.i18n import N_, gettext
from app.coupons import manage, services
from app.coupons.forms import form_of, parse_template
from app.sellers.permissions import requires_shop_permission
from app.web.auth import current_user
from app.web.errors import safe_next
from app.web.flash import flash
from app.web.forms import actor_of, field_errors, form_data
from app.web.guards import requires_login, requires_platform_role
from app.web.htmx import is_htmx, render
from app.web.pagecache import cache_page

NO_STORE = {"Cache-Control": "no-store", "Vary": "HX-Request"}
CLAIMED = N_("Claimed! It is waiting for you under My coupons.")


def _uid(request: Request) -> int | None:
    user = current_user(request)
    return user.id if user else None


def _login(request: Request, back: str) -> Response:
    location = f"/login?next={quote(back, safe='')}"
    if is_htmx(request):
        return Response(content="", status_code=200, headers={"HX-Redirect": location})
    return Redirect(path=location, status_code=303)


async def _fragment(request: Request, offers: list[services.Offer], back: str) -> Response:
    uid = _uid(request)
    if not offers:
        if uid is None:
            cache_page(request, ttl=30)
        return Response(content="", status_code=200, headers=NO_STORE if uid else {"Vary": "HX-Request"})
    if uid is None:
        cache_page(request, ttl=30)  # anonymous: login links only, no token, nothing personal
    return Template(
        template_name="storefront/coupons/_strip.html",
        context={"offers": offers, "user_id": uid, "back": back},
        headers=NO_STORE if uid else {"Vary": "HX-Request"},
    )


class CouponStorefrontController(Controller):
    path = "/coupons"

    async def _centre(
        self, request: Request, *, code: str = "", code_error: str = "", status_code: int = 200
    ) -> Template:
        uid = _uid(request)
        offers = await services.centre(user_id=uid)
        return Template(
            template_name="storefront/coupons/centre.html",
            status_code=status_code,
            headers={"Cache-Control": "no-store"},
            context={
                "platform_offers": [o for o in offers if o.shop_id is None],
                "shop_offers": [o for o in offers if o.shop_id is not None],
                "user_id": uid,
                "back": "/coupons",
                "code": code,
                "code_error": code_error,
                "tab": "me",
            },
        )

    @get("/", name="coupons:centre")
    async def centre(self, request: Request) -> Template:
        return await self._centre(request)

    @post("/{template_id:int}/claim", name="coupons:claim")
    async def claim(self, request: Request, template_id: FromPath[int]) -> Response:
        form = await form_data(request)
        back = safe_next(form.get("next"), "/coupons")
        uid = _uid(request)
        if uid is None:
            return _login(request, back)
        message, ok = gettext(CLAIMED), True
        try:
            await services.claim(user_id=uid, template_id=template_id)
        except DomainError as exc:
            message, ok = gettext(exc.message, **exc.params), False
        if not is_htmx(request):
            flash(request, message, "success" if ok else "error")
            return Redirect(path=back, status_code=303)
        offer = await services.offer(template_id=template_id, user_id=uid)
        return Template(
            template_name="storefront/coupons/_claim.html",
            status_code=200 if ok else 422,
            headers=NO_STORE,
            context={"o": offer, "template_id": template_id, "user_id": uid, "back": back, "message": message,
                     "ok": ok},
        )  # fmt: skip

    @post("/redeem", name="coupons:redeem")
    async def redeem(self, request: Request) -> Response:
        form = await form_data(request)
        code = form.get("code", "")[:64]
        uid = _uid(request)
        if uid is None:
            return _login(request, "/coupons")
        try:
            claimed = await services.redeem(user_id=uid, code=code)
        except DomainError as exc:
            error = gettext(exc.message, **exc.params)
            if is_htmx(request):
                return Template(
                    template_name="storefront/coupons/_redeem.html",
                    status_code=422,
                    headers=NO_STORE,
                    context={"code": code, "code_error": error, "user_id": uid},
                )
            return await self._centre(request, code=code, code_error=error, status_code=422)
        message = gettext(N_("%(name)s is now in My coupons."), name=claimed.name)
        if is_htmx(request):
            return Template(
                template_name="storefront/coupons/_redeem.html",
                headers=NO_STORE,
                context={"code": "", "code_error": "", "done": message, "user_id": uid},
            )
        flash(request, message, "success")
        return Redirect(path="/coupons", status_code=303)

    @get("/product/{product_id:int}", name="coupons:product")
    async def product(self, request: Request, product_id: FromPath[int]) -> Response:
        offers = await services.for_product(product_id=product_id, user_id=_uid(request))
        return await _fragment(request, offers, f"/p/{product_id}")

    @get("/shop/{shop_id:int}", name="coupons:shop")
    async def shop(self, request: Request, shop_id: FromPath[int]) -> Response:
        offers = await services.for_shop(shop_id=shop_id, user_id=_uid(request))
        return await _fragment(request, offers, f"/s/{shop_id}")


class WalletStorefrontController(Controller):
    path = "/me/coupons"
    guards = [requires_login]

    @get("/", name="coupons:wallet")
    async def wallet(self, request: Request, tab: FromQuery[str] = "unused") -> Template:
        uid = _uid(request)
        assert uid is not None
        tab = tab if tab in services.WALLET_TABS else "unused"
        return render(
            request,
            "storefront/coupons/wallet.html",
            "storefront/coupons/_wallet_list.html",
            headers={"Cache-Control": "no-store"},
            coupons=await services.wallet(user_id=uid, tab=tab),
            counts=await services.wallet_counts(user_id=uid),
            current_tab=tab,
            tabs=services.WALLET_TABS,
            tab="me",
        )


# ---------------------------------------------------------------- management (seller center and admin)
def _shop_of(request: Request) -> int:
    return int(request.state.shop.shop_id)


async def _index(request: Request, *, shop_id: int | None, surface: str) -> Template:
    return Template(
        template_name=f"{surface}/coupons/index.html",
        context={"templates": await manage.list_templates(shop_id=shop_id), "surface": surface,
                 "base": f"/{surface}/coupons"},
    )  # fmt: skip


async def _form_page(
    request: Request,
    *,
    shop_id: int | None,
    surface: str,
    template_id: int | None = None,
    form: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    row: dict[str, Any] | None = None
    stats = None
    if template_id is not None:
        row = await manage.get_template(shop_id=shop_id, template_id=template_id)
        stats = (await manage.stats_of([template_id])).get(template_id)
    if form is None:
        form = form_of(row) if row else {"kind": "threshold", "scope": "all", "use_mode": "days", "use_days": "7",
                                          "per_user_limit": "1", "total_quantity": "100"}  # fmt: skip
    return Template(
        template_name=f"{surface}/coupons/form.html",
        status_code=status_code,
        context={
            "t": row,
            "stats": stats,
            "form": form,
            "errors": errors or {},
            "surface": surface,
            "platform": shop_id is None,
            "base": f"/{surface}/coupons",
            "locked": bool(row and row["claimed_count"] > 0),
        },
    )


async def _create(request: Request, *, shop_id: int | None, surface: str) -> Response:
    form = await form_data(request)
    try:
        data = parse_template(form, platform=shop_id is None)
        new_id = await manage.create_template(actor=actor_of(request), shop_id=shop_id, data=data)
    except DomainError as exc:
        return await _form_page(request, shop_id=shop_id, surface=surface, form=form, errors=field_errors(exc),
                                status_code=422)  # fmt: skip
    flash(request, N_("The coupon has been saved as a draft. Activate it when you are ready."), "success")
    return Redirect(path=f"/{surface}/coupons/{new_id}", status_code=303)


async def _update(request: Request, *, shop_id: int | None, surface: str, template_id: int) -> Response:
    await manage.get_template(shop_id=shop_id, template_id=template_id)  # 404 before reading the form
    form = await form_data(request)
    try:
        data = parse_template(form, platform=shop_id is None)
        await manage.update_template(actor=actor_of(request), shop_id=shop_id, template_id=template_id, data=data)
    except DomainError as exc:
        if exc.status_code == 404:
            raise
        return await _form_page(request, shop_id=shop_id, surface=surface, template_id=template_id, form=form,
                                errors=field_errors(exc), status_code=422)  # fmt: skip
    flash(request, N_("The coupon has been saved."), "success")
    return Redirect(path=f"/{surface}/coupons/{template_id}", status_code=303)


STATUS_MESSAGES = {
    "activate": N_("The coupon is active: shoppers can claim it."),
    "pause": N_("The coupon is paused: nobody can claim it until you resume it."),
    "resume": N_("The coupon is active again."),
    "end": N_("The coupon has ended. Coupons already claimed stay usable until they expire."),
}


async def _status(request: Request, *, shop_id: int | None, surface: str, template_id: int, action: str) -> Response:
    await manage.change_status(actor=actor_of(request), shop_id=shop_id, template_id=template_id, action=action)
    flash(request, STATUS_MESSAGES[action], "success")
    return Redirect(path=f"/{surface}/coupons/{template_id}", status_code=303)


class CouponSellerController(Controller):
    path = "/seller/coupons"
    guards = [requires_shop_permission("promotions.manage")]

    @get("/", name="seller:coupons")
    async def index(self, request: Request) -> Template:
        return await _index(request, shop_id=_shop_of(request), surface="seller")

    @get("/new", name="seller:coupon-new")
    async def new(self, request: Request) -> Template:
        return await _form_page(request, shop_id=_shop_of(request), surface="seller")

    @post("/", name="seller:coupon-create")
    async def create(self, request: Request) -> Response:
        return await _create(request, shop_id=_shop_of(request), surface="seller")

    @get("/{template_id:int}", name="seller:coupon")
    async def edit(self, request: Request, template_id: FromPath[int]) -> Template:
        return await _form_page(request, shop_id=_shop_of(request), surface="seller", template_id=template_id)

    @post("/{template_id:int}", name="seller:coupon-update")
    async def update(self, request: Request, template_id: FromPath[int]) -> Response:
        return await _update(request, shop_id=_shop_of(request), surface="seller", template_id=template_id)

    @post("/{template_id:int}/{action:str}", name="seller:coupon-status")
    async def status(self, request: Request, template_id: FromPath[int], action: FromPath[str]) -> Response:
        return await _status(request, shop_id=_shop_of(request), surface="seller", template_id=template_id,
                             action=action)  # fmt: skip


class CouponAdminController(Controller):
    path = "/admin/coupons"
    guards = [requires_platform_role("operations")]

    @get("/", name="admin:coupons")
    async def index(self, request: Request) -> Template:
        return await _index(request, shop_id=None, surface="admin")

    @get("/new", name="admin:coupon-new")
    async def new(self, request: Request) -> Template:
        return await _form_page(request, shop_id=None, surface="admin")

    @post("/", name="admin:coupon-create")
    async def create(self, request: Request) -> Response:
        return await _create(request, shop_id=None, surface="admin")

    @get("/{template_id:int}", name="admin:coupon")
    async def edit(self, request: Request, template_id: FromPath[int]) -> Template:
        return await _form_page(request, shop_id=None, surface="admin", template_id=template_id)

    @post("/{template_id:int}", name="admin:coupon-update")
    async def update(self, request: Request, template_id: FromPath[int]) -> Response:
        return await _update(request, shop_id=None, surface="admin", template_id=template_id)

    @post("/{template_id:int}/{action:str}", name="admin:coupon-status")
    async def status(self, request: Request, template_id: FromPath[int], action: FromPath[str]) -> Response:
        return await _status(request, shop_id=None, surface="admin", template_id=template_id, action=action)


ROUTES: list[Any] = [
    CouponStorefrontController,
    WalletStorefrontController,
    CouponSellerController,
    CouponAdminController,
]
