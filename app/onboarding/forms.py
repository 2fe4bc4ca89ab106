"""Parsing and checking the wizard's input. Pure functions: each returns {field: msgid} for what is wrong."""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from app.core.i18n import N_
from app.onboarding.codes import CodeInvalid, check_credit_code, check_id_number

SHOP_TYPES = ("flagship", "authorized", "specialty", "individual")
BRAND_SHOP_TYPES = ("flagship", "authorized")  # need a brand authorisation
STEPS = ("shop", "company", "documents", "exam", "agreement", "review")
DOCUMENT_KINDS = ("licence", "brand_auth", "other")
MOBILE = re.compile(r"^1[3-9]\d{9}$")

# what each step writes, with the column's length
STEP_FIELDS: dict[str, dict[str, int]] = {
    "shop": {"shop_type": 16, "shop_name": 64},
    "company": {"company_name": 100, "credit_code": 32, "contact_name": 32, "contact_phone": 32},
}


def clean_text(value: str, limit: int) -> str:
    return " ".join((value or "").split())[:limit]


def parse_ids(values: list[str]) -> list[int]:
    out: list[int] = []
    for v in values:
        try:
            n = int(v)
        except (TypeError, ValueError):
            continue
        if n > 0 and n not in out:
            out.append(n)
    return out


def parse_day(raw: str) -> date | str | None:
    """An <input type=date> value: a date, None when empty, or the msgid of the problem."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return date.fromisoformat(raw)
    except ValueError:
        return N_("Enter the date as YYYY-MM-DD.")


def shop_problems(app: dict[str, Any], level1_ids: set[int]) -> dict[str, str]:
    errors: dict[str, str] = {}
    if app["shop_type"] not in SHOP_TYPES:
        errors["shop_type"] = N_("Choose a shop type from the list.")
    name = app["shop_name"]
    if len(name) < 2:
        errors["shop_name"] = N_("Enter a shop name of 2 to 64 characters.")
    cats = app["categories"]
    if not cats:
        errors["categories"] = N_("Choose at least one category you want to sell in.")
    elif any(c not in level1_ids for c in cats):
        errors["categories"] = N_("Choose categories from the list.")
    return errors


def company_problems(app: dict[str, Any], *, today: date | None = None) -> dict[str, str]:
    errors: dict[str, str] = {}
    individual = app["shop_type"] == "individual"
    if len(app["company_name"]) < 2:
        errors["company_name"] = (
            N_("Enter your full legal name as on your identity card.")
            if individual
            else N_("Enter the company name as on the business licence.")
        )
    try:
        if individual:
            check_id_number(app["credit_code"], today=today)
        else:
            check_credit_code(app["credit_code"])
    except CodeInvalid as exc:
        errors["credit_code"] = (exc.message, exc.params) if exc.params else exc.message  # type: ignore[assignment]
    if len(app["contact_name"]) < 2:
        errors["contact_name"] = N_("Enter the name of the person we should contact.")
    if not MOBILE.match(re.sub(r"[\s-]", "", app["contact_phone"])):
        errors["contact_phone"] = N_("Enter a valid mainland mobile number: 11 digits starting with 1.")
    return errors


def document_problems(app: dict[str, Any], docs: list[dict[str, Any]]) -> dict[str, str]:
    errors: dict[str, str] = {}
    kinds = {d["kind"] for d in docs}
    if "licence" not in kinds:
        errors["licence"] = N_("Upload the business licence (or, for a personal shop, your identity card).")
    if app["shop_type"] in BRAND_SHOP_TYPES and "brand_auth" not in kinds:
        errors["brand_auth"] = N_("A flagship or authorised shop must upload the brand authorisation.")
    return errors


def grade(questions: list[dict[str, Any]], answers: dict[int, int], pass_percent: int) -> tuple[bool, int, list[int]]:
    """(passed, score in percent, ids of questions answered wrongly or not at all)."""
    if not questions:
        return True, 100, []
    wrong = [q["id"] for q in questions if answers.get(q["id"]) != q["answer"]]
    score = round(100 * (len(questions) - len(wrong)) / len(questions))
    return score >= pass_percent, score, wrong
