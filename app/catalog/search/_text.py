"""Text side of search: normalising, jieba segmentation, tsvector/tsquery literals, pinyin.

The database never parses Chinese: Python segments with jieba and hands PostgreSQL ready-made tsvector and
tsquery literals (cast with ::tsvector / ::tsquery), so no text-search configuration or extension is needed
and index and query always agree on what a token is.
"""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

MAX_QUERY_CHARS = 64  # SearchLog.keyword is Varchar(64)
MAX_TOKEN_CHARS = 48
MAX_POSITION = 16383  # PostgreSQL's largest tsvector position
STOP_WORDS = frozenset("的 了 和 与 及 或 是 在 也 都 就 把 被 给 之 其 着 个 款".split())
_ALNUM_RUN = re.compile(r"[a-z]+|[0-9]+")
_ASCII_WORD = re.compile(r"[a-z0-9]+")
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_SPACES = re.compile(r"\s+")

_jieba_lock = threading.Lock()
_jieba: Any = None


def _tokenizer() -> Any:
    """jieba's dictionary, loaded once per process on first use (~0.6 s and ~80 MB the first time; jieba
    caches the prefix dictionary in the temp dir, later loads take ~0.4 s). warm_up() does it at start-up."""
    global _jieba
    if _jieba is None:
        with _jieba_lock:
            if _jieba is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                jieba.initialize()
                _jieba = jieba
    return _jieba


def warm_up() -> None:
    """Load the dictionary now (call from the app's start-up, in a thread) instead of on the first search."""
    _tokenizer()


def normalize(text: str) -> str:
    """Full-width to half-width (NFKC), lower case, single spaces, trimmed."""
    return _SPACES.sub(" ", unicodedata.normalize("NFKC", text or "")).strip().lower()


def normalize_keyword(text: str) -> str:
    return normalize(text)[:MAX_QUERY_CHARS].strip()


def _useful(token: str) -> bool:
    """A letter or digit in any script (so 'café' and kana count), and not a stop word."""
    return any(ch.isalnum() for ch in token) and token not in STOP_WORDS


def _with_parts(token: str) -> list[str]:
    """'iphone15' also yields 'iphone' and '15', so either half finds it."""
    token = token[:MAX_TOKEN_CHARS]
    runs = _ALNUM_RUN.findall(token)
    if len(runs) > 1 and "".join(runs) == token:
        return [token, *runs]
    return [token]


def segment(text: str) -> list[str]:
    """Index-side tokens: jieba's search mode (a long word also yields its dictionary sub-words, so
    '笔记本电脑' gives 笔记, 电脑, 笔记本, 笔记本电脑), lower case, punctuation and stop words dropped."""
    out: list[str] = []
    for raw in _tokenizer().cut_for_search(normalize(text)):
        token = raw.strip()
        if _useful(token):
            out.extend(_with_parts(token))
    return out


def query_words(text: str) -> list[str]:
    """Query-side words: jieba's precise mode (one reading of the query, no overlapping sub-words)."""
    return [w for raw in _tokenizer().cut(normalize(text)) if _useful(w := raw.strip()[:MAX_TOKEN_CHARS])]


def _quote(lexeme: str) -> str:
    return "'" + lexeme.replace("\\", "\\\\").replace("'", "''") + "'"


def tsvector_literal(fields: Iterable[tuple[str, str]]) -> str:
    """[(text, weight A-D), ...] → a tsvector literal with positions, fields kept apart by a gap so a
    phrase never spans two fields."""
    positions: dict[str, list[str]] = {}
    pos = 0
    for text, weight in fields:
        for token in segment(text):
            pos += 1
            if pos > MAX_POSITION:
                break
            positions.setdefault(token, []).append(f"{pos}{weight}")
        pos += 8
    return " ".join(f"{_quote(t)}:{','.join(p[:256])}" for t, p in positions.items())


def _sub_words(word: str) -> list[str]:
    """The two-character dictionary words inside a long word, as the index side emits them."""
    if len(word) < 3 or not _CJK.search(word):
        return []
    tk = _tokenizer().dt
    return [word[i : i + 2] for i in range(len(word) - 1) if tk.FREQ.get(word[i : i + 2])]


def tsquery_literal(text: str) -> str | None:
    """Every query word must match (AND). A long word also matches as its two-character parts (so
    '笔记本电脑' finds '笔记本 电脑'); an ASCII word of 3+ letters also matches as a prefix ('mate' finds
    'mate60'). None when the text has no searchable word."""
    groups: list[str] = []
    seen: set[str] = set()
    for word in query_words(text):
        if word in seen:
            continue
        seen.add(word)
        options = [_quote(word) + (":*" if _ASCII_WORD.fullmatch(word) and word[0].isalpha() and len(word) > 2 else "")]
        parts = _sub_words(word)
        if len(parts) > 1:
            options.append("(" + " & ".join(_quote(p) for p in parts) + ")")
        groups.append(options[0] if len(options) == 1 else "(" + " | ".join(options) + ")")
    return " & ".join(groups) if groups else None


def phrase_key(text: str) -> str:
    """The query as one phrase for the exact-phrase bonus: normalised, spaces removed."""
    return normalize(text).replace(" ", "")


# ---------------------------------------------------------------- pinyin (suggestions and typo correction)
@lru_cache(maxsize=1)
def _pinyin() -> tuple[Any, Any]:
    """pypinyin with its phrase dictionary (~0.2 s, ~58 MB): loaded only by the term refresh and the
    zero-result correction path, never by an ordinary search."""
    from pypinyin import Style, lazy_pinyin

    return lazy_pinyin, Style


def pinyin_of(text: str) -> tuple[str, str]:
    """('华为手机') → ('huaweishouji', 'hwsj'); non-Chinese characters pass through (without spaces)."""
    lazy_pinyin, style = _pinyin()
    compact = normalize(text).replace(" ", "")
    full = "".join(lazy_pinyin(compact, errors="default"))
    initials = "".join(lazy_pinyin(compact, style=style.FIRST_LETTER, errors="default"))
    return full, initials


def is_pinyin_like(text: str) -> bool:
    return bool(text) and bool(re.fullmatch(r"[a-z ]+", text))
