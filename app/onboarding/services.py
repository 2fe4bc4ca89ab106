# ruff: noqa: S608 (SQL assembled from fixed fragments; values always go through placeholders)
"""Seller applications (入驻): the applicant's wizard (every step saved as typed, then checked), the exam, the
signed agreement, submission, and the platform's review (approve → shop with fees and category grants,
reject, ask for more information). State changes follow app.onboarding.states; every decision is audited and
notified to the applicant.

    app = await open_application(user_id=..., create=True)
    await save_step(actor=..., user_id=..., step="shop", values={...}, categories=[...])   # StepInvalid → errors
    await take_exam(...); await sign_agreement(...); await submit(actor=..., user_id=...)
    await decide(actor=admin, application_id=..., action="approve" | "reject" | "ask_info", reason="...")
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.catalog.services import category_tree
from app.core.db import engine, fetch, fetchrow
from app.core.errors import NotFound, ValidationFailed
from app.core.i18n import N_
from app.core.principal import Actor
from app.messaging.services import notify
from app.moderation.sensitive import screen
from app.moderation.services import record_audit
from app.onboarding import exam as exam_service
from app.onboarding.documents import application_documents
from app.onboarding.errors import StepInvalid
from app.onboarding.forms import (
    STEP_FIELDS,
    STEPS,
    clean_text,
    company_problems,
    document_problems,
    grade,
    shop_problems,
)
from app.onboarding.shops import fees_for
from app.onboarding.states import EDITABLE_STATUSES, TransitionRefused, next_status
from app.sellers.services import create_shop

AGREEMENT_VERSION = "2026-11"
PAGE_SIZE = 50
REASON_MAX = 500

_COLUMNS = (
    "id, applicant, status, shop_type, shop_name, company_name, credit_code, contact_name, contact_phone, "
    "categories, exam_passed_at, exam_attempts, signed_name, signed_at, signed_ip, agreement_version, "
    "submitted_at, decided_at, decision_reason, shop, created_at, updated_at"
)


def _load(row: Any) -> dict[str, Any] | None:
    if row is None:
        return None
    app = dict(row)
    if isinstance(app.get("categories"), str):
        app["categories"] = json.loads(app["categories"])
    return app


async def latest_application(*, user_id: int) -> dict[str, Any] | None:
    """The user's newest application, whatever its status."""
    return _load(
        await fetchrow(
            f"SELECT {_COLUMNS} FROM seller_application WHERE applicant = {{}} ORDER BY id DESC LIMIT 1", user_id
        )
    )


async def open_application(*, user_id: int, create: bool = False, lock: bool = False) -> dict[str, Any] | None:
    """The user's application in progress (draft / submitted / needs_info); a new draft when create=True and
    there is none (after a rejection or approval a new application starts here)."""
    row = await fetchrow(
        f"SELECT {_COLUMNS} FROM seller_application WHERE applicant = {{}} "
        "AND status IN ('draft', 'submitted', 'needs_info') ORDER BY id DESC LIMIT 1" + (" FOR UPDATE" if lock else ""),
        user_id,
    )
    if row is None and create:
        await fetch(
            "INSERT INTO seller_application (applicant, status, created_at, updated_at) "
            "SELECT {}, 'draft', now(), now() WHERE NOT EXISTS (SELECT 1 FROM seller_application "
            "WHERE applicant = {} AND status IN ('draft', 'submitted', 'needs_info'))",
            user_id,
            user_id,
        )
        return await open_application(user_id=user_id, lock=lock)
    return _load(row)


async def editable_application(*, user_id: int, create: bool = False) -> dict[str, Any]:
    app = await open_application(user_id=user_id, create=create)
    if app is None:
        raise NotFound(N_("You have no application in progress."))
    if app["status"] not in EDITABLE_STATUSES:
        raise TransitionRefused(N_("Your application is under review and cannot be changed now."))
    return app


async def level1_categories() -> list[Any]:
    roots, _nodes = await category_tree()
    return roots


# ---------------------------------------------------------------- checks
async def name_problem(name: str, *, application_id: int | None = None) -> str | None:
    """Why a shop name cannot be used (taken by a shop or another open application; a blocked word), or None."""
    name = clean_text(name, 64)
    if len(name) < 2:
        return N_("Enter a shop name of 2 to 64 characters.")
    taken = await fetchrow(
        "SELECT 1 FROM shop WHERE lower(name) = lower({}) UNION ALL SELECT 1 FROM seller_application "
        "WHERE lower(shop_name) = lower({}) AND status IN ('submitted', 'needs_info', 'draft') AND id <> {} LIMIT 1",
        name,
        name,
        application_id or 0,
    )
    if taken:
        return N_("This shop name is taken.")
    if not (await screen(name)).ok:
        return N_("This shop name contains a word that is not allowed.")
    return None


async def step_problems(app: dict[str, Any], step: str) -> dict[str, Any]:
    if step == "shop":
        roots = await level1_categories()
        errors = shop_problems(app, {r.id for r in roots})
        if "shop_name" not in errors and (problem := await name_problem(app["shop_name"], application_id=app["id"])):
            errors["shop_name"] = problem
        return errors
    if step == "company":
        return company_problems(app)
    if step == "documents":
        return document_problems(app, await application_documents(app["id"]))
    if step == "exam":
        return {} if app["exam_passed_at"] else {"exam": N_("Pass the exam on the platform rules.")}
    if step == "agreement":
        if not app["signed_at"] or app["signed_name"] != app["company_name"]:
            return {"signed_name": N_("Sign the seller agreement by typing your legal name exactly.")}
        return {}
    return {}


async def all_problems(app: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """{step: {field: msgid}} for every step that is not complete."""
    out = {}
    for step in STEPS[:-1]:
        if problems := await step_problems(app, step):
            out[step] = problems
    return out


# ---------------------------------------------------------------- the wizard
async def save_step(
    *, actor: Actor, user_id: int, step: str, values: dict[str, str], categories: list[int] | None = None
) -> dict[str, Any]:
    """Saves what was typed on a step (even when it is not valid: nothing typed is lost), then checks the step:
    StepInvalid with the field errors, else the application."""
    if step not in STEP_FIELDS and step != "documents":
        raise NotFound(N_("This step does not exist."))
    app = await editable_application(user_id=user_id, create=step == "shop")
    sets, args = [], []
    for name, limit in STEP_FIELDS.get(step, {}).items():
        value = clean_text(values.get(name, ""), limit)
        if name == "credit_code":
            value = value.replace(" ", "").upper()
        sets.append(f"{name} = {{}}")
        args.append(value)
        app[name] = value
    if step == "shop":
        cats = (categories or [])[:20]
        sets.append("categories = {}::jsonb")
        args.append(json.dumps(cats))
        app["categories"] = cats
    if step == "company" and app["signed_name"] and app["signed_name"] != app["company_name"]:
        sets.append("signed_at = NULL")  # the agreement was signed with another name: sign again
        app["signed_at"] = None
    if sets:
        await fetch(
            f"UPDATE seller_application SET {', '.join(sets)}, updated_at = now() WHERE id = {{}}", *args, app["id"]
        )
    if problems := await step_problems(app, step):
        raise StepInvalid(problems)
    return app


async def take_exam(*, actor: Actor, user_id: int, answers: dict[int, int]) -> tuple[bool, int, list[int]]:
    """Grades one attempt (retries allowed): (passed, score %, ids of the questions answered wrongly)."""
    app = await editable_application(user_id=user_id)
    questions = await exam_service.questions()
    passed, score, wrong = grade(questions, answers, await exam_service.pass_percent())
    await fetch(
        "UPDATE seller_application SET exam_attempts = exam_attempts + 1, "
        "exam_passed_at = CASE WHEN {} THEN now() ELSE exam_passed_at END, updated_at = now() WHERE id = {}",
        passed,
        app["id"],
    )
    return passed, score, wrong


async def sign_agreement(*, actor: Actor, user_id: int, typed_name: str) -> None:
    """The e-signature: the legal name typed exactly as given on the company step, kept with the time, the IP
    and the agreement's version."""
    app = await editable_application(user_id=user_id)
    typed = clean_text(typed_name, 100)
    if not app["company_name"]:
        raise StepInvalid(
            {"signed_name": N_("Fill in the company step first: you sign with the legal name given there.")}
        )
    if typed != app["company_name"]:
        await fetch("UPDATE seller_application SET signed_name = {} WHERE id = {}", typed, app["id"])
        raise StepInvalid(
            {
                "signed_name": (
                    N_("Type the legal name exactly as on the company step: %(name)s"),
                    {"name": app["company_name"]},
                )
            }
        )
    await fetch(
        "UPDATE seller_application SET signed_name = {}, signed_at = now(), signed_ip = {}, agreement_version = {}, "
        "updated_at = now() WHERE id = {}",
        typed,
        (actor.ip or "")[:45],
        AGREEMENT_VERSION,
        app["id"],
    )


async def submit(*, actor: Actor, user_id: int) -> int:
    """Draft or needs-info → submitted, when every step is complete (else StepInvalid naming the steps)."""
    async with engine().transaction():
        app = await open_application(user_id=user_id, lock=True)
        if app is None:
            raise NotFound(N_("You have no application in progress."))
        status = next_status(app["status"], "submit")
        problems = await all_problems(app)
        if problems:
            raise StepInvalid({step: N_("This step is not complete.") for step in problems})
        await fetch(
            "UPDATE seller_application SET status = {}, submitted_at = now(), updated_at = now() WHERE id = {}",
            status,
            app["id"],
        )
        await record_audit(
            actor=actor,
            action="seller_application.submit",
            target_type="seller_application",
            target_id=app["id"],
            before={"status": app["status"]},
            after={"status": status, "shop_name": app["shop_name"], "shop_type": app["shop_type"]},
        )
    return int(app["id"])


async def start_new(*, actor: Actor, user_id: int) -> int:
    """After a rejection: a new draft, prefilled with the rejected application's answers (not its documents,
    exam or signature)."""
    async with engine().transaction():
        if await open_application(user_id=user_id):
            raise TransitionRefused(N_("You already have an application in progress."))
        last = await latest_application(user_id=user_id)
        row = await fetchrow(
            "INSERT INTO seller_application (applicant, status, shop_type, shop_name, company_name, credit_code, "
            "contact_name, contact_phone, categories, created_at, updated_at) "
            "VALUES ({}, 'draft', {}, {}, {}, {}, {}, {}, {}::jsonb, now(), now()) RETURNING id",
            user_id,
            *(
                (last or {}).get(k, "")
                for k in ("shop_type", "shop_name", "company_name", "credit_code", "contact_name", "contact_phone")
            ),
            json.dumps((last or {}).get("categories", [])),
        )
        assert row is not None
        await record_audit(
            actor=actor,
            action="seller_application.start",
            target_type="seller_application",
            target_id=row["id"],
            after={"previous": (last or {}).get("id")},
        )
    return int(row["id"])


# ---------------------------------------------------------------- review (platform)
@dataclass(frozen=True)
class ApplicationPage:
    rows: list[dict[str, Any]]
    page: int
    has_next: bool


async def list_applications(*, status: str = "", shop_type: str = "", page: int = 1) -> ApplicationPage:
    """Newest submission first; drafts are the applicants' own business and only shown when asked for."""
    page = max(page, 1)
    conds, args = ["a.status <> 'draft'" if status != "draft" else "a.status = 'draft'"], []
    if status and status != "draft":
        conds.append("a.status = {}")
        args.append(status)
    if shop_type:
        conds.append("a.shop_type = {}")
        args.append(shop_type)
    rows = await fetch(
        "SELECT a.id, a.status, a.shop_type, a.shop_name, a.company_name, a.submitted_at, a.decided_at, "
        "u.display_name AS applicant_name FROM seller_application a JOIN app_user u ON u.id = a.applicant "
        "WHERE " + " AND ".join(conds) + " ORDER BY a.submitted_at DESC NULLS LAST, a.id DESC LIMIT {} OFFSET {}",
        *args,
        PAGE_SIZE + 1,
        (page - 1) * PAGE_SIZE,
    )
    return ApplicationPage(rows=rows[:PAGE_SIZE], page=page, has_next=len(rows) > PAGE_SIZE)


async def application_for_review(application_id: int) -> dict[str, Any]:
    app = _load(await fetchrow(f"SELECT {_COLUMNS} FROM seller_application WHERE id = {{}}", application_id))
    if app is None:
        raise NotFound(N_("This application does not exist."))
    app["applicant_user"] = await fetchrow(
        "SELECT id, display_name, coalesce(email, phone) AS identifier FROM app_user WHERE id = {}", app["applicant"]
    )
    app["documents"] = await application_documents(application_id)
    deposit, annual = await fees_for(shop_type=app["shop_type"], categories=app["categories"])
    app["deposit_fen"], app["annual_fee_fen"] = deposit, annual
    return app


async def decide(*, actor: Actor, application_id: int, action: str, reason: str = "") -> int | None:
    """approve (creates the shop: pending while fees are due, else active; the applicant owns it; the applied
    categories granted) / reject / ask_info (both need a reason the applicant sees). Returns the shop id when
    approved. Audited and notified."""
    reason = " ".join((reason or "").split())
    if action in ("reject", "ask_info") and not reason:
        raise ValidationFailed({"reason": N_("Enter the reason: the applicant will see it.")})
    if len(reason) > REASON_MAX:
        raise ValidationFailed({"reason": N_("Use at most 500 characters for the reason.")})
    shop_id: int | None = None
    fees: tuple[int, int] = (0, 0)
    async with engine().transaction():
        app = _load(
            await fetchrow(f"SELECT {_COLUMNS} FROM seller_application WHERE id = {{}} FOR UPDATE", application_id)
        )
        if app is None:
            raise NotFound(N_("This application does not exist."))
        status = next_status(app["status"], action)
        if action == "approve":
            shop_id = await create_shop(
                actor=actor, name=app["shop_name"], owner_id=app["applicant"], shop_type=app["shop_type"]
            )
            fees = await fees_for(shop_type=app["shop_type"], categories=app["categories"])
            for kind, amount in zip(("deposit", "annual_fee"), fees, strict=True):
                if amount > 0:
                    await fetch(
                        "INSERT INTO shop_fee (shop, application, kind, amount_fen, created_at) "
                        "VALUES ({}, {}, {}, {}, now())",
                        shop_id,
                        application_id,
                        kind,
                        amount,
                    )
            if any(fees):
                await fetch("UPDATE shop SET status = 'pending' WHERE id = {}", shop_id)
            for category in app["categories"]:
                await fetch(
                    "INSERT INTO shop_category_grant (shop, category, created_at) VALUES ({}, {}, now()) "
                    "ON CONFLICT DO NOTHING",
                    shop_id,
                    category,
                )
            await fetch("UPDATE application_document SET shop = {} WHERE application = {}", shop_id, application_id)
        await fetch(
            "UPDATE seller_application SET status = {}, decided_at = now(), decided_by = {}, decision_reason = {}, "
            "shop = {}, updated_at = now() WHERE id = {}",
            status,
            actor.user_id,
            reason,
            shop_id,
            application_id,
        )
        await record_audit(
            actor=actor,
            action=f"seller_application.{action}",
            target_type="seller_application",
            target_id=application_id,
            before={"status": app["status"]},
            after={
                "status": status,
                "reason": reason,
                "shop": shop_id,
                "deposit_fen": fees[0],
                "annual_fee_fen": fees[1],
                "categories": app["categories"],
            },
        )
    if action == "approve":
        title = N_("Your shop application was approved")
        body = (
            N_("%(shop)s has been created. It opens once the fees shown on the application page are paid.")
            if any(fees)
            else N_("%(shop)s is open: welcome to the Seller Center.")
        )
    elif action == "reject":
        title, body = N_("Your shop application was not approved"), N_("Reason: %(reason)s")
    else:
        title, body = N_("Your shop application needs more information"), N_("Please update it: %(reason)s")
    await notify(
        user_id=app["applicant"],
        kind=f"seller_application.{action}",
        title=title,
        body=body,
        params={"shop": app["shop_name"], "reason": reason},
        link="/seller/apply/status",
    )
    return shop_id
