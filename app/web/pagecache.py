"""Whole-page cache for anonymous visitors (docs/decisions/0011-anonymous-page-cache.md).

A handler opts a response in with `cache_page(request, ttl=..., tag=...)` only when the page shows nothing
about the visitor (no CSRF token, no flash, no user). The middleware then keeps the response exactly as sent
(status, headers without Set-Cookie, compressed body) under the request's method, path, query, language,
accepted encoding and htmx flag, and answers the next anonymous request for the same key from memory without
running the app. A visitor with a session cookie always reaches the app.

Freshness: entries live `ttl` seconds at most; an entry tagged 'p:<id>' is dropped as soon as the change feed
(app/core/changes.py) reports a change of that product, and while the feed is not live tagged pages are not
kept. Identical requests arriving together are made once (the others wait for the first and share its
answer), and an expired copy keeps being served for STALE_SECONDS while one request makes the new one, so a
popular page never sends a burst of identical work to the app. A page that must do something on every view
(search records its keyword) passes `on_hit`, called with the visitor's cookies and returning extra response
headers."""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from typing import Any

from litestar import Request
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.core import changes
from app.core.i18n import DEFAULT_LOCALE, LOCALES, negotiate

STATE_KEY = "page_cache"
MAX_BYTES = 48 * 1024 * 1024
MAX_ENTRIES = 20_000
STALE_SECONDS = 10.0  # an expired copy is still served this long while one request makes the new one
FOLLOW_SECONDS = 5.0  # how long a request waits for the identical request in flight before going to the app
_now = time.monotonic  # tests move this clock, never the event loop's


@dataclass(slots=True)
class Directive:
    ttl: float
    tag: str = ""
    on_hit: Callable[[dict[str, str]], list[tuple[bytes, bytes]]] | None = None


@dataclass(slots=True)
class Entry:
    expires: float
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    tag: str
    on_hit: Callable[[dict[str, str]], list[tuple[bytes, bytes]]] | None = None
    size: int = field(default=0)


def cache_page(
    request: Request,
    *,
    ttl: float,
    tag: str = "",
    on_hit: Callable[[dict[str, str]], list[tuple[bytes, bytes]]] | None = None,
) -> None:
    """Allow the response to this request to be replayed to other anonymous visitors."""
    request.scope.setdefault("state", {})[STATE_KEY] = Directive(ttl=ttl, tag=tag, on_hit=on_hit)


def _cookies(headers: dict[bytes, bytes]) -> dict[str, str]:
    raw = headers.get(b"cookie")
    if not raw:
        return {}
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw.decode("latin-1"))
    except Exception:  # a malformed cookie header: treat as none
        return {}
    return {k: v.value for k, v in jar.items()}


def _encoding(accept: bytes) -> bytes:
    accept = accept.lower()
    if b"br" in accept:
        return b"br"
    if b"gzip" in accept:
        return b"gzip"
    return b""


class PageCacheMiddleware:
    def __init__(self, app: ASGIApp, *, enabled: bool = True, bypass_cookies: tuple[str, ...] = ("sid",)) -> None:
        self.app = app
        self.enabled = enabled
        self.bypass_cookies = bypass_cookies
        self.entries: OrderedDict[tuple[Any, ...], Entry] = OrderedDict()
        self.by_tag: dict[str, set[tuple[Any, ...]]] = {}
        self.inflight: dict[tuple[Any, ...], asyncio.Future[Entry | None]] = {}
        self.bytes = 0
        self.hits = 0
        self.misses = 0
        changes.subscribe(self.forget)

    # ------------------------------------------------------------ invalidation
    def forget(self, tag: str) -> None:
        if tag == changes.ALL:
            self.clear()
            return
        for key in self.by_tag.pop(tag, ()):
            self._drop(key)

    def clear(self) -> None:
        self.entries.clear()
        self.by_tag.clear()
        self.bytes = 0

    def _drop(self, key: tuple[Any, ...]) -> None:
        entry = self.entries.pop(key, None)
        if entry is None:
            return
        self.bytes -= entry.size
        if entry.tag:
            keys = self.by_tag.get(entry.tag)
            if keys is not None:
                keys.discard(key)
                if not keys:
                    del self.by_tag[entry.tag]

    def _store(self, key: tuple[Any, ...], entry: Entry) -> None:
        self._drop(key)
        entry.size = len(entry.body) + sum(len(k) + len(v) for k, v in entry.headers) + 200
        self.entries[key] = entry
        self.bytes += entry.size
        if entry.tag:
            self.by_tag.setdefault(entry.tag, set()).add(key)
        while self.entries and (self.bytes > MAX_BYTES or len(self.entries) > MAX_ENTRIES):
            self._drop(next(iter(self.entries)))

    # ------------------------------------------------------------ ASGI
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.enabled or scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        cookies = _cookies(headers)
        if any(name in cookies for name in self.bypass_cookies):
            await self.app(scope, receive, send)
            return
        locale = cookies.get("locale")
        if locale not in LOCALES:
            accept_language = headers.get(b"accept-language")
            locale = negotiate(accept_language.decode("latin-1") if accept_language else None) or DEFAULT_LOCALE
        key = (
            headers.get(b"host", b""),  # canonical and Open Graph URLs are absolute
            scope["path"],
            scope.get("query_string", b""),
            locale,
            _encoding(headers.get(b"accept-encoding", b"")),
            b"hx-request" in headers,
        )
        entry = self.entries.get(key)
        now = _now()
        if entry is not None:
            refreshing = key in self.inflight and entry.expires + STALE_SECONDS > now
            if entry.expires > now or refreshing:
                await self._replay(entry, cookies, send)
                return
        waiting = self.inflight.get(key)
        if waiting is not None:  # the same page is being made right now: share it
            try:
                made = await asyncio.wait_for(asyncio.shield(waiting), FOLLOW_SECONDS)
            except TimeoutError:
                made = None
            if made is not None:
                await self._replay(made, cookies, send)
                return
            await self.app(scope, receive, send)
            return
        self.misses += 1
        future: asyncio.Future[Entry | None] = asyncio.get_running_loop().create_future()
        self.inflight[key] = future
        made = None
        try:
            made = await self._fill(key, scope, receive, send)
        finally:
            del self.inflight[key]
            future.set_result(made)

    async def _replay(self, entry: Entry, cookies: dict[str, str], send: Send) -> None:
        self.hits += 1
        extra = entry.on_hit(cookies) if entry.on_hit else []
        await send({"type": "http.response.start", "status": entry.status, "headers": entry.headers + extra})
        await send({"type": "http.response.body", "body": entry.body, "more_body": False})

    async def _fill(self, key: tuple[Any, ...], scope: Scope, receive: Receive, send: Send) -> Entry | None:
        start: dict[str, Any] = {}
        chunks: list[bytes] = []
        mark = changes.sequence()
        feed_live = changes.live()

        async def capture(message: Message) -> None:
            if message["type"] == "http.response.start":
                start.update(message)
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))
            await send(message)

        await self.app(scope, receive, capture)
        directive: Directive | None = scope.get("state", {}).get(STATE_KEY)
        if directive is None or start.get("status") != 200 or directive.ttl <= 0:
            return None
        if directive.tag and not (feed_live and changes.live() and changes.untouched_since(mark, directive.tag)):
            return None  # the feed was down, or this product changed while the page was being made
        kept = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"set-cookie"]
        entry = Entry(
            expires=_now() + directive.ttl,
            status=200,
            headers=kept,
            body=b"".join(chunks),
            tag=directive.tag,
            on_hit=directive.on_hit,
        )
        self._store(key, entry)
        return entry
