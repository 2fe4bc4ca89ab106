# ruff: noqa: S608 (SQL assembled from fixed fragments; values always go through placeholders)
"""The online exam on platform rules (在线考试): admin-managed questions in both languages and a pass mark."""

from __future__ import annotations

import json
from typing import Any

from app.core.db import engine, fetch, fetchrow
from app.core.errors import NotFound, ValidationFailed
from app.core.i18n import N_, get_locale
from app.core.principal import Actor
from app.moderation.services import record_audit

PASS_KEY = "exam_pass_percent"  # noqa: S105 (a settings key, not a password)
DEFAULT_PASS_PERCENT = 80


def _choices(raw: Any) -> list[dict[str, str]]:
    return json.loads(raw) if isinstance(raw, str) else (raw or [])


async def pass_percent() -> int:
    row = await fetchrow("SELECT value FROM onboarding_setting WHERE key = {}", PASS_KEY)
    return int(row["value"]) if row else DEFAULT_PASS_PERCENT


async def questions(*, include_inactive: bool = False) -> list[dict[str, Any]]:
    """Questions with `text` and `choices` (list of labels) in the current language, plus both languages."""
    rows = await fetch(
        "SELECT id, text_zh, text_en, choices, answer, position, active FROM exam_question "
        + ("" if include_inactive else "WHERE active ")
        + "ORDER BY position, id"
    )
    en = get_locale() == "en"
    out = []
    for r in rows:
        choices = _choices(r["choices"])
        out.append(
            {
                **r,
                "choices_raw": choices,
                "text": (r["text_en"] or r["text_zh"]) if en else r["text_zh"],
                "choices": [(c.get("en") or c.get("zh", "")) if en else c.get("zh", "") for c in choices],
            }
        )
    return out


def _lines(text: str) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


async def save_question(
    *,
    actor: Actor,
    question_id: int | None,
    text_zh: str,
    text_en: str,
    choices_zh: str,
    choices_en: str,
    answer: str,
    position: str = "0",
) -> int:
    """choices_zh/choices_en: one choice per line (the same number of lines); answer: the right line, from 1."""
    zh, en = _lines(choices_zh), _lines(choices_en)
    errors: dict[str, str] = {}
    if not text_zh.strip():
        errors["text_zh"] = N_("Enter the question in Chinese.")
    if len(zh) < 2 or len(zh) > 6:
        errors["choices_zh"] = N_("Give 2 to 6 choices, one per line.")
    if en and len(en) != len(zh):
        errors["choices_en"] = N_("Give as many English choices as Chinese ones, in the same order.")
    try:
        right = int(answer) - 1
    except ValueError:
        right = -1
    if not 0 <= right < max(len(zh), 1):
        errors["answer"] = N_("Enter the number of the right choice (1 for the first line).")
    try:
        pos = int(position or 0)
    except ValueError:
        pos = 0
    if errors:
        raise ValidationFailed(errors)
    choices = json.dumps([{"zh": z, "en": en[i] if en else ""} for i, z in enumerate(zh)], ensure_ascii=False)
    async with engine().transaction():
        if question_id is None:
            row = await fetchrow(
                "INSERT INTO exam_question (text_zh, text_en, choices, answer, position, active) "
                "VALUES ({}, {}, {}::jsonb, {}, {}, true) RETURNING id",
                text_zh.strip()[:300],
                text_en.strip()[:300],
                choices,
                right,
                pos,
            )
        else:
            row = await fetchrow(
                "UPDATE exam_question SET text_zh = {}, text_en = {}, choices = {}::jsonb, answer = {}, position = {} "
                "WHERE id = {} RETURNING id",
                text_zh.strip()[:300],
                text_en.strip()[:300],
                choices,
                right,
                pos,
                question_id,
            )
        if row is None:
            raise NotFound(N_("This question does not exist."))
        await record_audit(
            actor=actor,
            action="exam.question_save",
            target_type="exam_question",
            target_id=row["id"],
            after={"text_zh": text_zh.strip(), "answer": right + 1, "choices": len(zh)},
        )
    return int(row["id"])


async def set_question_active(*, actor: Actor, question_id: int, active: bool) -> None:
    async with engine().transaction():
        row = await fetchrow("UPDATE exam_question SET active = {} WHERE id = {} RETURNING id", active, question_id)
        if row is None:
            raise NotFound(N_("This question does not exist."))
        await record_audit(
            actor=actor,
            action="exam.question_active",
            target_type="exam_question",
            target_id=question_id,
            after={"active": active},
        )


async def set_pass_percent(*, actor: Actor, value: str) -> int:
    try:
        percent = int(value)
    except ValueError:
        percent = -1
    if not 1 <= percent <= 100:
        raise ValidationFailed({"pass_percent": N_("Enter a pass mark between 1 and 100 (per cent).")})
    async with engine().transaction():
        before = await pass_percent()
        await fetch(
            "INSERT INTO onboarding_setting (key, value) VALUES ({}, {}) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            PASS_KEY,
            percent,
        )
        await record_audit(
            actor=actor,
            action="exam.pass_mark",
            target_type="onboarding_setting",
            target_id=PASS_KEY,
            before={"value": before},
            after={"value": percent},
        )
    return percent
