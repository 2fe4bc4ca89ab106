"""Seller center: the shop's orders (/seller/orders) — tabs and search, detail, ship one or a batch, cancel a paid
order with a refund, printable packing lists and labels, the self-pickup handover, invoice PDFs.

Permissions per route (see app/orders/fulfilment.py for why): orders.view to read; orders.ship to ship, print,
hand over pickups and upload invoices; aftersales.handle to cancel a paid order (a refund). The services filter
every query by the current shop, so another shop's order is 404 everywhere, print ids included."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.core.errors import DomainError, NotFound, RateLimited, ValidationFailed
from app.core.i18n import N_, gettext
from app.orders import carrier as carriers
from app.orders import fulfilment, invoices
from app.orders.states import STATUS_LABELS
from app.sellers.permissions import has_permission, requires_shop_permission
from app.web.flash import flash
from app.web.forms import actor_of, field_errors, form_data
from app.web.htmx import is_htmx, render

LIST_URL = "/seller/orders/"
PICKUP_URL = "/seller/orders/pickup"
NO_STORE = {"Cache-Control": "no-store"}
TAB_LABELS = (
    ("all", N_("All")),
    ("pending_payment", STATUS_LABELS["pending_payment"]),
    ("paid", STATUS_LABELS["paid"]),
    ("shipped", STATUS_LABELS["shipped"]),
    ("delivered", STATUS_LABELS["delivered"]),
    ("completed", STATUS_LABELS["completed"]),
    ("cancelled", STATUS_LABELS["cancelled"]),
)


def _shop_id(request: Request) -> int:
    return int(request.state.shop.shop_id)


def _can(request: Request, permission: str) -> bool:
    return has_permission(request.state.shop.role, permission)


def _common(request: Request) -> dict[str, Any]:
    return {
        "carriers": carriers.CARRIERS,
        "carrier_name": carriers.carrier_name,
        "status_labels": STATUS_LABELS,
        "tr": gettext,  # dynamic msgids (carriers, tracking, adjustments) and free text: no %-formatting without params
        "can_ship": _can(request, "orders.ship"),
        "can_cancel": _can(request, "aftersales.handle"),
    }


def _query_ids(request: Request) -> list[int]:
    return fulfilment.parse_ids(request.query_params.getall("ids", []))


class OrderSellerController(Controller):
    path = "/seller/orders"

    # ------------------------------------------------------------ list
    @get("/", name="seller:orders", guards=[requires_shop_permission("orders.view")])
    async def index(
        self, request: Request, tab: FromQuery[str] = "all", q: FromQuery[str] = "", page: FromQuery[int] = 1
    ) -> Template:
        shop_id = _shop_id(request)
        tab = tab if tab in fulfilment.TABS else "all"
        result = await fulfilment.list_orders(shop_id=shop_id, tab=tab, q=q, page=page)
        return render(
            request,
            "seller/orders/list.html",
            "seller/orders/_rows.html",
            result=result,
            tab=tab,
            q=q.strip(),
            tabs=TAB_LABELS,
            counts=await fulfilment.tab_counts(shop_id=shop_id),
            **_common(request),
        )

    # ------------------------------------------------------------ detail and its actions
    async def _detail(
        self,
        request: Request,
        order_id: int,
        *,
        status_code: int = 200,
        ship_form: dict[str, str] | None = None,
        ship_errors: dict[str, str] | None = None,
        cancel_form: dict[str, str] | None = None,
        cancel_errors: dict[str, str] | None = None,
        invoice_errors: dict[str, str] | None = None,
        done: str = "",
    ) -> Template:
        detail = await fulfilment.order_detail(shop_id=_shop_id(request), order_id=order_id)
        return render(
            request,
            "seller/orders/detail.html",
            "seller/orders/_detail.html",
            status_code=status_code,
            headers=NO_STORE,
            d=detail,
            o=detail.order,
            ship_form=ship_form or {},
            ship_errors=ship_errors or {},
            cancel_form=cancel_form or {},
            cancel_errors=cancel_errors or {},
            invoice_errors=invoice_errors or {},
            done=done,
            **_common(request),
        )

    def _after(self, request: Request, order_id: int, message: str, **params: Any) -> Template | Redirect | None:
        """After a successful POST: None for htmx (the caller re-renders the detail fragment), else flash + 303."""
        if is_htmx(request):
            return None
        flash(request, message, "success", **params)
        return Redirect(path=f"/seller/orders/{order_id}", status_code=303)

    @get("/{order_id:int}", name="seller:order", guards=[requires_shop_permission("orders.view")])
    async def detail(self, request: Request, order_id: FromPath[int]) -> Template:
        return await self._detail(request, order_id)

    @post("/{order_id:int}/ship", name="seller:order-ship", guards=[requires_shop_permission("orders.ship")])
    async def ship(self, request: Request, order_id: FromPath[int]) -> Template | Redirect:
        form = await form_data(request)
        try:
            no = await fulfilment.ship_order(
                actor=actor_of(request),
                shop_id=_shop_id(request),
                order_id=order_id,
                carrier=form.get("carrier", ""),
                tracking_no=form.get("tracking_no", ""),
            )
        except NotFound:
            raise
        except DomainError as exc:
            return await self._detail(request, order_id, status_code=422, ship_form=form, ship_errors=field_errors(exc))
        message = N_("Order %(no)s has been shipped.")
        return self._after(request, order_id, message, no=no) or await self._detail(
            request, order_id, done=gettext(message, no=no)
        )

    @post("/{order_id:int}/cancel", name="seller:order-cancel", guards=[requires_shop_permission("aftersales.handle")])
    async def cancel(self, request: Request, order_id: FromPath[int]) -> Template | Redirect:
        form = await form_data(request)
        try:
            no = await fulfilment.cancel_paid_order(
                actor=actor_of(request), shop_id=_shop_id(request), order_id=order_id, reason=form.get("reason", "")
            )
        except NotFound:
            raise
        except DomainError as exc:
            return await self._detail(
                request, order_id, status_code=422, cancel_form=form, cancel_errors=field_errors(exc)
            )
        message = N_("Order %(no)s has been cancelled; the buyer's payment is being refunded in full.")
        return self._after(request, order_id, message, no=no) or await self._detail(
            request, order_id, done=gettext(message, no=no)
        )

    @post(
        "/{order_id:int}/invoice",
        name="seller:order-invoice-upload",
        guards=[requires_shop_permission("orders.ship")],
        request_max_body_size=invoices.MAX_BYTES + 256 * 1024,
    )
    async def upload_invoice(self, request: Request, order_id: FromPath[int]) -> Template | Redirect:
        raw = await request.form()
        upload = raw.get("invoice_pdf")
        data = await upload.read() if isinstance(upload, UploadFile) else b""
        try:
            no = await invoices.upload_invoice(
                actor=actor_of(request), shop_id=_shop_id(request), order_id=order_id, data=data
            )
        except NotFound:
            raise
        except DomainError as exc:
            return await self._detail(request, order_id, status_code=422, invoice_errors=field_errors(exc))
        message = N_("The invoice for order %(no)s has been uploaded. The buyer can download it now.")
        return self._after(request, order_id, message, no=no) or await self._detail(
            request, order_id, done=gettext(message, no=no)
        )

    @get("/{order_id:int}/invoice", name="seller:order-invoice", guards=[requires_shop_permission("orders.view")])
    async def download_invoice(self, request: Request, order_id: FromPath[int]) -> Response:
        data = await invoices.invoice_pdf(order_id=order_id, shop_id=_shop_id(request))
        if data is None:
            raise NotFound(N_("This order has no invoice yet."))
        return invoice_response(data, f"invoice-{order_id}.pdf")

    # ------------------------------------------------------------ batch shipping
    async def _batch(
        self,
        request: Request,
        ids: list[int],
        *,
        form: dict[str, str] | None = None,
        errors: dict[int, dict[str, str]] | None = None,
        done: set[int] | None = None,
        status_code: int = 200,
    ) -> Template:
        rows = await fulfilment.shippable_orders(shop_id=_shop_id(request), order_ids=ids) if ids else []
        return render(
            request,
            "seller/orders/ship.html",
            "seller/orders/_ship_rows.html",
            status_code=status_code,
            headers=NO_STORE,
            rows=rows,
            form=form or {},
            errors=errors or {},
            done=done or set(),
            **_common(request),
        )

    @get("/ship", name="seller:orders-ship-form", guards=[requires_shop_permission("orders.ship")])
    async def batch_form(self, request: Request) -> Template:
        """The batch form for the orders ticked on the list (none ticked: the page says how to pick them)."""
        return await self._batch(request, _query_ids(request))

    @post("/ship", name="seller:orders-ship", guards=[requires_shop_permission("orders.ship")])
    async def batch_ship(self, request: Request) -> Template | Redirect:
        raw = await request.form()
        form = {k: v for k, v in raw.items() if isinstance(v, str)}
        ids = fulfilment.parse_ids(v for v in raw.getall("order_id", []) if isinstance(v, str))
        if not ids:
            raise NotFound(fulfilment.ORDER_NOT_FOUND)
        await fulfilment.shippable_orders(shop_id=_shop_id(request), order_ids=ids)  # another shop's id: 404
        results = await fulfilment.ship_many(
            actor=actor_of(request),
            shop_id=_shop_id(request),
            requests=[
                fulfilment.ShipRequest(i, form.get(f"carrier-{i}", ""), form.get(f"tracking_no-{i}", "")) for i in ids
            ],
        )
        done = {r.order_id for r in results if r.ok}
        errors = {
            r.order_id: {
                name: gettext(msgid, **r.params) if name == "__all__" else gettext(msgid)
                for name, msgid in r.errors.items()
            }
            for r in results
            if not r.ok
        }
        if errors or is_htmx(request):
            return await self._batch(
                request, ids, form=form, errors=errors, done=done, status_code=422 if errors else 200
            )
        flash(request, N_("Orders shipped: %(num)s."), "success", num=len(done))
        return Redirect(path=f"{LIST_URL}?tab=shipped", status_code=303)

    # ------------------------------------------------------------ printing
    async def _print(self, request: Request, template: str) -> Template:
        ids = _query_ids(request)
        sheet = await fulfilment.printables(shop_id=_shop_id(request), order_ids=ids) if ids else None
        return Template(template_name=template, context={"sheet": sheet, **_common(request)}, headers=NO_STORE)

    @get("/print/packing", name="seller:orders-print-packing", guards=[requires_shop_permission("orders.ship")])
    async def print_packing(self, request: Request) -> Template:
        return await self._print(request, "seller/orders/print_packing.html")

    @get("/print/labels", name="seller:orders-print-labels", guards=[requires_shop_permission("orders.ship")])
    async def print_labels(self, request: Request) -> Template:
        return await self._print(request, "seller/orders/print_labels.html")

    # ------------------------------------------------------------ self-pickup
    def _pickup(
        self,
        request: Request,
        *,
        code: str = "",
        matches: list[fulfilment.OrderRow] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
        done: str = "",
    ) -> Template:
        return render(
            request,
            "seller/orders/pickup.html",
            "seller/orders/_pickup.html",
            status_code=status_code,
            headers=NO_STORE,
            code=code,
            matches=matches or [],
            errors=errors or {},
            done=done,
            **_common(request),
        )

    @get("/pickup", name="seller:orders-pickup", guards=[requires_shop_permission("orders.ship")])
    async def pickup_page(self, request: Request) -> Template:
        return self._pickup(request)

    @post("/pickup", name="seller:orders-pickup-find", guards=[requires_shop_permission("orders.ship")])
    async def pickup_find(self, request: Request) -> Template:
        form = await form_data(request)
        code = form.get("code", "")
        try:
            matches = await fulfilment.find_pickup(shop_id=_shop_id(request), code=code)
        except (ValidationFailed, RateLimited) as exc:
            return self._pickup(request, code=code, errors=_code_errors(exc), status_code=exc.status_code)
        return self._pickup(request, code=fulfilment.normalise_code(code), matches=matches)

    @post(
        "/pickup/{order_id:int}/hand-over",
        name="seller:orders-pickup-hand-over",
        guards=[requires_shop_permission("orders.ship")],
    )
    async def hand_over(self, request: Request, order_id: FromPath[int]) -> Template | Redirect:
        form = await form_data(request)
        try:
            no = await fulfilment.hand_over(
                actor=actor_of(request), shop_id=_shop_id(request), order_id=order_id, code=form.get("code", "")
            )
        except NotFound:
            raise
        except DomainError as exc:
            code = form.get("code", "")
            return self._pickup(request, code=code, errors=_code_errors(exc), status_code=exc.status_code)
        message = N_("Order %(no)s has been handed over and is now completed.")
        if is_htmx(request):
            return self._pickup(request, done=gettext(message, no=no))
        flash(request, message, "success", no=no)
        return Redirect(path=PICKUP_URL, status_code=303)


def _code_errors(exc: DomainError) -> dict[str, str]:
    errors = field_errors(exc)
    if "__all__" in errors:
        errors["code"] = errors.pop("__all__")
    return errors


def invoice_response(data: bytes, filename: str) -> Response:
    """A PDF for download: never cached, never sniffed, never run as a page of ours."""
    return Response(
        content=data,
        media_type="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "sandbox; default-src 'none'",
        },
    )


ROUTES: list = [OrderSellerController]
