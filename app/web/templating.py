"""The Jinja environment: autoescape, gettext bound to the request's locale, money/date filters, static()."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import quote

from jinja2 import Environment, FileSystemLoader, select_autoescape
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.template.config import TemplateConfig

from app.config import ROOT, get_settings
from app.core.clock import format_day, format_dt
from app.core.i18n import LOCALE_NAMES, LOCALES, get_locale, gettext, ngettext
from app.core.money import format_fen, plain_yuan
from app.web.flash import get_flashes
from app.web.querystring import qs, qs_has, qs_toggle
from app.web.static import static_url


def build_environment(extra_globals: dict[str, object] | None = None) -> Environment:
    settings = get_settings()
    env = Environment(
        loader=FileSystemLoader(ROOT / "templates"),
        autoescape=select_autoescape(default=True, default_for_string=True),
        extensions=["jinja2.ext.i18n"],
        auto_reload=settings.debug,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.install_gettext_callables(gettext, ngettext, newstyle=True)  # type: ignore[attr-defined]
    tz = settings.display_timezone
    env.filters["money"] = lambda fen: format_fen(fen)
    env.filters["yuan"] = plain_yuan
    env.filters["datetime"] = lambda value, fmt="medium": format_dt(value, tz, fmt)
    env.filters["date"] = lambda value, fmt="medium": format_day(value, tz, fmt)
    env.filters["urlquote"] = lambda value: quote(str(value), safe="")
    env.globals.update(
        static=static_url,
        current_locale=get_locale,
        LOCALES=LOCALES,
        LOCALE_NAMES=LOCALE_NAMES,
        now=datetime.now,
        get_flashes=get_flashes,
        qs=qs,
        qs_toggle=qs_toggle,
        qs_has=qs_has,
    )
    env.globals.update(extra_globals or {})  # domains' helpers, handed in by app.main (glue imports no domain)
    return env


def template_config(extra_globals: dict[str, object] | None = None) -> TemplateConfig:
    return TemplateConfig(engine=JinjaTemplateEngine.from_environment(build_environment(extra_globals)))
