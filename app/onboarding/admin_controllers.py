"""Platform admin: the application review queue, fee rules, the exam's questions and pass mark, and shops
(suspend / reopen / close, fee confirmation). Operations staff and admins."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.core.errors import DomainError
from app.core.i18n import N_, get_locale
from app.onboarding import documents, exam, services, shops
from app.onboarding.errors import translate_errors
from app.onboarding.forms import SHOP_TYPES
from app.onboarding.states import STATUSES, allowed_actions
from app.web.flash import flash
from app.web.forms import actor_of, form_data
from app.web.guards import requires_platform_role


def _redirect(path: str) -> Redirect:
    return Redirect(path=path, status_code=303)


class ApplicationAdminController(Controller):
    path = "/admin/sellers"
    guards = [requires_platform_role("operations")]

    @get("/applications", name="admin:seller-applications")
    async def index(
        self,
        request: Request,
        status: FromQuery[str] = "submitted",
        type: FromQuery[str] = "",
        page: FromQuery[int] = 1,
    ) -> Template:
        status = status if status in STATUSES or status == "" else "submitted"
        shop_type = type if type in SHOP_TYPES else ""
        result = await services.list_applications(status=status, shop_type=shop_type, page=page)
        return Template(
            template_name="admin/onboarding/applications.html",
            context={
                "result": result,
                "status": status,
                "shop_type": shop_type,
                "statuses": STATUSES,
                "shop_types": SHOP_TYPES,
            },
        )

    async def _detail(
        self, request: Request, application_id: int, *, errors: dict[str, str] | None = None, status_code: int = 200
    ) -> Template:
        app = await services.application_for_review(application_id)
        roots = await services.level1_categories()
        return Template(
            template_name="admin/onboarding/application.html",
            context={
                "app": app,
                "actions": allowed_actions(app["status"]),
                "category_names": {r.id: r.name(get_locale()) for r in roots},
                "errors": errors or {},
            },
            status_code=status_code,
        )

    @get("/applications/{application_id:int}", name="admin:seller-application")
    async def detail(self, request: Request, application_id: FromPath[int]) -> Template:
        return await self._detail(request, application_id)

    @post("/applications/{application_id:int}/decide", name="admin:seller-application-decide")
    async def decide(self, request: Request, application_id: FromPath[int]) -> Template | Redirect:
        form = await form_data(request)
        action = form.get("action", "")
        try:
            shop_id = await services.decide(
                actor=actor_of(request), application_id=application_id, action=action, reason=form.get("reason", "")
            )
        except DomainError as exc:
            return await self._detail(request, application_id, errors=translate_errors(exc), status_code=422)
        messages = {
            "approve": N_("Approved: the shop has been created."),
            "reject": N_("The application has been rejected."),
            "ask_info": N_("The applicant has been asked for more information."),
        }
        flash(request, messages[action], "success")
        return _redirect(f"/admin/shops/{shop_id}" if shop_id else f"/admin/sellers/applications/{application_id}")

    # ------------------------------------------------------------ fee rules
    async def _fees(
        self, request: Request, *, errors: dict[str, str] | None = None, form: dict[str, str] | None = None
    ) -> Template:
        roots = await services.level1_categories()
        return Template(
            template_name="admin/onboarding/fees.html",
            context={
                "rules": await shops.fee_rules(),
                "shop_types": SHOP_TYPES,
                "categories": roots,
                "category_names": {r.id: r.name(get_locale()) for r in roots},
                "errors": errors or {},
                "form": form or {},
            },
            status_code=422 if errors else 200,
        )

    @get("/fees", name="admin:fee-rules")
    async def fees(self, request: Request) -> Template:
        return await self._fees(request)

    @post("/fees", name="admin:fee-rule-save")
    async def save_fee(self, request: Request) -> Template | Redirect:
        form = await form_data(request)
        try:
            await shops.save_fee_rule(
                actor=actor_of(request),
                shop_type=form.get("shop_type", ""),
                category=form.get("category", "0"),
                deposit=form.get("deposit", ""),
                annual_fee=form.get("annual_fee", ""),
            )
        except DomainError as exc:
            return await self._fees(request, errors=translate_errors(exc), form=form)
        flash(request, N_("The fee rule has been saved."), "success")
        return _redirect("/admin/sellers/fees")

    @post("/fees/{rule_id:int}/delete", name="admin:fee-rule-delete")
    async def delete_fee(self, request: Request, rule_id: FromPath[int]) -> Redirect:
        await shops.delete_fee_rule(actor=actor_of(request), rule_id=rule_id)
        flash(request, N_("The fee rule has been deleted."), "info")
        return _redirect("/admin/sellers/fees")

    # ------------------------------------------------------------ the exam
    async def _exam(
        self,
        request: Request,
        *,
        errors: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
        editing: int | None = None,
    ) -> Template:
        return Template(
            template_name="admin/onboarding/exam.html",
            context={
                "questions": await exam.questions(include_inactive=True),
                "pass_percent": await exam.pass_percent(),
                "errors": errors or {},
                "form": form or {},
                "editing": editing,
            },
            status_code=422 if errors else 200,
        )

    @get("/exam", name="admin:exam")
    async def exam_page(self, request: Request) -> Template:
        return await self._exam(request)

    @post("/exam/questions", name="admin:exam-question-add")
    async def add_question(self, request: Request) -> Template | Redirect:
        return await self._save_question(request, None)

    @post("/exam/questions/{question_id:int}", name="admin:exam-question-save")
    async def edit_question(self, request: Request, question_id: FromPath[int]) -> Template | Redirect:
        return await self._save_question(request, question_id)

    async def _save_question(self, request: Request, question_id: int | None) -> Template | Redirect:
        form = await form_data(request)
        try:
            await exam.save_question(
                actor=actor_of(request),
                question_id=question_id,
                text_zh=form.get("text_zh", ""),
                text_en=form.get("text_en", ""),
                choices_zh=form.get("choices_zh", ""),
                choices_en=form.get("choices_en", ""),
                answer=form.get("answer", ""),
                position=form.get("position", "0"),
            )
        except DomainError as exc:
            return await self._exam(request, errors=translate_errors(exc), form=form, editing=question_id)
        flash(request, N_("The question has been saved."), "success")
        return _redirect("/admin/sellers/exam")

    @post("/exam/questions/{question_id:int}/active", name="admin:exam-question-active")
    async def question_active(self, request: Request, question_id: FromPath[int]) -> Redirect:
        form = await form_data(request)
        await exam.set_question_active(
            actor=actor_of(request), question_id=question_id, active=form.get("active") == "1"
        )
        return _redirect("/admin/sellers/exam")

    @post("/exam/pass-mark", name="admin:exam-pass-mark")
    async def pass_mark(self, request: Request) -> Template | Redirect:
        form = await form_data(request)
        try:
            await exam.set_pass_percent(actor=actor_of(request), value=form.get("pass_percent", ""))
        except DomainError as exc:
            return await self._exam(request, errors=translate_errors(exc), form=form)
        flash(request, N_("The pass mark has been saved."), "success")
        return _redirect("/admin/sellers/exam")


class ShopAdminController(Controller):
    path = "/admin/shops"
    guards = [requires_platform_role("operations")]

    @get("/", name="admin:shops")
    async def index(
        self, request: Request, q: FromQuery[str] = "", status: FromQuery[str] = "", page: FromQuery[int] = 1
    ) -> Template:
        status = status if status in shops.SHOP_STATUSES else ""
        result = await shops.list_shops(q=q, status=status, page=page)
        return Template(
            template_name="admin/onboarding/shops.html",
            context={"result": result, "q": q, "status": status, "statuses": shops.SHOP_STATUSES},
        )

    async def _detail(
        self,
        request: Request,
        shop_id: int,
        *,
        errors: dict[str, str] | None = None,
        form: dict[str, Any] | None = None,
    ) -> Template:
        shop = await shops.shop_for_admin(shop_id)
        return Template(
            template_name="admin/onboarding/shop.html",
            context={
                "shop": shop,
                "fees": await shops.shop_fees(shop_id),
                "documents": await documents.shop_documents(shop_id),
                "actions": [a for a, (sources, _t) in shops.SHOP_ACTIONS.items() if shop["status"] in sources],
                "errors": errors or {},
                "form": form or {},
            },
            status_code=422 if errors else 200,
        )

    @get("/{shop_id:int}", name="admin:shop")
    async def detail(self, request: Request, shop_id: FromPath[int]) -> Template:
        return await self._detail(request, shop_id)

    @post("/{shop_id:int}/status", name="admin:shop-status")
    async def set_status(self, request: Request, shop_id: FromPath[int]) -> Template | Redirect:
        form = await form_data(request)
        try:
            await shops.change_shop_status(
                actor=actor_of(request), shop_id=shop_id, action=form.get("action", ""), reason=form.get("reason", "")
            )
        except DomainError as exc:
            return await self._detail(request, shop_id, errors=translate_errors(exc), form=form)
        flash(request, N_("The shop's status has been updated."), "success")
        return _redirect(f"/admin/shops/{shop_id}")

    @post("/{shop_id:int}/fees/{fee_id:int}/confirm", name="admin:shop-fee-confirm")
    async def confirm_fee(self, request: Request, shop_id: FromPath[int], fee_id: FromPath[int]) -> Template | Redirect:
        form = await form_data(request)
        try:
            opened = await shops.confirm_fee(
                actor=actor_of(request), shop_id=shop_id, fee_id=fee_id, reference=form.get("reference", "")
            )
        except DomainError as exc:
            errors = translate_errors(exc)
            return await self._detail(request, shop_id, errors={f"fee-{fee_id}": " ".join(errors.values())}, form=form)
        flash(
            request,
            N_("Payment recorded. The shop is now open.") if opened else N_("Payment recorded."),
            "success",
        )
        return _redirect(f"/admin/shops/{shop_id}")
