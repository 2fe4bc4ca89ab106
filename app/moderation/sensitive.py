"""The sensitive-word filter (敏感词): screen() every text a seller or buyer publishes. The word list is small
and read on every save, so it is cached per process for a few seconds (an admin's change applies within that)."""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

from app.core.db import fetch

CACHE_SECONDS = 5.0
_cache: tuple[float, list[tuple[str, str]]] | None = None


@dataclass(frozen=True, slots=True)
class Screening:
    blocked: list[str] = field(default_factory=list)  # words found whose level is "block"
    flagged: list[str] = field(default_factory=list)  # words found whose level is "flag"

    @property
    def ok(self) -> bool:
        return not self.blocked


async def _words() -> list[tuple[str, str]]:
    global _cache
    now = time.monotonic()
    if _cache is None or now - _cache[0] > CACHE_SECONDS:
        rows = await fetch("SELECT word, level FROM sensitive_word ORDER BY word")
        _cache = (now, [(r["word"].casefold(), r["level"]) for r in rows])
    return _cache[1]


def forget_words() -> None:
    global _cache
    _cache = None


def match(text: str, words: list[tuple[str, str]]) -> Screening:
    """Pure: which words occur in text (case-insensitive substring: Chinese has no word boundaries)."""
    folded = text.casefold()
    blocked = [w for w, level in words if level == "block" and w and w in folded]
    flagged = [w for w, level in words if level == "flag" and w and w in folded]
    return Screening(blocked=blocked, flagged=flagged)


def mask(text: str, words: list[str], *, replacement: str = "***") -> str:
    """Pure: every occurrence of the words replaced (case-insensitive, longest word first, so a longer listed word
    is masked whole). Chat masks its "flag" words this way (docs/decisions/0020-sensitive-words-chat-complaints.md)."""
    listed = sorted({w for w in words if w}, key=len, reverse=True)
    if not listed:
        return text
    return re.sub("|".join(re.escape(w) for w in listed), replacement, text, flags=re.IGNORECASE)


async def screen(*texts: str) -> Screening:
    return match("\n".join(t for t in texts if t), await _words())
