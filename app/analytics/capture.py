"""Server-side event capture (issue 9). `CaptureMiddleware` wraps the page cache in `app.main.wrap`, so it sees every
page view, cached or not, and every response's status (the 5xx rate)."""

from __future__ import annotations

from litestar.types import ASGIApp, Receive, Scope, Send


class CaptureMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)
