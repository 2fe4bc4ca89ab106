"""Routes of the aftersales app (issue 8).

Buyer (signed in; another buyer's request or item is 404):
- GET /aftersales/items/{order_item_id}/action: the order page's lazy per-item button (apply / in progress / empty)
- GET|POST /me/aftersales/apply?item=: the application form (that item, plus any other items of the same order,
  each with its units and amount); GET /me/aftersales/: list; GET /me/aftersales/{id}: detail with the timeline;
  POST /me/aftersales/{id}/ship | cancel | escalate | exchange-received
Seller (shop permission orders.view to read, aftersales.handle to act; another shop's request is 404):
- GET /seller/aftersales/?status=, GET /seller/aftersales/{id}; POST .../{id}/approve | reject | received | reship
  (an exchange's replacement) | statement
Platform (role moderator or operations):
- GET /admin/aftersales/ (escalated disputes), GET /admin/aftersales/{id}, POST /admin/aftersales/{id}/rule

Without JavaScript every action is a POST then 303 with a flash message; a refused form re-renders (422) with what
was typed."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.aftersales import rules, services
from app.core.errors import DomainError, NotFound
from app.core.i18n import N_, gettext
from app.core.money import parse_yuan
from app.orders import carrier as carriers
from app.sellers.permissions import has_permission, requires_shop_permission
from app.web.auth import current_user
from app.web.flash import flash
from app.web.forms import actor_of, field_errors, form_data
from app.web.guards import requires_login, requires_platform_role
from app.web.htmx import is_htmx

NO_STORE = {"Cache-Control": "private, no-store"}
CSS = "css/aftersales.css"


def _common() -> dict[str, Any]:
    return {
        "kind_labels": rules.KIND_LABELS,
        "status_labels": rules.STATUS_LABELS,
        "reason_labels": services.REASONS,
        "ruling_labels": services.RULING_LABELS,
        "carriers": carriers.CARRIERS,
        "carrier_name": carriers.carrier_name,
        "tr": gettext,
        "needs_return": rules.needs_return,
    }


MAX_UPLOAD_BYTES = services.MAX_PHOTOS * services.MAX_PHOTO_BYTES + 256 * 1024


def _photo_response(data: bytes) -> Response[bytes]:
    return Response(
        content=data,
        media_type="image/jpeg",
        headers={"Cache-Control": "private, max-age=86400", "X-Content-Type-Options": "nosniff"},
    )


async def _form_and_photos(request: Request) -> tuple[dict[str, str], list[bytes]]:
    raw = await request.form()
    form = {k: v for k, v in raw.items() if isinstance(v, str)}
    return form, [await u.read() for u in raw.getall("photos", []) if isinstance(u, UploadFile)]


def _done(request: Request, path: str) -> Redirect | Response[str]:
    """After a successful POST: 303 to the page; for a boosted (htmx) form, HX-Location so htmx loads that page and
    puts its URL in the address bar (a followed redirect would leave the form's URL there)."""
    if is_htmx(request):
        return Response(content="", status_code=200, media_type="text/html", headers={"HX-Location": path, **NO_STORE})
    return Redirect(path=path, status_code=303)


def _uid(request: Request) -> int:
    user = current_user(request)
    assert user is not None
    return user.id


def _amount(value: str, field: str = "amount") -> int:
    try:
        return parse_yuan(value)
    except DomainError as exc:
        raise type(exc)(exc.message, field=field, **exc.params) from None


def _ids(values: list[Any]) -> set[int]:
    """The checked item ids of the application form (anything else is ignored)."""
    return {int(v) for v in values if isinstance(v, str) and v.isascii() and v.isdigit() and len(v) <= 10}


def _ask(form: dict[str, str], item_id: int, qty_field: str, amount_field: str) -> services.ItemAsk:
    """One item of the application form: its units (empty: all) and amount (none for an exchange)."""
    raw_qty = (form.get(qty_field) or "").strip()
    if raw_qty and not (raw_qty.isascii() and raw_qty.isdigit() and len(raw_qty) <= 6):
        raise services.AfterSaleError(N_("Enter a whole number of units."), field=qty_field)
    amount = 0 if form.get("kind") == "exchange" else _amount(form.get(amount_field, ""), amount_field)
    return services.ItemAsk(item_id, int(raw_qty) if raw_qty else None, amount)


async def _detail_page(template: str, row: dict[str, Any], *, status: int = 200, **context: Any) -> Template:
    """One request with its timeline and dispute: the same page data for the buyer, the shop and the platform."""
    return Template(
        template_name=template,
        context={
            "a": row,
            "events": await services.timeline(after_sale_id=row["id"]),
            "items": await services.request_items(after_sale_id=row["id"]),
            "dispute": await services.dispute_of(after_sale_id=row["id"]),
            "form": context.pop("form", {}),
            "errors": context.pop("errors", {}),
            **context,
            **_common(),
        },
        status_code=status,
        headers=NO_STORE,
    )


class ItemActionController(Controller):
    path = "/aftersales"

    @get("/items/{order_item_id:int}/action", name="aftersales:item-action")
    async def item_action(self, request: Request, order_item_id: FromPath[int]) -> Response[str] | Template:
        user = current_user(request)
        action = await services.item_action(buyer_id=user.id, order_item_id=order_item_id) if user is not None else None
        if action is None:
            return Response(content="", media_type="text/html", headers=NO_STORE)
        return Template(template_name="storefront/aftersales/_action.html", context={"a": action}, headers=NO_STORE)


class BuyerController(Controller):
    path = "/me/aftersales"
    guards = [requires_login]

    @get("/", name="aftersales:mine")
    async def index(self, request: Request) -> Template:
        rows = await services.buyer_requests(buyer_id=_uid(request))
        return Template(
            template_name="storefront/aftersales/list.html", context={"rows": rows, **_common()}, headers=NO_STORE
        )

    async def _form(
        self,
        request: Request,
        item_id: int,
        form: dict[str, str],
        errors: dict[str, str],
        status: int = 200,
        chosen: frozenset[int] = frozenset(),
    ) -> Template:
        item = await services.apply_context(buyer_id=_uid(request), order_item_id=item_id)
        others = [
            o
            for o in await services.order_items_context(buyer_id=_uid(request), order_id=int(item["order_id"]))
            if o["id"] != item["id"]
        ]
        if not form:
            form = {"amount": f"{item['refundable_fen'] / 100:.2f}", "kind": "refund_only",
                    "quantity": str(item["quantity"])}  # fmt: skip
        for o in others:  # the other items of the order: their units and refundable amount unless typed
            form.setdefault(f"qty-{o['id']}", str(o["quantity"]))
            form.setdefault(f"amount-{o['id']}", f"{o['refundable_fen'] / 100:.2f}")
        return Template(
            template_name="storefront/aftersales/apply.html",
            context={"item": item, "others": others, "chosen": chosen, "form": form, "errors": errors, **_common()},
            status_code=status,
            headers=NO_STORE,
        )

    @get("/apply", name="aftersales:apply-form")
    async def apply_form(self, request: Request, item: FromQuery[int]) -> Template:
        return await self._form(request, item, {}, {})

    @post("/apply", name="aftersales:apply", request_max_body_size=MAX_UPLOAD_BYTES)
    async def apply(self, request: Request) -> Template | Redirect | Response[str]:
        raw = await request.form()
        form = {k: v for k, v in raw.items() if isinstance(v, str)}
        uploads = [await u.read() for u in raw.getall("photos", []) if isinstance(u, UploadFile)]
        try:
            item_id = int(form.get("item", ""))
        except ValueError:
            raise NotFound(N_("Order item not found.")) from None
        chosen = frozenset(_ids(raw.getall("items", [])) - {item_id})
        try:
            asks = [_ask(form, item_id, "quantity", "amount")]
            asks += [_ask(form, other, f"qty-{other}", f"amount-{other}") for other in sorted(chosen)]
            await services.apply_context(buyer_id=_uid(request), order_item_id=item_id)  # 404 before storing
            photos = await services.store_photos(uploads)
            after_sale_id = await services.apply_items(
                actor=actor_of(request),
                buyer_id=_uid(request),
                items=asks,
                kind=form.get("kind", ""),
                reason=form.get("reason", ""),
                note=form.get("note", ""),
                photos=photos,
            )
        except NotFound:
            raise
        except DomainError as exc:
            return await self._form(request, item_id, form, field_errors(exc), 422, chosen)
        flash(request, N_("Your after-sales request has been sent to the shop."), "success")
        return _done(request, f"/me/aftersales/{after_sale_id}")

    async def _detail(self, request: Request, after_sale_id: int, *, status: int = 200, **context: Any) -> Template:
        row = await services.buyer_request(buyer_id=_uid(request), after_sale_id=after_sale_id)
        return await _detail_page("storefront/aftersales/detail.html", row, status=status, **context)

    @get("/{after_sale_id:int}", name="aftersales:detail")
    async def detail(self, request: Request, after_sale_id: FromPath[int]) -> Template:
        return await self._detail(request, after_sale_id)

    @get("/{after_sale_id:int}/photos/{index:int}", name="aftersales:photo")
    async def photo(self, request: Request, after_sale_id: FromPath[int], index: FromPath[int]) -> Response[bytes]:
        row = await services.buyer_request(buyer_id=_uid(request), after_sale_id=after_sale_id)
        return _photo_response(await services.photo(row, index))

    async def _act(
        self, request: Request, after_sale_id: int, run: Any, done: str
    ) -> Template | Redirect | Response[str]:
        form = await form_data(request)
        try:
            await run(form)
        except NotFound:
            raise
        except DomainError as exc:
            return await self._detail(request, after_sale_id, status=422, form=form, errors=field_errors(exc))
        flash(request, done, "success")
        return _done(request, f"/me/aftersales/{after_sale_id}")

    @post("/{after_sale_id:int}/ship", name="aftersales:ship")
    async def ship(self, request: Request, after_sale_id: FromPath[int]) -> Template | Redirect | Response[str]:
        async def run(form: dict[str, str]) -> None:
            await services.ship_return(
                actor=actor_of(request),
                buyer_id=_uid(request),
                after_sale_id=after_sale_id,
                carrier=form.get("carrier", ""),
                tracking_no=form.get("tracking_no", ""),
            )

        return await self._act(request, after_sale_id, run, N_("The shop has been told the return is on its way."))

    @post("/{after_sale_id:int}/exchange-received", name="aftersales:exchange-received")
    async def exchange_received(
        self, request: Request, after_sale_id: FromPath[int]
    ) -> Template | Redirect | Response[str]:
        async def run(form: dict[str, str]) -> None:
            await services.confirm_replacement(actor=actor_of(request), buyer_id=_uid(request),
                                               after_sale_id=after_sale_id)  # fmt: skip

        return await self._act(request, after_sale_id, run, N_("Thank you: the exchange is complete."))

    @post("/{after_sale_id:int}/cancel", name="aftersales:cancel")
    async def cancel(self, request: Request, after_sale_id: FromPath[int]) -> Template | Redirect | Response[str]:
        async def run(form: dict[str, str]) -> None:
            await services.cancel(actor=actor_of(request), buyer_id=_uid(request), after_sale_id=after_sale_id)

        return await self._act(request, after_sale_id, run, N_("The after-sales request has been cancelled."))

    @post("/{after_sale_id:int}/escalate", name="aftersales:escalate", request_max_body_size=MAX_UPLOAD_BYTES)
    async def escalate(self, request: Request, after_sale_id: FromPath[int]) -> Template | Redirect | Response[str]:
        form, uploads = await _form_and_photos(request)
        try:
            await services.buyer_request(buyer_id=_uid(request), after_sale_id=after_sale_id)  # 404 before storing
            photos = await services.store_photos(uploads)
            await services.escalate(actor=actor_of(request), buyer_id=_uid(request), after_sale_id=after_sale_id,
                                    statement=form.get("statement", ""), evidence=photos)  # fmt: skip
        except NotFound:
            raise
        except DomainError as exc:
            return await self._detail(request, after_sale_id, status=422, form=form, errors=field_errors(exc))
        flash(request, N_("The platform will review your request."), "success")
        return _done(request, f"/me/aftersales/{after_sale_id}")

    @get("/{after_sale_id:int}/evidence/{side:str}/{index:int}", name="aftersales:evidence")
    async def evidence(
        self, request: Request, after_sale_id: FromPath[int], side: FromPath[str], index: FromPath[int]
    ) -> Response[bytes]:
        await services.buyer_request(buyer_id=_uid(request), after_sale_id=after_sale_id)
        data = await services.evidence_photo(after_sale_id=after_sale_id, side=side, index=index)
        return _photo_response(data)


def _shop_id(request: Request) -> int:
    return int(request.state.shop.shop_id)


SELLER_TABS = (
    "", "requested", "approved", "buyer_shipped", "received", "reshipped", "rejected", "escalated", "refunded", "closed"
)  # fmt: skip


class SellerController(Controller):
    path = "/seller/aftersales"

    @get("/", name="seller:aftersales", guards=[requires_shop_permission("orders.view")])
    async def index(self, request: Request, status: FromQuery[str] = "") -> Template:
        status = status if status in SELLER_TABS else ""
        shop_id = _shop_id(request)
        return Template(
            template_name="seller/aftersales/list.html",
            context={
                "rows": await services.shop_requests(shop_id=shop_id, status=status),
                "counts": await services.shop_counts(shop_id=shop_id),
                "tabs": SELLER_TABS,
                "status": status,
                **_common(),
            },
            headers=NO_STORE,
        )

    @get("/order/{order_id:int}", name="seller:aftersales-order", guards=[requires_shop_permission("orders.view")])
    async def for_order(self, request: Request, order_id: FromPath[int]) -> Template:
        """The seller's order page lazily shows this order's requests, and warns while a refund is open on a paid
        order (shipping it would send goods the buyer is being refunded for)."""
        rows = await services.order_requests(shop_id=_shop_id(request), order_id=order_id)
        open_refund = any(r["status"] in rules.OPEN_STATES and r["order_status"] == "paid" for r in rows)
        return Template(
            template_name="seller/aftersales/_order_requests.html",
            context={"rows": rows, "open_refund": open_refund, **_common()},
            headers=NO_STORE,
        )

    async def _detail(self, request: Request, after_sale_id: int, *, status: int = 200, **context: Any) -> Template:
        row = await services.shop_request(shop_id=_shop_id(request), after_sale_id=after_sale_id)
        can_act = has_permission(request.state.shop.role, "aftersales.handle")
        return await _detail_page("seller/aftersales/detail.html", row, status=status, can_act=can_act, **context)

    @get("/{after_sale_id:int}", name="seller:aftersale", guards=[requires_shop_permission("orders.view")])
    async def detail(self, request: Request, after_sale_id: FromPath[int]) -> Template:
        return await self._detail(request, after_sale_id)

    @get("/{after_sale_id:int}/photos/{index:int}", name="seller:aftersale-photo",
         guards=[requires_shop_permission("orders.view")])  # fmt: skip
    async def photo(self, request: Request, after_sale_id: FromPath[int], index: FromPath[int]) -> Response[bytes]:
        row = await services.shop_request(shop_id=_shop_id(request), after_sale_id=after_sale_id)
        return _photo_response(await services.photo(row, index))

    async def _act(
        self, request: Request, after_sale_id: int, run: Any, done: str
    ) -> Template | Redirect | Response[str]:
        form = await form_data(request)
        try:
            await run(form)
        except NotFound:
            raise
        except DomainError as exc:
            return await self._detail(request, after_sale_id, status=422, form=form, errors=field_errors(exc))
        flash(request, done, "success")
        return _done(request, f"/seller/aftersales/{after_sale_id}")

    @post("/{after_sale_id:int}/approve", name="seller:aftersale-approve",
          guards=[requires_shop_permission("aftersales.handle")])  # fmt: skip
    async def approve(self, request: Request, after_sale_id: FromPath[int]) -> Template | Redirect | Response[str]:
        async def run(form: dict[str, str]) -> None:
            address = {"name": form.get("return_name", ""), "phone": form.get("return_phone", ""),
                       "address": form.get("return_address", "")}  # fmt: skip
            await services.approve(actor=actor_of(request), shop_id=_shop_id(request), after_sale_id=after_sale_id,
                                   return_address=address)  # fmt: skip

        return await self._act(request, after_sale_id, run, N_("The request has been approved."))

    @post("/{after_sale_id:int}/reject", name="seller:aftersale-reject",
          guards=[requires_shop_permission("aftersales.handle")])  # fmt: skip
    async def reject(self, request: Request, after_sale_id: FromPath[int]) -> Template | Redirect | Response[str]:
        async def run(form: dict[str, str]) -> None:
            await services.reject(actor=actor_of(request), shop_id=_shop_id(request), after_sale_id=after_sale_id,
                                  reason=form.get("reason", ""))  # fmt: skip

        return await self._act(request, after_sale_id, run, N_("The request has been rejected."))

    @post("/{after_sale_id:int}/received", name="seller:aftersale-received",
          guards=[requires_shop_permission("aftersales.handle")])  # fmt: skip
    async def received(self, request: Request, after_sale_id: FromPath[int]) -> Template | Redirect | Response[str]:
        async def run(form: dict[str, str]) -> None:
            await services.confirm_received(actor=actor_of(request), shop_id=_shop_id(request),
                                            after_sale_id=after_sale_id)  # fmt: skip

        return await self._act(request, after_sale_id, run, N_("Return received; the buyer is being refunded."))

    @post("/{after_sale_id:int}/reship", name="seller:aftersale-reship",
          guards=[requires_shop_permission("aftersales.handle")])  # fmt: skip
    async def reship(self, request: Request, after_sale_id: FromPath[int]) -> Template | Redirect | Response[str]:
        async def run(form: dict[str, str]) -> None:
            await services.ship_replacement(actor=actor_of(request), shop_id=_shop_id(request),
                                            after_sale_id=after_sale_id, carrier=form.get("carrier", ""),
                                            tracking_no=form.get("tracking_no", ""))  # fmt: skip

        done = N_("The buyer has been told the replacement is on its way.")
        return await self._act(request, after_sale_id, run, done)

    @post("/{after_sale_id:int}/statement", name="seller:aftersale-statement",
          guards=[requires_shop_permission("aftersales.handle")], request_max_body_size=MAX_UPLOAD_BYTES)  # fmt: skip
    async def statement(self, request: Request, after_sale_id: FromPath[int]) -> Template | Redirect | Response[str]:
        form, uploads = await _form_and_photos(request)
        try:
            await services.shop_request(shop_id=_shop_id(request), after_sale_id=after_sale_id)  # 404 before storing
            photos = await services.store_photos(uploads)
            await services.seller_statement(
                actor=actor_of(request),
                shop_id=_shop_id(request),
                after_sale_id=after_sale_id,
                statement=form.get("statement", ""),
                evidence=photos,
            )
        except NotFound:
            raise
        except DomainError as exc:
            return await self._detail(request, after_sale_id, status=422, form=form, errors=field_errors(exc))
        flash(request, N_("Your statement has been sent to the platform."), "success")
        return _done(request, f"/seller/aftersales/{after_sale_id}")

    @get("/{after_sale_id:int}/evidence/{side:str}/{index:int}", name="seller:aftersale-evidence",
         guards=[requires_shop_permission("orders.view")])  # fmt: skip
    async def evidence(
        self, request: Request, after_sale_id: FromPath[int], side: FromPath[str], index: FromPath[int]
    ) -> Response[bytes]:
        await services.shop_request(shop_id=_shop_id(request), after_sale_id=after_sale_id)
        data = await services.evidence_photo(after_sale_id=after_sale_id, side=side, index=index)
        return _photo_response(data)


class DisputeAdminController(Controller):
    path = "/admin/aftersales"
    guards = [requires_platform_role("moderator", "operations")]

    @get("/", name="admin:aftersales")
    async def index(self, request: Request, status: FromQuery[str] = "open") -> Template:
        status = status if status in ("open", "ruled") else "open"
        return Template(
            template_name="admin/aftersales/list.html",
            context={"rows": await services.disputes(status=status), "status": status, **_common()},
            headers=NO_STORE,
        )

    async def _detail(self, request: Request, after_sale_id: int, *, status: int = 200, **context: Any) -> Template:
        row = await services.dispute_request(after_sale_id=after_sale_id)
        return await _detail_page("admin/aftersales/detail.html", row, status=status, **context)

    @get("/{after_sale_id:int}", name="admin:aftersale")
    async def detail(self, request: Request, after_sale_id: FromPath[int]) -> Template:
        return await self._detail(request, after_sale_id)

    @get("/{after_sale_id:int}/photos/{index:int}", name="admin:aftersale-photo")
    async def photo(self, request: Request, after_sale_id: FromPath[int], index: FromPath[int]) -> Response[bytes]:
        row = await services.dispute_request(after_sale_id=after_sale_id)
        return _photo_response(await services.photo(row, index))

    @get("/{after_sale_id:int}/evidence/{side:str}/{index:int}", name="admin:aftersale-evidence")
    async def evidence(
        self, request: Request, after_sale_id: FromPath[int], side: FromPath[str], index: FromPath[int]
    ) -> Response[bytes]:
        await services.dispute_request(after_sale_id=after_sale_id)
        data = await services.evidence_photo(after_sale_id=after_sale_id, side=side, index=index)
        return _photo_response(data)

    @post("/{after_sale_id:int}/rule", name="admin:aftersale-rule")
    async def rule(self, request: Request, after_sale_id: FromPath[int]) -> Template | Redirect | Response[str]:
        form = await form_data(request)
        try:
            ruling = form.get("ruling", "")
            amount = _amount(form.get("amount", "")) if ruling == "refund_partial" else None
            await services.rule(actor=actor_of(request), after_sale_id=after_sale_id, ruling=ruling,
                                amount_fen=amount, reason=form.get("reason", ""))  # fmt: skip
        except NotFound:
            raise
        except DomainError as exc:
            return await self._detail(request, after_sale_id, status=422, form=form, errors=field_errors(exc))
        flash(request, N_("The ruling has been recorded."), "success")
        return _done(request, f"/admin/aftersales/{after_sale_id}")


ROUTES: list[Any] = [ItemActionController, BuyerController, SellerController, DisputeAdminController]
