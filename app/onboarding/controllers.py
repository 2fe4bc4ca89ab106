"""Seller onboarding (入驻): the applicant's wizard and status page, the shop's qualifications (renewals), the
platform's review queue, fee rules, exam questions and shop administration."""

from __future__ import annotations

from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from app.core.errors import DomainError, NotFound
from app.core.i18n import N_, get_locale
from app.onboarding import documents, exam, services, shops
from app.onboarding.admin_controllers import ApplicationAdminController, ShopAdminController
from app.onboarding.errors import translate_errors
from app.onboarding.forms import DOCUMENT_KINDS, SHOP_TYPES, STEPS, parse_ids
from app.onboarding.states import EDITABLE_STATUSES
from app.sellers.permissions import requires_shop_permission
from app.web.auth import current_user
from app.web.flash import flash
from app.web.forms import actor_of, form_data
from app.web.guards import requires_login
from app.web.htmx import render

MAX_UPLOAD_BYTES = 6 * 1024 * 1024  # a little above documents.MAX_BYTES, whose message is the clearer one
EMPTY_APP: dict[str, Any] = {
    "id": None,
    "status": "draft",
    "shop_type": "",
    "shop_name": "",
    "company_name": "",
    "credit_code": "",
    "contact_name": "",
    "contact_phone": "",
    "categories": [],
    "exam_passed_at": None,
    "exam_attempts": 0,
    "signed_name": "",
    "signed_at": None,
    "decision_reason": "",
}


def _user_id(request: Request) -> int:
    user = current_user(request)
    assert user is not None
    return user.id


async def _upload(request: Request) -> tuple[dict[str, str], str, bytes]:
    form = await request.form()
    upload = form.get("file")
    data = await upload.read() if isinstance(upload, UploadFile) else b""
    filename = upload.filename if isinstance(upload, UploadFile) else ""
    fields = {k: v for k, v in form.items() if isinstance(v, str)}
    return fields, filename or "", data


def _redirect(path: str) -> Redirect:
    return Redirect(path=path, status_code=303)


class ApplicationController(Controller):
    path = "/seller/apply"
    guards = [requires_login]

    async def _wizard(
        self,
        request: Request,
        step: str,
        *,
        app: dict[str, Any] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
        **extra: Any,
    ) -> Template:
        app = app or await services.open_application(user_id=_user_id(request)) or dict(EMPTY_APP)
        done = set()
        if app["id"]:
            missing = await services.all_problems(app)
            done = {s for s in STEPS[:-1] if s not in missing}
        context: dict[str, Any] = {
            "app": app,
            "step": step,
            "steps": STEPS,
            "done": done,
            "errors": errors or {},
            "shop_types": SHOP_TYPES,
            "locale": get_locale(),
            **extra,
        }
        if step == "shop":
            context["categories"] = await services.level1_categories()
        elif step == "documents":
            context["documents"] = await documents.application_documents(app["id"]) if app["id"] else []
            context.setdefault("kinds", DOCUMENT_KINDS)
            context.setdefault("upload", {})
        elif step == "exam":
            context["questions"] = await exam.questions()
            context["pass_percent"] = await exam.pass_percent()
            context.setdefault("answers", {})
            context.setdefault("wrong", None)
        elif step == "agreement":
            context["agreement_version"] = services.AGREEMENT_VERSION
        elif step == "review":
            context["problems"] = await services.all_problems(app) if app["id"] else {s: {} for s in STEPS[:-1]}
            context["categories"] = await services.level1_categories()
        return Template(template_name="storefront/onboarding/wizard.html", context=context, status_code=status_code)

    @get("/", name="onboarding:apply")
    async def start(self, request: Request) -> Template | Redirect:
        app = await services.latest_application(user_id=_user_id(request))
        if app is None:
            return await self._wizard(request, "shop")
        if app["status"] != "draft":
            return _redirect("/seller/apply/status")
        missing = await services.all_problems(app)
        return _redirect(f"/seller/apply/step/{next((s for s in STEPS if s in missing), 'review')}")

    @get("/step/{step:str}", name="onboarding:step")
    async def step_page(self, request: Request, step: FromPath[str]) -> Template | Redirect:
        if step not in STEPS:
            raise NotFound(N_("This step does not exist."))
        app = await services.open_application(user_id=_user_id(request))
        if app is None:
            return _redirect("/seller/apply")
        if app["status"] not in EDITABLE_STATUSES:
            return _redirect("/seller/apply/status")
        return await self._wizard(request, step, app=app)

    @post("/step/{step:str}", name="onboarding:step-save")
    async def save(self, request: Request, step: FromPath[str]) -> Template | Redirect:
        form = await request.form()
        values = {k: v for k, v in form.items() if isinstance(v, str)}
        categories = parse_ids([v for v in form.getall("categories")] if "categories" in form else [])
        try:
            await services.save_step(
                actor=actor_of(request), user_id=_user_id(request), step=step, values=values, categories=categories
            )
        except DomainError as exc:
            return await self._wizard(request, step, errors=translate_errors(exc), status_code=422)
        return _redirect(f"/seller/apply/step/{STEPS[STEPS.index(step) + 1]}")

    @get("/check-name", name="onboarding:check-name")
    async def check_name(self, request: Request, shop_name: FromQuery[str] = "") -> Template:
        app = await services.open_application(user_id=_user_id(request))
        problem = await services.name_problem(shop_name, application_id=app["id"] if app else None)
        return render(
            request,
            "storefront/onboarding/_name_check.html",
            "storefront/onboarding/_name_check.html",
            problem=problem,
            name=shop_name.strip(),
        )

    @post("/documents", name="onboarding:document-add", request_max_body_size=MAX_UPLOAD_BYTES)
    async def add_document(self, request: Request) -> Template | Redirect:
        fields, filename, data = await _upload(request)
        try:
            app = await services.editable_application(user_id=_user_id(request))
            await documents.add_document(
                actor=actor_of(request),
                application_id=app["id"],
                kind=fields.get("kind", ""),
                filename=filename,
                data=data,
                expires_on=fields.get("expires_on", ""),
            )
        except DomainError as exc:
            errors = translate_errors(exc)
            if "__all__" in errors and not errors.get("file"):
                errors["file"] = errors.pop("__all__")
            return await self._wizard(request, "documents", errors=errors, status_code=422, upload=fields)
        flash(request, N_("The document has been uploaded."), "success")
        return _redirect("/seller/apply/step/documents")

    @post("/documents/{document_id:int}/delete", name="onboarding:document-delete")
    async def delete_document(self, request: Request, document_id: FromPath[int]) -> Redirect:
        app = await services.editable_application(user_id=_user_id(request))
        await documents.remove_document(application_id=app["id"], document_id=document_id)
        flash(request, N_("The document has been removed."), "info")
        return _redirect("/seller/apply/step/documents")

    @get("/documents/{document_id:int}", name="onboarding:document")
    async def document(self, request: Request, document_id: FromPath[int]) -> Response:
        user = current_user(request)
        assert user is not None
        data, content_type, _filename = await documents.read_document(viewer=user, document_id=document_id)
        ext = "pdf" if content_type == "application/pdf" else "jpg"
        return Response(
            content=data,
            media_type=content_type,
            headers={
                "Content-Disposition": f'inline; filename="document-{document_id}.{ext}"',
                "Cache-Control": "private, no-store",
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "sandbox; default-src 'none'; img-src 'self'; style-src 'unsafe-inline'",
            },
        )

    @post("/exam", name="onboarding:exam")
    async def take_exam(self, request: Request) -> Template | Redirect:
        form = await form_data(request)
        answers: dict[int, int] = {}
        for key, value in form.items():
            if key.startswith("q") and key[1:].isdigit() and value.isdigit():
                answers[int(key[1:])] = int(value)
        passed, score, wrong = await services.take_exam(
            actor=actor_of(request), user_id=_user_id(request), answers=answers
        )
        if passed:
            flash(request, N_("You passed the exam with %(score)s%%."), "success", score=score)
            return _redirect("/seller/apply/step/agreement")
        return await self._wizard(request, "exam", answers=answers, wrong=wrong, score=score, status_code=422)

    @post("/agreement", name="onboarding:sign")
    async def sign(self, request: Request) -> Template | Redirect:
        form = await form_data(request)
        try:
            await services.sign_agreement(
                actor=actor_of(request), user_id=_user_id(request), typed_name=form.get("signed_name", "")
            )
        except DomainError as exc:
            return await self._wizard(request, "agreement", errors=translate_errors(exc), status_code=422)
        flash(request, N_("You have signed the seller agreement."), "success")
        return _redirect("/seller/apply/step/review")

    @post("/submit", name="onboarding:submit")
    async def submit(self, request: Request) -> Template | Redirect:
        try:
            await services.submit(actor=actor_of(request), user_id=_user_id(request))
        except DomainError as exc:
            return await self._wizard(request, "review", errors=translate_errors(exc), status_code=422)
        flash(request, N_("Your application has been submitted. We will let you know the result."), "success")
        return _redirect("/seller/apply/status")

    @post("/new", name="onboarding:new")
    async def new(self, request: Request) -> Redirect:
        await services.start_new(actor=actor_of(request), user_id=_user_id(request))
        return _redirect("/seller/apply/step/shop")

    @get("/status", name="onboarding:status")
    async def status(self, request: Request) -> Template | Redirect:
        app = await services.latest_application(user_id=_user_id(request))
        if app is None:
            return _redirect("/seller/apply")
        shop = fees = docs = None
        if app["shop"]:
            shop = await shops.shop_for_admin(app["shop"])
            fees = await shops.shop_fees(app["shop"])
            docs = await documents.shop_documents(app["shop"])
        else:
            docs = await documents.application_documents(app["id"])
        return Template(
            template_name="storefront/onboarding/status.html",
            context={"app": app, "shop": shop, "fees": fees, "documents": docs},
        )


class QualificationSellerController(Controller):
    """The shop's qualification documents (定期复查): see their dates, upload renewed ones."""

    path = "/seller/qualifications"
    guards = [requires_shop_permission("shop.settings")]

    async def _page(
        self,
        request: Request,
        *,
        errors: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        shop_id = int(request.state.shop.shop_id)
        return Template(
            template_name="storefront/onboarding/qualifications.html",
            context={
                "section": "shop",
                "documents": await documents.shop_documents(shop_id),
                "shop_status": await shops.shop_for_admin(shop_id),
                "kinds": DOCUMENT_KINDS,
                "errors": errors or {},
                "form": form or {},
            },
            status_code=status_code,
        )

    @get("/", name="seller:qualifications")
    async def index(self, request: Request) -> Template:
        return await self._page(request)

    @post("/", name="seller:qualifications-renew", request_max_body_size=MAX_UPLOAD_BYTES)
    async def renew(self, request: Request) -> Template | Redirect:
        fields, filename, data = await _upload(request)
        try:
            await documents.renew_document(
                actor=actor_of(request),
                shop_id=int(request.state.shop.shop_id),
                kind=fields.get("kind", ""),
                filename=filename,
                data=data,
                expires_on=fields.get("expires_on", ""),
            )
        except DomainError as exc:
            errors = translate_errors(exc)
            if "__all__" in errors:
                errors["file"] = errors.pop("__all__")
            return await self._page(request, errors=errors, form=fields, status_code=422)
        flash(request, N_("The renewed document has been uploaded."), "success")
        return _redirect("/seller/qualifications/")


ROUTES: list = [ApplicationController, QualificationSellerController, ApplicationAdminController, ShopAdminController]
