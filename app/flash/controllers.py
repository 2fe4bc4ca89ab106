"""Routes of the flash app (issue 7): the storefront (/flash, its polled state fragment, the home strip, the buy
endpoint behind admission control), the seller center's nominations (/seller/flash) and the platform's sessions
and approvals (/admin/flash)."""

from __future__ import annotations

import uuid
from typing import Any
from urllib.parse import urlencode

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.core import clock
from app.core.errors import DomainError, NotFound, ValidationFailed
from app.core.i18n import N_, gettext
from app.core.money import InvalidAmount, parse_yuan
from app.flash import rules, services
from app.flash.admission import GATE
from app.sellers.permissions import requires_shop_permission
from app.web.auth import current_user
from app.web.flash import flash
from app.web.forms import actor_of, field_errors, form_data
from app.web.guards import requires_platform_role
from app.web.htmx import is_htmx

PAGE = "storefront/flash/flash.html"
SESSION_FRAGMENT = "storefront/flash/_session.html"
NO_STORE = {"Cache-Control": "no-store"}


def _int(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else None


def _uuid(text: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID((text or "").strip())
    except ValueError:
        return None


async def _bought(request: Request, items: list[services.ItemRow]) -> dict[int, int]:
    user = current_user(request)
    if user is None or not items:
        return {}
    return await services.bought(buyer_id=user.id, item_ids=[i.id for i in items])


# ---------------------------------------------------------------------------------------------------------------
# storefront


class FlashStorefrontController(Controller):
    path = "/flash"

    @get("/", name="flash:page")
    async def page(self, request: Request, session: FromQuery[str] = "") -> Template:
        sessions = await services.storefront_sessions()
        wanted = _int(session)
        current = next((s for s in sessions if s.id == wanted), None) if wanted else None
        current = current or services.default_session(sessions)
        shown = await services.shopper_session(session_id=current.id) if current else None
        return Template(
            template_name=PAGE,
            context={
                "sessions": sessions,
                "shown": shown,
                "now": clock.now(),
                "bought": await _bought(request, shown.items if shown else []),
                "new_token": uuid.uuid4,
            },
            headers={**NO_STORE, "Vary": "HX-Request"},
        )

    @get("/sessions/{session_id:int}/state", name="flash:state")
    async def state(self, request: Request, session_id: FromPath[int]) -> Template:
        """The session block with fresh server time (polled every 5 s by the page): countdown, progress, buttons."""
        shown = await services.shopper_session(session_id=session_id)
        return Template(
            template_name=SESSION_FRAGMENT,
            context={
                "shown": shown,
                "now": clock.now(),
                "bought": await _bought(request, shown.items),
                "new_token": uuid.uuid4,
            },
            headers=NO_STORE,
        )

    @get("/strip", name="flash:strip")
    async def strip(self, request: Request) -> Template | Response[str]:
        """The home page's strip: the running (or next) session with up to 6 items; empty when there is none."""
        shown = await services.strip_session()
        if shown is None or not shown.items:
            return Response("", media_type="text/html", headers=NO_STORE)
        return Template(
            template_name="storefront/flash/_strip.html",
            context={"shown": shown, "now": clock.now()},
            headers=NO_STORE,
        )

    @post("/items/{item_id:int}/buy", name="flash:buy")
    async def buy(self, request: Request, item_id: FromPath[int]) -> Template | Redirect | Response[str]:
        """Admission control first (no database work for a sold-out item or beyond this process's permits), then
        one place_order for one flash line, paid with the buyer's default address."""
        user = current_user(request)
        if user is None:
            return _leave(request, "/login?" + urlencode({"next": "/flash"}))
        if GATE.sold_out(item_id):
            return _refuse(request, item_id, None, rules.SOLD_OUT, 422)
        with GATE.permit(item_id) as admitted:
            if not admitted:
                return _refuse(request, item_id, None, rules.TRY_AGAIN, 429)
            form = await form_data(request)
            quantity = _int(form.get("quantity", "1")) or 0
            state = await services.buy_state(item_id=item_id)
            if refusal := state.refusal:
                if refusal == rules.SOLD_OUT:
                    GATE.mark_sold_out(item_id)
                return _refuse(request, item_id, state.session_id, refusal, 422)
            if not 1 <= quantity <= state.per_user_limit:
                return _refuse(request, item_id, state.session_id, rules.OVER_LIMIT, 422)
            from app.accounts import addresses

            if await addresses.default_address(user_id=user.id) is None:
                target = "/checkout?" + urlencode({"sku": state.sku_id, "qty": quantity, "flash": item_id})
                return _leave(request, target)
            from app.orders.services import CheckoutLine, place_order

            try:
                group = await place_order(
                    buyer_id=user.id,
                    checkout_token=_uuid(form.get("token")) or uuid.uuid4(),
                    lines=[CheckoutLine(state.sku_id, quantity, flash_item_id=item_id)],
                    address_id=None,
                    choices=None,
                )
            except NotFound:
                raise
            except DomainError as exc:
                if exc.message == rules.SOLD_OUT:
                    GATE.mark_sold_out(item_id)
                return _refuse(request, item_id, state.session_id, exc.message, 422, **exc.params)
        return _leave(request, f"/pay/{group.no}")


def _leave(request: Request, target: str) -> Redirect | Response[str]:
    """Go to another page: a 303 for a plain form, an HX-Redirect for htmx (a followed 303 would be swapped in)."""
    if is_htmx(request):
        return Response("", status_code=200, headers={"HX-Redirect": target, **NO_STORE})
    return Redirect(path=target, status_code=303)


def _refuse(
    request: Request, item_id: int, session_id: int | None, message: str, status: int, **params: object
) -> Template | Redirect:
    """htmx: the buy area becomes the message; a plain form: back to the session with a flash message."""
    if is_htmx(request):
        return Template(
            template_name="storefront/flash/_buy_message.html",
            context={"item_id": item_id, "message": gettext(message, **params), "retry": message == rules.TRY_AGAIN},
            status_code=status,
            headers={**NO_STORE, "Retry-After": "1"} if status == 429 else NO_STORE,
        )
    flash(request, message, "warning", **params)
    query = f"?session={session_id}" if session_id else ""
    return Redirect(path=f"/flash/{query}#flash-item-{item_id}", status_code=303)


# ---------------------------------------------------------------------------------------------------------------
# seller center


def _shop_id(request: Request) -> int:
    return int(request.state.shop.shop_id)


def _price(text: str) -> int | None:
    try:
        return parse_yuan(text) if (text or "").strip() else None
    except InvalidAmount:
        return None


class FlashSellerController(Controller):
    path = "/seller/flash"
    guards = [requires_shop_permission("promotions.manage")]

    async def _page(
        self,
        request: Request,
        *,
        form: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        shop_id = _shop_id(request)
        return Template(
            template_name="seller/flash/index.html",
            status_code=status_code,
            context={
                "sessions": await services.open_sessions(),
                "skus": await services.shop_skus(shop_id=shop_id),
                "nominations": await services.shop_nominations(shop_id=shop_id),
                "form": form or {"per_user_limit": "1"},
                "errors": errors or {},
            },
        )

    @get("/", name="seller:flash")
    async def index(self, request: Request) -> Template:
        return await self._page(request)

    @post("/nominate", name="seller:flash-nominate")
    async def nominate(self, request: Request) -> Template | Redirect:
        form = await form_data(request)
        try:
            await services.nominate(
                actor=actor_of(request),
                shop_id=_shop_id(request),
                session_id=_int(form.get("session")),
                sku_id=_int(form.get("sku")),
                flash_price_fen=_price(form.get("flash_price", "")),
                flash_stock=rules.parse_count(form.get("flash_stock")),
                per_user_limit=rules.parse_count(form.get("per_user_limit")),
            )
        except DomainError as exc:
            return await self._page(request, form=form, errors=field_errors(exc), status_code=422)
        flash(request, N_("Nominated: the platform will review it."), "success")
        return Redirect(path="/seller/flash/", status_code=303)

    @post("/items/{item_id:int}/withdraw", name="seller:flash-withdraw")
    async def withdraw(self, request: Request, item_id: FromPath[int]) -> Redirect:
        try:
            await services.withdraw(actor=actor_of(request), shop_id=_shop_id(request), item_id=item_id)
        except services.FlashError as exc:
            flash(request, exc.message, "warning")
            return Redirect(path="/seller/flash/", status_code=303)
        flash(request, N_("Nomination withdrawn."), "success")
        return Redirect(path="/seller/flash/", status_code=303)


# ---------------------------------------------------------------------------------------------------------------
# admin


def _session_form(form: dict[str, str]) -> dict[str, Any]:
    return {
        "title": form.get("title", ""),
        "starts_at": services.parse_local(form.get("starts_at", "")),
        "ends_at": services.parse_local(form.get("ends_at", "")),
    }


class FlashAdminController(Controller):
    path = "/admin/flash"
    guards = [requires_platform_role("operations")]

    async def _index(
        self,
        *,
        form: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        return Template(
            template_name="admin/flash/index.html",
            status_code=status_code,
            context={"sessions": await services.admin_sessions(), "form": form or {}, "errors": errors or {}},
        )

    async def _detail(
        self,
        session_id: int,
        *,
        form: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        reject_errors: dict[int, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        results = await services.session_results(session_id=session_id)
        s = results.session
        return Template(
            template_name="admin/flash/session.html",
            status_code=status_code,
            context={
                "r": results,
                "s": s,
                "form": form
                or {
                    "title": s.title,
                    "starts_at": services.local_input(s.starts_at),
                    "ends_at": services.local_input(s.ends_at),
                },
                "errors": errors or {},
                "reject_errors": reject_errors or {},
            },
        )

    @get("/", name="admin:flash")
    async def index(self, request: Request) -> Template:
        return await self._index()

    @post("/sessions", name="admin:flash-create")
    async def create(self, request: Request) -> Template | Redirect:
        form = await form_data(request)
        try:
            session_id = await services.create_session(actor=actor_of(request), **_session_form(form))
        except ValidationFailed as exc:
            return await self._index(form=form, errors=field_errors(exc), status_code=422)
        flash(request, N_("Session created."), "success")
        return Redirect(path=f"/admin/flash/sessions/{session_id}", status_code=303)

    @get("/sessions/{session_id:int}", name="admin:flash-session")
    async def detail(self, request: Request, session_id: FromPath[int]) -> Template:
        return await self._detail(session_id)

    @post("/sessions/{session_id:int}", name="admin:flash-update")
    async def update(self, request: Request, session_id: FromPath[int]) -> Template | Redirect:
        form = await form_data(request)
        try:
            await services.update_session(actor=actor_of(request), session_id=session_id, **_session_form(form))
        except ValidationFailed as exc:
            return await self._detail(session_id, form=form, errors=field_errors(exc), status_code=422)
        except services.FlashError as exc:
            flash(request, exc.message, "warning")
            return Redirect(path=f"/admin/flash/sessions/{session_id}", status_code=303)
        flash(request, N_("Session saved."), "success")
        return Redirect(path=f"/admin/flash/sessions/{session_id}", status_code=303)

    @post("/sessions/{session_id:int}/cancel", name="admin:flash-cancel")
    async def cancel(self, request: Request, session_id: FromPath[int]) -> Redirect:
        try:
            await services.cancel_session(actor=actor_of(request), session_id=session_id)
        except services.FlashError as exc:
            flash(request, exc.message, "warning")
        else:
            flash(request, N_("Session cancelled; unsold flash stock went back to the products."), "success")
        return Redirect(path=f"/admin/flash/sessions/{session_id}", status_code=303)

    @post("/items/{item_id:int}/approve", name="admin:flash-approve")
    async def approve(self, request: Request, item_id: FromPath[int]) -> Redirect:
        session_id = await services.item_session_id(item_id=item_id)
        try:
            await services.approve_item(actor=actor_of(request), item_id=item_id)
        except services.FlashError as exc:
            flash(request, exc.message, "error", **exc.params)
        else:
            flash(request, N_("Approved: the flash stock is reserved."), "success")
        return Redirect(path=f"/admin/flash/sessions/{session_id}#flash-item-{item_id}", status_code=303)

    @post("/items/{item_id:int}/reject", name="admin:flash-reject")
    async def reject(self, request: Request, item_id: FromPath[int]) -> Template | Redirect:
        session_id = await services.item_session_id(item_id=item_id)
        form = await form_data(request)
        try:
            await services.reject_item(actor=actor_of(request), item_id=item_id, reason=form.get("reason", ""))
        except ValidationFailed as exc:
            return await self._detail(
                session_id, reject_errors={item_id: field_errors(exc).get("reason", "")}, status_code=422
            )
        except services.FlashError as exc:
            flash(request, exc.message, "warning")
        else:
            flash(request, N_("Rejected: the seller has been told why."), "success")
        return Redirect(path=f"/admin/flash/sessions/{session_id}#flash-item-{item_id}", status_code=303)


ROUTES: list[Any] = [FlashStorefrontController, FlashSellerController, FlashAdminController]
