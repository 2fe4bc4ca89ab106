"""Pages of the settlement app (issue 9).

Seller (/seller/finance/, statements.view; payouts and the sandbox deposit need payouts.request): balances,
statements with CSV/XLSX downloads, the ledger with filters, payout requests, the deposit.
Finance (/admin/finance/, platform role finance; admins too): the payout queue, balances per shop, reconciliation."""

from __future__ import annotations

import secrets
from datetime import date, timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.core import clock
from app.core.errors import DomainError
from app.core.i18n import N_
from app.core.money import parse_yuan
from app.sellers.permissions import has_permission, requires_shop_permission
from app.settlement import exports, services
from app.settlement.ledger import beijing_day
from app.web.flash import flash
from app.web.forms import actor_of, field_errors, form_data
from app.web.guards import requires_platform_role
from app.web.htmx import render

ACCOUNTS = ("shop_pending", "shop_available", "shop_payout", "shop_deposit")


def _shop_id(request: Request) -> int:
    return int(request.state.shop.shop_id)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text.strip()) if text and text.strip() else None
    except ValueError:
        return None


class FinanceSellerController(Controller):
    path = "/seller/finance"

    async def _home(
        self, request: Request, *, form: dict[str, str] | None = None, errors: dict[str, str] | None = None
    ) -> Template:
        shop_id = _shop_id(request)
        return Template(
            template_name="seller/finance/home.html",
            context={
                "balances": await services.balances(shop_id=shop_id),
                "statements": await services.list_statements(shop_id=shop_id, limit=12),
                "payouts": await services.list_payouts(shop_id=shop_id, limit=10),
                "can_request": has_permission(request.state.shop.role, "payouts.request"),
                "form": form or {},
                "errors": errors or {},
                "min_fen": await services.setting("settlement.payout_min_fen"),
                "fee_bp": await services.setting("settlement.payout_fee_bp"),
            },
            status_code=422 if errors else 200,
        )

    @get("/", name="seller:finance", guards=[requires_shop_permission("statements.view")])
    async def home(self, request: Request) -> Template:
        return await self._home(request)

    @get("/statements", name="seller:finance-statements", guards=[requires_shop_permission("statements.view")])
    async def statements(self, request: Request) -> Template:
        return Template(
            template_name="seller/finance/statements.html",
            context={"statements": await services.list_statements(shop_id=_shop_id(request))},
        )

    @get(
        "/statements/{statement_id:int}",
        name="seller:finance-statement",
        guards=[requires_shop_permission("statements.view")],
    )
    async def statement(self, request: Request, statement_id: FromPath[int]) -> Template:
        view = await services.get_statement(statement_id=statement_id, shop_id=_shop_id(request))
        return Template(template_name="seller/finance/statement.html", context={"s": view})

    @get(
        "/statements/{statement_id:int}/download",
        name="seller:finance-statement-download",
        guards=[requires_shop_permission("statements.view")],
    )
    async def download(self, request: Request, statement_id: FromPath[int], format: FromQuery[str] = "csv") -> Response:
        view = await services.get_statement(statement_id=statement_id, shop_id=_shop_id(request))
        return statement_download(view, format)

    @get("/ledger", name="seller:finance-ledger", guards=[requires_shop_permission("statements.view")])
    async def ledger(
        self,
        request: Request,
        account: FromQuery[str] = "",
        kind: FromQuery[str] = "",
        from_: FromQuery[str] = "",
        to: FromQuery[str] = "",
    ) -> Template:
        account = account if account in ACCOUNTS else ""
        kind = kind if kind in services.KINDS else ""
        day_from = _day(request.query_params.get("from", "") or from_)
        day_to = _day(to)
        rows = await services.ledger_entries(
            shop_id=_shop_id(request), account=account, kind=kind, day_from=day_from, day_to=day_to
        )
        return render(
            request,
            "seller/finance/ledger.html",
            "seller/finance/_ledger_rows.html",
            rows=rows,
            account=account,
            kind=kind,
            day_from=day_from,
            day_to=day_to,
            accounts=ACCOUNTS,
            kinds=services.KINDS,
        )

    @post("/payouts", name="seller:finance-payout", guards=[requires_shop_permission("payouts.request")])
    async def request_payout(self, request: Request) -> Template | Redirect:
        form = await form_data(request)
        try:
            amount = parse_yuan(form.get("amount", ""))
            payout = await services.request_payout(
                shop_id=_shop_id(request), amount_fen=amount, actor=actor_of(request)
            )
        except DomainError as exc:
            errors = field_errors(exc)
            errors.setdefault("amount", errors.pop("__all__", ""))
            return await self._home(request, form=form, errors=errors)
        flash(request, N_("Payout %(no)s requested: the finance team will review it."), "success", no=payout["no"])
        return Redirect(path="/seller/finance/", status_code=303)

    @get("/deposit", name="seller:finance-deposit", guards=[requires_shop_permission("statements.view")])
    async def deposit(self, request: Request) -> Template:
        b = await services.balances(shop_id=_shop_id(request))
        return Template(
            template_name="seller/finance/deposit.html",
            context={
                "balances": b,
                "due": max(b["deposit_required"] - b["shop_deposit"], 0),
                "nonce": secrets.token_urlsafe(12),
                "can_pay": has_permission(request.state.shop.role, "payouts.request"),
                "entries": await services.ledger_entries(shop_id=_shop_id(request), account="shop_deposit"),
            },
        )

    @post("/deposit", name="seller:finance-deposit-pay", guards=[requires_shop_permission("payouts.request")])
    async def pay_deposit(self, request: Request) -> Redirect:
        form = await form_data(request)
        try:
            amount = parse_yuan(form.get("amount", ""))
            paid = await services.pay_deposit(
                shop_id=_shop_id(request), amount_fen=amount, key=form.get("nonce", "") or "x", actor=actor_of(request)
            )
        except DomainError as exc:
            flash(request, exc.message, "error", **exc.params)
            return Redirect(path="/seller/finance/deposit", status_code=303)
        if paid:
            flash(request, N_("Deposit received (sandbox payment)."), "success")
        return Redirect(path="/seller/finance/deposit", status_code=303)


def statement_download(view: services.StatementView, fmt: str) -> Response:
    stem = f"statement-{view.no}"
    if fmt == "xlsx":
        data = exports.statement_xlsx(view)
        media = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    else:
        fmt, data, media = "csv", exports.statement_csv(view), "text/csv; charset=utf-8"
    return Response(
        content=data,
        media_type=media,
        headers={
            "Content-Disposition": f'attachment; filename="{stem}.{fmt}"',
            "Cache-Control": "private, no-store",
            "X-Content-Type-Options": "nosniff",
        },
    )


class FinanceAdminController(Controller):
    path = "/admin/finance"
    guards = [requires_platform_role("finance")]

    @get("/", name="admin:finance")
    async def home(self, request: Request, status: FromQuery[str] = "requested") -> Template:
        status = status if status in ("requested", "approved", "rejected", "paid", "") else "requested"
        return Template(
            template_name="admin/finance/home.html",
            context={
                "payouts": await services.list_payouts(status=status),
                "status": status,
                "shops": await services.all_balances(),
                "platform": await services.platform_balances(),
                "statements": await services.recent_statements(),
            },
        )

    async def _act(self, request: Request, action: Any, **kwargs: Any) -> Redirect:
        try:
            await action(actor=actor_of(request), **kwargs)
        except DomainError as exc:
            flash(request, exc.message, "error", **exc.params)
        else:
            flash(request, N_("Saved."), "success")
        back = (await form_data(request)).get("back", "")
        return Redirect(path=back if back.startswith("/admin/finance/") else "/admin/finance/", status_code=303)

    @post("/payouts/{payout_id:int}/approve", name="admin:finance-approve")
    async def approve(self, request: Request, payout_id: FromPath[int]) -> Redirect:
        return await self._act(request, services.approve_payout, payout_id=payout_id)

    @post("/payouts/{payout_id:int}/reject", name="admin:finance-reject")
    async def reject(self, request: Request, payout_id: FromPath[int]) -> Redirect:
        form = await form_data(request)
        return await self._act(request, services.reject_payout, payout_id=payout_id, reason=form.get("reason", ""))

    @post("/payouts/{payout_id:int}/paid", name="admin:finance-paid")
    async def paid(self, request: Request, payout_id: FromPath[int]) -> Redirect:
        form = await form_data(request)
        return await self._act(
            request, services.mark_payout_paid, payout_id=payout_id, bank_ref=form.get("bank_ref", "")
        )

    @get("/statements/{statement_id:int}", name="admin:finance-statement")
    async def statement(self, request: Request, statement_id: FromPath[int], format: FromQuery[str] = "") -> Any:
        view = await services.get_statement(statement_id=statement_id, shop_id=None)
        if format in ("csv", "xlsx"):
            return statement_download(view, format)
        return Template(template_name="admin/finance/statement.html", context={"s": view})

    @get("/reconciliation", name="admin:finance-reconciliation")
    async def reconciliation(self, request: Request, to: FromQuery[str] = "") -> Template:
        today = beijing_day(clock.now())
        day_to = _day(to) or today
        day_from = _day(request.query_params.get("from", "")) or day_to - timedelta(days=6)
        if day_from > day_to:
            day_from, day_to = day_to, day_from
        day_from = max(day_from, day_to - timedelta(days=366))
        report = await services.reconcile(day_from=day_from, day_to=day_to)
        return Template(template_name="admin/finance/reconciliation.html", context={"r": report})


ROUTES: list[Any] = [FinanceSellerController, FinanceAdminController]
