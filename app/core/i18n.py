"""gettext with babel. Services return msgids (marked with N_); the request's locale translates at the edge.

The current locale lives in a context variable set once per request by the web layer.
"""

from __future__ import annotations

import io
from contextvars import ContextVar
from functools import cache
from pathlib import Path

from babel import Locale
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

LOCALES: tuple[str, ...] = ("zh_CN", "en")
DEFAULT_LOCALE = "zh_CN"
LOCALE_DIR = Path(__file__).resolve().parent.parent / "locale"
LOCALE_NAMES = {"zh_CN": "中文", "en": "English"}

_current: ContextVar[str] = ContextVar("locale", default=DEFAULT_LOCALE)


def N_(message: str) -> str:
    """Mark a msgid for extraction without translating it (services, error classes)."""
    return message


@cache
def translations(locale: str) -> NullTranslations:
    """The compiled catalog (.mo, built by make); compiled in memory from the .po when it is missing/stale."""
    folder = LOCALE_DIR / locale / "LC_MESSAGES"
    po, mo = folder / "messages.po", folder / "messages.mo"
    if mo.exists() and (not po.exists() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as fh:
            return Translations(fh, domain="messages")
    if po.exists():
        with po.open("rb") as fh:
            catalog = read_po(fh, locale=locale)
        buf = io.BytesIO()
        write_mo(buf, catalog)
        buf.seek(0)
        return Translations(buf, domain="messages")
    return NullTranslations()


def set_locale(locale: str) -> None:
    _current.set(locale if locale in LOCALES else DEFAULT_LOCALE)


def get_locale() -> str:
    return _current.get()


def babel_locale(locale: str | None = None) -> Locale:
    return _babel_locale(locale or get_locale())


@cache
def _babel_locale(locale: str) -> Locale:
    return Locale.parse(locale)


def gettext(message: str, /, **params: object) -> str:
    text = translations(get_locale()).ugettext(message)
    return text % params if params else text


def ngettext(singular: str, plural: str, n: int, /, **params: object) -> str:
    text = translations(get_locale()).ungettext(singular, plural, n)
    params.setdefault("num", n)
    return text % params


_ = gettext


def negotiate(accept_language: str | None) -> str | None:
    """Best supported locale from an Accept-Language header, or None."""
    if not accept_language:
        return None
    ranked: list[tuple[float, str]] = []
    for part in accept_language.split(","):
        lang, _sep, q = part.strip().partition(";q=")
        try:
            weight = float(q) if q else 1.0
        except ValueError:
            weight = 0.0
        ranked.append((weight, lang.strip().lower().replace("_", "-")))
    for _weight, lang in sorted(ranked, key=lambda item: -item[0]):
        if lang.startswith("zh"):
            return "zh_CN"
        if lang.startswith("en"):
            return "en"
    return None
