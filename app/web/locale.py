"""The request's locale: the user's setting, then the `locale` cookie, then Accept-Language, then zh_CN."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.types import ASGIApp, Receive, Scope, Send

from app.core.i18n import DEFAULT_LOCALE, LOCALES, negotiate, set_locale

COOKIE = "locale"


def locale_for(connection: ASGIConnection) -> str:
    user = connection.scope.get("user")
    if user is not None and user.locale in LOCALES:
        return user.locale
    cookie = connection.cookies.get(COOKIE)
    if cookie in LOCALES:
        return cookie
    return negotiate(connection.headers.get("accept-language")) or DEFAULT_LOCALE


class LocaleMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            locale = locale_for(ASGIConnection(scope))
            set_locale(locale)
            scope.setdefault("state", {})["locale"] = locale
        await self.app(scope, receive, send)
