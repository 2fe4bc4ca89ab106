"""Admission control for the flash buy endpoint (decision 0016): per process and per item, in memory.

- A sold-out flag: once a take fails for stock (or a cheap read sees no stock left) the item answers "sold out" at
  once, without touching the database, for `recheck_s` seconds; then one request looks again (stock may have come
  back from a cancelled order).
- A small number of permits per item: at most `permits` buys of one item run at the same time in this process; when
  all are taken the next request is refused immediately (HTTP 429, "try again"), never queued, so a burst cannot
  pile up connections, memory or database work behind the hot row.

No request state is kept: any number of processes may run, each with its own gate (the database's conditional
UPDATE stays the only truth about stock)."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any


class Gate:
    def __init__(self, *, permits: int = 2, recheck_s: float = 1.0, monotonic: Callable[[], float] = time.monotonic):
        self.permits = permits
        self.recheck_s = recheck_s
        self._monotonic = monotonic
        self._sold_out: dict[int, float] = {}  # item id -> when it was seen sold out
        self._inflight: dict[int, int] = {}

    def sold_out(self, item_id: int) -> bool:
        """True while a recent look said the item has no stock (expires after recheck_s)."""
        seen = self._sold_out.get(item_id)
        if seen is None:
            return False
        if self._monotonic() - seen >= self.recheck_s:
            del self._sold_out[item_id]
            return False
        return True

    def mark_sold_out(self, item_id: int) -> None:
        self._sold_out[item_id] = self._monotonic()

    def clear(self, item_id: int) -> None:
        self._sold_out.pop(item_id, None)

    def try_enter(self, item_id: int) -> bool:
        """Take a permit without waiting; False when all of this item's permits are in use."""
        inflight = self._inflight.get(item_id, 0)
        if inflight >= self.permits:
            return False
        self._inflight[item_id] = inflight + 1
        return True

    def leave(self, item_id: int) -> None:
        left = self._inflight.get(item_id, 0) - 1
        if left > 0:
            self._inflight[item_id] = left
        else:
            self._inflight.pop(item_id, None)

    def inflight(self, item_id: int) -> int:
        return self._inflight.get(item_id, 0)

    @contextmanager
    def permit(self, item_id: int) -> Iterator[bool]:
        """`with gate.permit(item) as admitted:` — admitted False means answer "try again" now."""
        admitted = self.try_enter(item_id)
        try:
            yield admitted
        finally:
            if admitted:
                self.leave(item_id)


GATE = Gate()  # the process's gate; asyncio runs one request at a time between awaits, so no lock is needed


# ---------------------------------------------------------------------------------------------------------------
# the fast path: a sold-out item answered before the session, the user and CSRF are even looked at

_BUY = re.compile(r"^/flash/items/(\d{1,10})/buy$")


def _locale(headers: dict[bytes, bytes]) -> str:
    from app.core.i18n import DEFAULT_LOCALE, LOCALES, negotiate

    for part in headers.get(b"cookie", b"").decode("latin-1").split(";"):
        name, _, value = part.strip().partition("=")
        if name == "locale" and value in LOCALES:
            return value
    return negotiate(headers.get(b"accept-language", b"").decode("latin-1")) or DEFAULT_LOCALE


class SoldOutFastPath:
    """ASGI middleware for the outside of the app (before sessions): POST /flash/items/<id>/buy for an item this
    process has just seen sold out, or whose permits are all in use, is answered here with the same message the
    handler would give (the buy area's fragment for htmx, else a 303 back to /flash), so the refused part of a burst
    costs no database query and none of the app's middleware. It changes nothing, so it needs neither the session
    nor the CSRF token. Everything else passes through (the handler still takes its permit)."""

    def __init__(self, app: Any, gate: Gate | None = None) -> None:
        self.app = app
        self.gate = gate or GATE

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "POST" and (match := _BUY.match(scope["path"])):
            item_id = int(match.group(1))
            if self.gate.sold_out(item_id):
                await self._answer(scope, send, item_id, sold_out=True)
                return
            if self.gate.inflight(item_id) >= self.gate.permits:
                await self._answer(scope, send, item_id, sold_out=False)
                return
        await self.app(scope, receive, send)

    async def _answer(self, scope: Any, send: Any, item_id: int, *, sold_out: bool) -> None:
        from app.core.i18n import gettext, set_locale
        from app.flash.rules import SOLD_OUT, TRY_AGAIN

        headers = dict(scope.get("headers") or [])
        common = [(b"cache-control", b"no-store"), (b"vary", b"HX-Request")]
        if headers.get(b"hx-request") == b"true":
            set_locale(_locale(headers))
            message = html.escape(gettext(SOLD_OUT if sold_out else TRY_AGAIN))
            body = (
                f'<div class="flash-buy flash-buy--message" id="flash-buy-{item_id}">'
                f'<p class="flash-buy__msg" role="alert">{message}</p></div>'
            ).encode()
            status = 422 if sold_out else 429
            extra = [(b"content-type", b"text/html; charset=utf-8")]
            if not sold_out:
                extra.append((b"retry-after", b"1"))
        else:
            body, status = b"", 303
            extra = [(b"location", f"/flash/#flash-item-{item_id}".encode())]
        await send(
            {
                "type": "http.response.start",
                "status": status,
                "headers": [*common, *extra, (b"content-length", str(len(body)).encode())],
            }
        )
        await send({"type": "http.response.body", "body": body})
