"""Managing the sensitive-word list (敏感词库): search, add one or many (one per line), change a level, delete.
Every change is audited and drops this process's cached list (sensitive.forget_words); other processes pick
it up within sensitive.CACHE_SECONDS."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.core.db import engine, fetch, fetchrow
from app.core.errors import NotFound, ValidationFailed
from app.core.i18n import N_
from app.core.principal import Actor
from app.moderation.sensitive import forget_words
from app.moderation.services import record_audit

LEVELS = ("block", "flag")
WORD_MAX = 64
BULK_MAX = 1000
PAGE_SIZE = 50


@dataclass(frozen=True)
class WordPage:
    rows: list[dict[str, Any]]
    total: int
    page: int
    has_next: bool


@dataclass(frozen=True)
class AddResult:
    added: list[str]
    skipped: list[str]  # already on the list (or repeated in the input)


def parse_words(text: str) -> list[str]:
    """One word per line (commas and 、 also separate); spaces trimmed, empty lines and repeats dropped
    (case-insensitively), first spelling kept."""
    seen: set[str] = set()
    words = []
    for line in text.replace(",", "\n").replace("，", "\n").replace("、", "\n").splitlines():
        word = " ".join(line.split())
        if word and word.casefold() not in seen:
            seen.add(word.casefold())
            words.append(word)
    return words


async def list_words(*, q: str = "", level: str = "", page: int = 1) -> WordPage:
    page = max(page, 1)
    like = f"%{q.strip().replace('%', '').replace('_', '')}%" if q.strip() else None
    lvl = level if level in LEVELS else None
    filters = "({}::text IS NULL OR word ILIKE {}) AND ({}::text IS NULL OR level = {})"
    count = await fetchrow(f"SELECT count(*) AS n FROM sensitive_word WHERE {filters}", like, like, lvl, lvl)  # noqa: S608
    rows = await fetch(
        f"SELECT id, word, level, created_at FROM sensitive_word WHERE {filters} "  # noqa: S608
        "ORDER BY word LIMIT {} OFFSET {}",
        like,
        like,
        lvl,
        lvl,
        PAGE_SIZE + 1,
        (page - 1) * PAGE_SIZE,
    )
    total = int(count["n"]) if count else 0
    return WordPage(rows=rows[:PAGE_SIZE], total=total, page=page, has_next=len(rows) > PAGE_SIZE)


async def add_words(*, actor: Actor, text: str, level: str) -> AddResult:
    """Add every word of `text` (one per line) at `level`; words already listed are skipped, not changed."""
    if level not in LEVELS:
        raise ValidationFailed({"level": N_("Choose block or flag.")})
    words = parse_words(text)
    if not words:
        raise ValidationFailed({"words": N_("Enter at least one word, one per line.")})
    if len(words) > BULK_MAX:
        raise ValidationFailed({"words": N_("Add at most 1,000 words at a time.")})
    if any(len(w) > WORD_MAX for w in words):
        raise ValidationFailed({"words": N_("A word may have at most 64 characters.")})
    async with engine().transaction():
        existing = {
            r["folded"]
            for r in await fetch(
                "SELECT lower(word) AS folded FROM sensitive_word WHERE lower(word) = ANY({}::text[])",
                [w.lower() for w in words],
            )
        }
        fresh = [w for w in words if w.lower() not in existing]
        rows = await fetch(
            "INSERT INTO sensitive_word (word, level, created_at) SELECT w, {}, now() FROM unnest({}::text[]) AS w "
            "ON CONFLICT (word) DO NOTHING RETURNING id, word",
            level,
            fresh,
        )
        for r in rows:
            await record_audit(
                actor=actor,
                action="sensitive_word.add",
                target_type="sensitive_word",
                target_id=r["id"],
                after={"word": r["word"], "level": level},
            )
    forget_words()
    added = {r["word"] for r in rows}
    return AddResult(added=[w for w in words if w in added], skipped=[w for w in words if w not in added])


async def set_level(*, actor: Actor, word_id: int, level: str) -> None:
    if level not in LEVELS:
        raise ValidationFailed({"level": N_("Choose block or flag.")})
    async with engine().transaction():
        row = await fetchrow("SELECT word, level FROM sensitive_word WHERE id = {} FOR UPDATE", word_id)
        if row is None:
            raise NotFound(N_("This word is not on the list."))
        if row["level"] == level:
            return
        await fetch("UPDATE sensitive_word SET level = {} WHERE id = {}", level, word_id)
        await record_audit(
            actor=actor,
            action="sensitive_word.level",
            target_type="sensitive_word",
            target_id=word_id,
            before={"word": row["word"], "level": row["level"]},
            after={"word": row["word"], "level": level},
        )
    forget_words()


async def delete_word(*, actor: Actor, word_id: int) -> str:
    """Returns the deleted word."""
    async with engine().transaction():
        row = await fetchrow("DELETE FROM sensitive_word WHERE id = {} RETURNING word, level", word_id)
        if row is None:
            raise NotFound(N_("This word is not on the list."))
        await record_audit(
            actor=actor,
            action="sensitive_word.delete",
            target_type="sensitive_word",
            target_id=word_id,
            before={"word": row["word"], "level": row["level"]},
        )
    forget_words()
    return str(row["word"])
