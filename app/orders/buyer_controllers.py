"""The buyer's orders under "me".

- GET /me/orders?tab=&page=: tabs (all, to pay, to ship, to receive, completed, after-sales) with counts, 20 cards a
  page; htmx swaps the list when a tab or page is chosen.
- GET /me/orders/{id}: one order: what happens next, delivery or pickup code, items, price breakdown, times,
  invoice, tracking, the other orders of the same checkout.
- POST /me/orders/{id}/cancel: while unpaid; cancels every order of that checkout (one payment covers them).
- POST /me/orders/{id}/confirm: confirm receipt (shipped or delivered → completed). From a card with htmx, the card
  is swapped in place and the tabs' counts updated out of band.
- GET /me/orders/{id}/invoice: the invoice PDF the shop uploaded.

Another buyer's order id is 404 everywhere. Without JavaScript every action is a POST, then 303 with a message."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.core.errors import DomainError, NotFound
from app.core.i18n import N_, gettext
from app.orders import buyer
from app.orders import services as orders
from app.orders.errors import OrderNotFound
from app.orders.states import STATUS_LABELS
from app.web.auth import current_user
from app.web.errors import safe_next
from app.web.flash import flash
from app.web.forms import actor_of, form_data
from app.web.guards import requires_login
from app.web.htmx import is_htmx, render

LIST_URL = "/me/orders"
NO_STORE = {"Cache-Control": "private, no-store"}


def _buyer_id(request: Request) -> int:
    user = current_user(request)
    assert user is not None
    return user.id


@contextmanager
def _own_order() -> Iterator[None]:
    """Another buyer's order (or none) is a plain 404, whichever service said so."""
    try:
        yield
    except OrderNotFound as exc:
        raise NotFound(exc.message) from exc


def _back(form: dict[str, str], order_id: int) -> str:
    """Where a plain POST returns: the page it came from on /me/orders, else the order."""
    target = safe_next(form.get("next"), "")
    return target if target.startswith(LIST_URL) else f"{LIST_URL}/{order_id}"


def _common() -> dict[str, Any]:
    return {"tabs": buyer.TABS, "status_labels": STATUS_LABELS}


class OrderBuyerController(Controller):
    path = LIST_URL
    guards = [requires_login]

    @get("/", name="orders:buyer-list")
    async def index(self, request: Request, tab: FromQuery[str] = "all", page: FromQuery[str] = "1") -> Template:
        view = await buyer.list_orders(
            buyer_id=_buyer_id(request), tab=buyer.parse_tab(tab), page=buyer.parse_page(page)
        )
        return render(
            request,
            "storefront/orders/list.html",
            "storefront/orders/_orders.html",
            headers=NO_STORE,
            view=view,
            **_common(),
        )

    @get("/{order_id:int}", name="orders:buyer-detail")
    async def detail(self, request: Request, order_id: FromPath[int]) -> Template:
        with _own_order():
            order = await buyer.order_detail(buyer_id=_buyer_id(request), order_id=order_id)
        return Template(
            template_name="storefront/orders/detail.html",
            context={
                "o": order,
                "cancel_reason": gettext(order.cancel_reason) if order.cancel_reason else "",
                **_common(),
            },
            headers=NO_STORE,
        )

    @post("/{order_id:int}/cancel", name="orders:buyer-cancel")
    async def cancel(self, request: Request, order_id: FromPath[int]) -> Redirect:
        form = await form_data(request)
        try:
            with _own_order():
                count = await orders.cancel_unpaid(
                    buyer_id=_buyer_id(request), order_id=order_id, actor=actor_of(request)
                )
        except NotFound:
            raise
        except DomainError as exc:
            flash(request, exc.message, "error", **exc.params)
            return Redirect(path=_back(form, order_id), status_code=303, headers=NO_STORE)
        if count > 1:
            flash(
                request,
                N_("All %(num)s orders of this checkout were cancelled. Their items are back on sale."),
                "success",
                num=count,
            )
        else:
            flash(request, N_("The order was cancelled. Its items are back on sale."), "success")
        return Redirect(path=_back(form, order_id), status_code=303, headers=NO_STORE)

    @post("/{order_id:int}/confirm", name="orders:buyer-confirm")
    async def confirm(self, request: Request, order_id: FromPath[int]) -> Template | Redirect:
        form = await form_data(request)
        buyer_id = _buyer_id(request)
        notice: tuple[str, str]
        status_code = 200
        try:
            with _own_order():
                done = await buyer.confirm_receipt(buyer_id=buyer_id, order_id=order_id, actor=actor_of(request))
        except NotFound:
            raise
        except DomainError as exc:
            notice, status_code = ("error", gettext(exc.message, **exc.params)), 422
        else:
            message = (
                N_("Receipt confirmed. The order is completed.")
                if done
                else N_("You had already confirmed receipt of this order.")
            )
            notice = ("success" if done else "info", gettext(message))
        if is_htmx(request) and form.get("from") == "card":
            with _own_order():
                card = await buyer.order_card(buyer_id=buyer_id, order_id=order_id)
            counts = await buyer.status_counts(buyer_id=buyer_id)
            return Template(
                template_name="storefront/orders/_card_response.html",
                status_code=status_code,
                context={
                    "o": card,
                    "notice": {"category": notice[0], "text": notice[1]},
                    "counts": counts,
                    "current_tab": buyer.parse_tab(form.get("tab")),
                    **_common(),
                },
                headers={"Vary": "HX-Request", **NO_STORE},
            )
        flash(request, notice[1], notice[0])
        return Redirect(path=_back(form, order_id), status_code=303, headers=NO_STORE)

    @get("/{order_id:int}/invoice", name="orders:buyer-invoice")
    async def invoice(self, request: Request, order_id: FromPath[int]) -> Response:
        buyer_id = _buyer_id(request)
        with _own_order():
            order_no, _key = await buyer.invoice_for_download(buyer_id=buyer_id, order_id=order_id)
        try:
            from app.orders.invoices import invoice_pdf  # the seller side's invoices (issue 6, being built)
        except ImportError:
            raise NotFound(N_("The shop has not uploaded the invoice yet.")) from None
        data = await invoice_pdf(order_id=order_id, buyer_id=buyer_id)
        if not data:
            raise NotFound(N_("The shop has not uploaded the invoice yet."))
        return Response(
            content=data,
            media_type="application/pdf",
            headers={
                "Content-Disposition": f'attachment; filename="invoice-{order_no}.pdf"',
                "X-Content-Type-Options": "nosniff",
                **NO_STORE,
            },
        )


ROUTES: list = [OrderBuyerController]
