"""Flash messages kept in the session, translated in the request's locale when they are set."""

from __future__ import annotations

from typing import Any

from jinja2 import pass_context
from litestar.connection import ASGIConnection

from app.core.i18n import gettext

KEY = "_messages"


def flash(connection: ASGIConnection, message: str, category: str = "info", **params: object) -> None:
    """category: info | success | warning | error. `message` is a msgid."""
    connection.session.setdefault(KEY, []).append({"message": gettext(message, **params), "category": category})


@pass_context
def get_flashes(context: Any) -> list[dict[str, str]]:
    """Template global: pops this session's messages (none on pages rendered without a session)."""
    request = context.get("request")
    session = request.scope.get("session") if request is not None else None
    return session.pop(KEY, []) if session else []
