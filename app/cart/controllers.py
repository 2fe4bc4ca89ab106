"""/cart: the page (lines per shop, an "unavailable" group, totals from the pricing engine), its htmx changes
(quantity, select, remove: each re-renders the cart fragment and announces `cart-changed`), the badge, and the
product page's "Add to cart" (POST /cart/add: CSRF-exempt, same-origin checked, see decision 0013).

Every form works without JavaScript (POST, then 303 back with a flash); htmx upgrades it."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Controller, Request, Response, get, post
from litestar.response import Redirect, Template

from app.analytics import capture
from app.cart import services
from app.cart.errors import InvalidQuantity, NotInCart
from app.cart.forms import parse_id, parse_ids, parse_quantity
from app.cart.services import CartOwner
from app.cart.web import STATE_KEY, owner_for_writing, owner_of, set_cookie
from app.core.errors import DomainError
from app.core.i18n import N_, gettext
from app.web.flash import flash
from app.web.htmx import is_htmx, render
from app.web.origin import same_origin

PAGE = "storefront/cart/cart.html"
FRAGMENT = "storefront/cart/_cart.html"
CHANGED = {"HX-Trigger": "cart-changed"}


def _back(request: Request, default: str) -> str:
    """Where the visitor came from on this site (the product page with its chosen options), else `default`."""
    parts = urlsplit(request.headers.get("referer", ""))
    if parts.netloc != request.headers.get("host") or not parts.path.startswith("/") or parts.path.startswith("//"):
        return default
    return parts.path + (f"?{parts.query}" if parts.query else "")


async def _show(
    request: Request,
    owner: CartOwner,
    *,
    status_code: int = 200,
    changed: bool = False,
    notice: tuple[str, str] | None = None,
    errors: dict[int, str] | None = None,
    typed: dict[int, str] | None = None,
) -> Template:
    """The cart page, or for htmx its fragment; `notice` is (category, translated text)."""
    view = await services.cart_view(owner=owner)
    request.scope.setdefault("state", {})[STATE_KEY] = view.count  # the layout's badge, without a second query
    response = render(
        request,
        PAGE,
        FRAGMENT,
        status_code=status_code,
        headers={**(CHANGED if changed else {}), "Cache-Control": "no-store"},
        view=view,
        notice={"category": notice[0], "text": notice[1]} if notice else None,
        errors=errors or {},
        typed=typed or {},
    )
    if changed:
        set_cookie(response, owner)  # an anonymous cart's cookie lives 30 days from its last change
    return response


def _done(
    request: Request, owner: CartOwner, message: str | None = None, category: str = "success", **params: Any
) -> Redirect:
    """After a change without htmx: flash and go back to the cart (303)."""
    if message:
        flash(request, message, category, **params)
    response = Redirect(path="/cart", status_code=303)
    set_cookie(response, owner)
    return response


class CartStorefrontController(Controller):
    path = "/cart"

    @get("/", name="store:cart")
    async def page(self, request: Request) -> Template:
        return await _show(request, owner_of(request))

    @get("/badge", name="cart:badge")
    async def badge(self, request: Request) -> Template:
        """The tab bar's badge (and the top bar's, out of band), fetched when the page hears `cart-changed`."""
        count = await services.badge_count(owner=owner_of(request))
        return Template(
            template_name="storefront/cart/_badge_response.html",
            context={"count": count},
            headers={"Cache-Control": "no-store"},
        )

    @post("/add", name="cart:add", guards=[same_origin])
    async def add(self, request: Request) -> Response:
        """From the product page's buy box, which is cached for every visitor and so carries no CSRF token: this
        path is excluded from the CSRF middleware and guarded by a same-origin check instead (decision 0013)."""
        form = await request.form()
        owner = owner_for_writing(request)
        raw_qty = str(form.get("qty") or "1")
        try:
            sku_id = parse_id(form.get("sku"))
            if sku_id is None:
                raise InvalidQuantity(N_("Choose the options you want first."))
            added = await services.add(owner=owner, sku_id=sku_id, quantity=parse_quantity(raw_qty))
        except DomainError as exc:
            message = gettext(exc.message, **exc.params)
            if is_htmx(request):
                return Template(
                    template_name="storefront/cart/_added.html",
                    status_code=422,
                    context={"error": message},
                    headers={"Vary": "HX-Request"},
                )
            flash(request, message, "error")
            return Redirect(path=_back(request, "/cart"), status_code=303)
        capture.record(request, "add_to_cart", product=added.product_id)  # analytics funnel (issue 9)
        note = gettext(added.note, **added.params) if added.note else None
        if is_htmx(request):
            response: Response = Template(
                template_name="storefront/cart/_added.html",
                context={"added": added, "note": note},
                headers={**CHANGED, "Vary": "HX-Request"},
            )
        else:
            flash(request, N_("Added to your cart."), "success")
            if note:
                flash(request, note, "warning")
            response = Redirect(path=_back(request, f"/p/{added.product_id}"), status_code=303)
        set_cookie(response, owner)  # set, or refreshed: the cookie lives 30 days from the last change
        return response

    @post("/quantity", name="cart:quantity")
    async def quantity(self, request: Request) -> Response:
        form = await request.form()
        owner = owner_of(request)
        sku_id = parse_id(form.get("sku"))
        raw = str(form.get("qty") or "")
        step = {"-1": -1, "1": 1}.get(str(form.get("step") or ""), 0)
        try:
            if sku_id is None:
                raise NotInCart(N_("This item is no longer in your cart."))
            wanted = parse_quantity(raw)
            if step:
                wanted = parse_quantity(str(wanted + step))
            now = await services.set_quantity(owner=owner, sku_id=sku_id, quantity=wanted)
        except InvalidQuantity as exc:
            # nothing changes; the cart shows the message under the line and keeps what was typed
            key = sku_id or 0
            return await _show(
                request, owner, status_code=422, errors={key: gettext(exc.message, **exc.params)}, typed={key: raw}
            )
        except DomainError as exc:
            if is_htmx(request):
                return await _show(request, owner, changed=True, notice=("error", gettext(exc.message, **exc.params)))
            return _done(request, owner, exc.message, "error", **exc.params)
        note = N_("Only %(left)s left, so the quantity is %(left)s.") if now < wanted else None
        if is_htmx(request):
            notice = ("warning", gettext(note, left=now)) if note else None
            return await _show(request, owner, changed=True, notice=notice)
        return _done(request, owner, note, "warning", left=now)

    @post("/remove", name="cart:remove")
    async def remove(self, request: Request) -> Response:
        form = await request.form()
        owner = owner_of(request)
        removed = await services.remove_items(owner=owner, sku_ids=parse_ids(form.getall("sku", [])))
        message = N_("Removed from your cart.") if removed else N_("This item is no longer in your cart.")
        if is_htmx(request):
            return await _show(request, owner, changed=True, notice=("success", gettext(message)))
        return _done(request, owner, message, "success" if removed else "info")

    @post("/remove-unavailable", name="cart:remove-unavailable")
    async def remove_unavailable(self, request: Request) -> Response:
        owner = owner_of(request)
        removed = await services.remove_unavailable(owner=owner)
        message, params = N_("%(num)s unavailable items removed."), {"num": removed}
        if is_htmx(request):
            return await _show(request, owner, changed=True, notice=("success", gettext(message, **params)))
        return _done(request, owner, message, **params)

    @post("/select", name="cart:select")
    async def select(self, request: Request) -> Response:
        """One form per checkbox: `on` is what the line, shop or whole cart becomes (1 selected, 0 not)."""
        form = await request.form()
        owner = owner_of(request)
        on = str(form.get("on") or "") == "1"
        sku_ids = parse_ids(form.getall("sku", [])) if "sku" in form else None
        shop_id = parse_id(form.get("shop")) if "shop" in form else None
        if (sku_ids is not None and not sku_ids) or ("shop" in form and shop_id is None):
            sku_ids = []  # a malformed id selects nothing rather than everything
        await services.set_selected(owner=owner, sku_ids=sku_ids, shop_id=shop_id, selected=on)
        if is_htmx(request):
            return await _show(request, owner, changed=True)
        return _done(request, owner)


ROUTES: list = [CartStorefrontController]
