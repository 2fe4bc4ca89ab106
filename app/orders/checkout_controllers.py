"""/checkout: one page from the cart's selected lines (or "buy now" from a product page), re-priced by the server
whenever the address or a delivery choice changes (htmx swaps the page body; without JavaScript an "update"
button does the same), then one POST that places the order group and sends the buyer to pay.

The form carries the lines it showed (sku:quantity) and a checkout token; prices never come from the form."""

from __future__ import annotations

import re
import uuid
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get, post
from litestar.params import FromQuery, QueryParameter
from litestar.response import Redirect, Template

from app.analytics import capture
from app.core.errors import DomainError
from app.core.i18n import N_, gettext
from app.orders import services
from app.orders.services import CheckoutLine, ShopChoice
from app.web.auth import current_user
from app.web.flash import flash
from app.web.guards import requires_login
from app.web.htmx import is_htmx, render

PAGE = "storefront/checkout/checkout.html"
BODY = "storefront/checkout/_body.html"
_LINE = re.compile(r"^(\d{1,10}):(\d{1,4})(?::f(\d{1,10}))?$")  # sku:quantity[:f<flash item>]
_COUPON_FIELD = re.compile(r"^coupon-(platform|shop-\d{1,10})$")
ALL_POINTS = 10**9  # "use points": as many as the order allows (the engine clamps)
_SHOP_FIELD = re.compile(r"^(delivery|pickup|note|invoice_kind|invoice_title|invoice_tax_no)-(\d{1,10})$")


def _user_id(request: Request) -> int:
    user = current_user(request)
    assert user is not None
    return user.id


def _int(text: str | None) -> int | None:
    text = (text or "").strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 10 else None


async def _addresses(user_id: int) -> list[Any]:
    from app.accounts import addresses

    return list(await addresses.list_addresses(user_id=user_id))


def _attr(obj: Any, name: str) -> Any:
    return obj.get(name) if isinstance(obj, dict) else getattr(obj, name, None)


class _Form:
    """What the checkout form posted, parsed; `errors` holds field errors (msgids translated at render)."""

    def __init__(self, raw: Any) -> None:
        self.values: dict[str, str] = {k: v for k, v in raw.items() if isinstance(v, str)}
        self.errors: dict[str, str] = {}
        self.lines: list[CheckoutLine] = []
        for value in raw.getall("line", []):
            match = _LINE.match(str(value))
            quantity = services.parse_quantity(match.group(2)) if match else None
            if not match or quantity is None:
                self.errors["__all__"] = gettext(
                    N_("Enter a quantity between 1 and %(max)s."), max=services.MAX_QUANTITY
                )
                continue
            flash = int(match.group(3)) if match.group(3) else None
            self.lines.append(CheckoutLine(int(match.group(1)), quantity, flash))
        self.source = "buy" if self.values.get("source") == "buy" else "cart"
        self.address_id = _int(self.values.get("address"))
        token = self.values.get("token", "")
        try:
            self.token: uuid.UUID | None = uuid.UUID(token)
        except ValueError:
            self.token = None
        shops: dict[int, dict[str, str]] = {}
        for key, value in self.values.items():
            if match := _SHOP_FIELD.match(key):
                shops.setdefault(int(match.group(2)), {})[match.group(1)] = value
        # coupons: the page shows the engine's best pick as checked radios; once posted, what is checked is the choice
        self.coupon_ids: list[int] | None = None
        if self.values.get("coupon_mode") == "manual":
            self.coupon_ids = [
                coupon_id
                for key, value in self.values.items()
                if _COUPON_FIELD.match(key) and (coupon_id := _int(value)) is not None
            ]
        self.points = ALL_POINTS if self.values.get("use_points") == "1" else 0
        self.choices: dict[int, ShopChoice] = {}
        for shop_id, fields in shops.items():
            note = fields.get("note", "").strip()
            if len(note) > 200:
                self.errors[f"note-{shop_id}"] = gettext(N_("A note is at most 200 characters."))
            invoice, invoice_errors = services.check_invoice(
                fields.get("invoice_kind", ""), fields.get("invoice_title", ""), fields.get("invoice_tax_no", "")
            )
            for name, msgid in invoice_errors.items():
                self.errors[f"{name}-{shop_id}"] = gettext(msgid)
            self.choices[shop_id] = ShopChoice(
                delivery="pickup" if fields.get("delivery") == "pickup" else "express",
                pickup_point_id=_int(fields.get("pickup")),
                note=note[:200],
                invoice=invoice,
            )


async def _render(
    request: Request,
    *,
    user_id: int,
    lines: list[CheckoutLine],
    source: str,
    token: uuid.UUID,
    address_id: int | None = None,
    choices: dict[int, ShopChoice] | None = None,
    coupon_ids: list[int] | None = None,
    points: int = 0,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> Template:
    book = await _addresses(user_id)
    if address_id is None or all(_attr(a, "id") != address_id for a in book):
        address_id = next((_attr(a, "id") for a in book if _attr(a, "is_default")), None)
    view = await services.prepare_checkout(
        buyer_id=user_id,
        lines=lines,
        address_id=address_id,
        choices=choices,
        coupon_ids=coupon_ids,
        points=points,
    )
    back = "/checkout"
    if source == "buy":
        query: dict[str, object] = {"sku": lines[0].sku_id, "qty": lines[0].quantity}
        if lines[0].flash_item_id is not None:
            query["flash"] = lines[0].flash_item_id
        back += "?" + urlencode(query)
    return render(
        request,
        PAGE,
        BODY,
        status_code=status_code,
        view=view,
        lines=lines,
        source=source,
        token=str(token),
        addresses=book,
        address_id=address_id,
        values=values or {},
        errors=errors or {},
        new_address_url="/me/addresses/new?" + urlencode({"next": back}),
    )


class CheckoutController(Controller):
    path = "/checkout"

    @get("/", name="checkout:page")
    async def page(
        self,
        request: Request,
        sku: FromQuery[str | None] = None,
        qty: FromQuery[str | None] = None,
        flash_item: Annotated[str | None, QueryParameter(name="flash")] = None,
    ) -> Template | Redirect:
        user = current_user(request)
        if user is None:  # buy-now from a product page: sign in, then come straight back
            query = {"sku": sku, "qty": qty or "1", **({"flash": flash_item} if flash_item else {})}
            target = "/checkout" + (("?" + urlencode(query)) if sku else "")
            return Redirect(path="/login?" + urlencode({"next": target}), status_code=303)
        if sku is not None:
            sku_id, quantity = _int(sku), services.parse_quantity(qty or "1")
            flash_id = _int(flash_item) if flash_item else None
            if sku_id is None or quantity is None or (flash_item and flash_id is None):
                flash(request, N_("Enter a quantity between 1 and %(max)s."), "error", max=services.MAX_QUANTITY)
                return Redirect(path="/cart", status_code=303)
            lines, source = [CheckoutLine(sku_id, quantity, flash_id)], "buy"
        else:
            from app.cart import services as cart

            cart_lines = await cart.checkout_lines(user_id=user.id)
            lines = [CheckoutLine(line.sku_id, line.quantity) for line in cart_lines]
            source = "cart"
        if not lines:
            flash(request, N_("Choose what you want to buy in your cart first."), "info")
            return Redirect(path="/cart", status_code=303)
        return await _render(request, user_id=user.id, lines=lines, source=source, token=uuid.uuid4())

    @post("/preview", name="checkout:preview", guards=[requires_login])
    async def preview(self, request: Request) -> Template:
        """Re-price after a change of address or delivery (htmx swaps the body; without JS the full page)."""
        form = _Form(await request.form())
        return await _render(
            request,
            user_id=_user_id(request),
            lines=form.lines,
            source=form.source,
            token=form.token or uuid.uuid4(),
            address_id=form.address_id,
            choices=form.choices,
            coupon_ids=form.coupon_ids,
            points=form.points,
            values=form.values,
            errors=form.errors,
        )

    @post("/", name="checkout:submit", guards=[requires_login])
    async def submit(self, request: Request) -> Template | Redirect:
        user_id = _user_id(request)
        form = _Form(await request.form())
        if not form.lines:
            flash(request, N_("Your order is empty."), "error")
            return Redirect(path="/cart", status_code=303)
        token = form.token or uuid.uuid4()
        again = {
            "user_id": user_id,
            "lines": form.lines,
            "source": form.source,
            "token": token,
            "address_id": form.address_id,
            "choices": form.choices,
            "coupon_ids": form.coupon_ids,
            "points": form.points,
            "values": form.values,
        }
        if form.values.get("action") == "refresh" or form.token is None:
            return await _render(request, **again, errors=form.errors)
        if form.errors:
            return await _render(request, **again, errors=form.errors, status_code=422)
        try:
            group = await services.place_order(
                buyer_id=user_id,
                checkout_token=token,
                lines=form.lines,
                address_id=form.address_id,
                choices=form.choices,
                coupon_ids=form.coupon_ids,
                points=form.points,
            )
        except DomainError as exc:
            errors = {"__all__": gettext(exc.message, **exc.params)}
            return await _render(request, **again, errors=errors, status_code=422)
        if group.created:  # analytics funnel (issue 9): payment is matched to it by the order group
            capture.record(request, "checkout", group_id=group.id, amount_fen=group.total_fen)
        if group.created and form.source == "cart":
            from app.cart import services as cart

            await cart.remove_purchased(
                user_id=user_id, sku_ids=[line.sku_id for line in form.lines if line.flash_item_id is None]
            )
        target = f"/pay/{group.no}"
        if is_htmx(request):
            return Redirect(path=target, status_code=303, headers={"HX-Redirect": target})
        return Redirect(path=target, status_code=303)


ROUTES: list = [CheckoutController]
