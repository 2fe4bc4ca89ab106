"""Payment pages and endpoints.

- GET /pay/{group_no}: the buyer's own unpaid group → 303 to the provider's cashier (checkout redirects here; so does
  "pay" on an unpaid order). Paid, cancelled or overdue: back to the return page with the reason.
- GET /pay/{group_no}/return: where the provider sends the buyer back: "payment received", or "waiting for the
  payment result…" polled by htmx every 2 s (a refresh link without JavaScript).
- POST /payments/notify/{provider}: the provider's signed notice (CSRF-exempt: it comes from the provider's server;
  the signature is its authentication). Answers the provider's ack ("success") when handled, 400 otherwise.
- /sandbox/pay/{token}: the sandbox provider's hosted cashier (app/payments/sandbox.py): Pay, Fail, Abandon. Its
  forms are CSRF-protected like every other form of ours."""

from __future__ import annotations

from litestar import Controller, Request, Response, get, post
from litestar.exceptions import NotFoundException
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.payments import sandbox, services
from app.payments.errors import PaymentError
from app.payments.gateway import gateway
from app.web.auth import current_user
from app.web.flash import flash
from app.web.guards import requires_login
from app.web.htmx import render

NO_STORE = {"Cache-Control": "no-store"}


def _buyer_id(request: Request) -> int:
    user = current_user(request)
    assert user is not None
    return user.id


class PaymentStorefrontController(Controller):
    path = "/pay"
    guards = [requires_login]

    @get("/{group_no:str}", name="payments:pay")
    async def pay(self, request: Request, group_no: FromPath[str]) -> Redirect:
        try:
            url = await services.start_payment(group_no=group_no, buyer_id=_buyer_id(request))
        except PaymentError as exc:
            flash(request, exc.message, "warning", **exc.params)
            return Redirect(path=f"/pay/{group_no}/return", status_code=303, headers=NO_STORE)
        return Redirect(path=url, status_code=303, headers=NO_STORE)

    @get("/{group_no:str}/return", name="payments:return")
    async def result(self, request: Request, group_no: FromPath[str]) -> Template:
        """`?left=1`: the buyer left the cashier without paying (the provider's cancel URL): no waiting, no polling."""
        view = await services.payment_status(group_no=group_no, buyer_id=_buyer_id(request))
        return render(
            request,
            "storefront/payments/return.html",
            "storefront/payments/_status.html",
            headers=NO_STORE,
            view=view,
            left=request.query_params.get("left") == "1" and view.state == "waiting",
        )


class PaymentNotifyController(Controller):
    path = "/payments/notify"

    @post("/{provider:str}", name="payments:notify", status_code=200)
    async def notify(self, request: Request, provider: FromPath[str]) -> Response[str]:
        body = await request.body()
        if await services.handle_notice(provider=provider, headers=request.headers, body=body):
            return Response(content=gateway(provider).ack, media_type="text/plain", headers=NO_STORE)
        return Response(content="fail", media_type="text/plain", status_code=400, headers=NO_STORE)


class SandboxCashierController(Controller):
    """The sandbox provider's pages: they stand for a third party's site, so they use no account of ours."""

    path = "/sandbox/pay"

    async def _charge(self, token: FromPath[str]) -> sandbox.Charge:
        found = await sandbox.charge(token=token)
        if found is None:
            raise NotFoundException()
        return found

    @get("/{token:str}", name="sandbox:cashier")
    async def cashier(self, token: FromPath[str]) -> Template:
        found = await self._charge(token)
        return Template(template_name="sandbox/pay.html", context={"charge": found}, headers=NO_STORE)

    @post("/{token:str}/pay", name="sandbox:pay")
    async def pay(self, token: FromPath[str]) -> Template | Redirect:
        found = await self._charge(token)
        outcome = await sandbox.pay(token=token)
        if outcome in {"paid", "already_paid"}:
            return Redirect(path=found.return_url, status_code=303)
        return Template(
            template_name="sandbox/pay.html",
            context={"charge": await self._charge(token)},
            status_code=409,
            headers=NO_STORE,
        )

    @post("/{token:str}/fail", name="sandbox:fail")
    async def fail(self, token: FromPath[str]) -> Template:
        await self._charge(token)
        found = await sandbox.fail(token=token)
        return Template(template_name="sandbox/failed.html", context={"charge": found}, headers=NO_STORE)


ROUTES: list = [PaymentStorefrontController, PaymentNotifyController, SandboxCashierController]
