"""Server-side event capture (issue 9): no third-party script, nothing in the browser but two first-party cookies.

`CaptureMiddleware` wraps the page cache in `app.main.wrap`, so it sees every page view, cached or not, and every
response's status (the 5xx rate). For a storefront page (a GET answered 200 with HTML, not /static, /media, /admin,
/seller, /healthz, not an htmx fragment, not a bot) it records a `page_view` with the route (a path pattern:
'home', 'product', 'category', 'shop', 'search', else the path with ids as '{id}'), the path, the external
referrer, the visitor, the visit and the signed-in user; a product page also records a `product_view` (here
rather than in the handler: the product page is replayed from the page cache to anonymous visitors).

Cookies: `vid` is the anonymous visitor (a uuid4, one year; the search log already used this name, so both agree)
and `vs` the visit (a uuid4 living 30 minutes, refreshed by each page view: a new visit after 30 minutes without
one). When they are missing the middleware makes them *before* the app runs (added to the request's Cookie
header, so handlers and the page cache's replay hooks see the same ids) and sets them on the response, cached
pages included (the cache never stores Set-Cookie).

Writes never wait on the database: events go to an in-memory buffer written in batches (every FLUSH_SECONDS or
BATCH_ROWS events, by a task started on the first event; `flush()` at shutdown). Response counters are added
to a per-minute row of analytics_http_minute by the same flush. `record()` is the one-line call the owning code
makes for add_to_cart and checkout; `link_visitor()` is called at sign-in so a visitor's events count for the
user (conversion: paying visitors / UV)."""

from __future__ import annotations

import asyncio
import logging
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from http.cookies import SimpleCookie
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from litestar.connection import ASGIConnection
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from app.core import clock
from app.core.db import fetch

VISITOR_COOKIE = "vid"
VISIT_COOKIE = "vs"
VISITOR_SECONDS = 365 * 86400
VISIT_SECONDS = 30 * 60
FLUSH_SECONDS = 1.0
BATCH_ROWS = 200
MAX_BUFFER = 50_000  # the database is away: drop the oldest rather than grow without bound

SKIPPED_PREFIXES = ("/static/", "/media/", "/admin", "/seller", "/healthz", "/readyz", "/_test/", "/payments/notify")
SKIPPED_PATHS = frozenset({"/robots.txt", "/sitemap.xml", "/favicon.ico", "/search/suggest", "/flash/strip"})
BOTS = re.compile(
    rb"bot\b|bot/|crawl|spider|slurp|bingpreview|facebookexternalhit|mediapartners|curl/|wget/|python-requests"
    rb"|scrapy|go-http-client|java/|okhttp|headless(?!chrome)|lighthouse|pingdom|uptime|monitor",
    re.IGNORECASE,
)
_ID = re.compile(r"^[A-Za-z0-9_-]{8,36}$")
_ROUTES: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^/$"), "home"),
    (re.compile(r"^/p/(\d+)$"), "product"),
    (re.compile(r"^/c/(\d+)$"), "category"),
    (re.compile(r"^/s/(\d+)(?:/t/\d+)?$"), "shop"),
    (re.compile(r"^/search$"), "search"),
    (re.compile(r"^/categories$"), "categories"),
    (re.compile(r"^/cart$"), "cart"),
    (re.compile(r"^/checkout/?$"), "checkout"),
    (re.compile(r"^/pay/"), "pay"),
]
_NUMBER = re.compile(r"/\d+(?=/|$)")
log = logging.getLogger("jishi.analytics")

# A hook the A/B test of home layouts installs (app.analytics.experiments): given the visitor id, the variant
# to show on the home page as (the event's variant, the layout name) or None. Kept as a hook so that this
# module does not import the experiments (and their database cache) at import time.
HomeVariant = Callable[[str], "tuple[str, str] | None"]
home_variant: HomeVariant | None = None


def route_of(path: str) -> tuple[str, int | None]:
    """The route name of a storefront path and the id it names (a product or shop id), if any."""
    for pattern, name in _ROUTES:
        match = pattern.match(path)
        if match:
            return name, int(match.group(1)) if match.groups() and match.group(1) else None
    return _NUMBER.sub("/{id}", path.rstrip("/")).lstrip("/")[:64] or "home", None


def is_bot(user_agent: bytes) -> bool:
    return not user_agent or BOTS.search(user_agent) is not None


def external_referrer(referer: bytes, host: bytes) -> str:
    """host + path of a referrer on another site; '' for our own pages, none or garbage."""
    if not referer:
        return ""
    try:
        parts = urlsplit(referer.decode("latin-1"))
    except ValueError:
        return ""
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    if parts.netloc.lower() == host.decode("latin-1").lower():
        return ""
    return (parts.netloc + parts.path)[:200]


# ----------------------------------------------------------------------------------------------- the buffer
@dataclass(slots=True)
class _Row:
    at: datetime
    kind: str
    visitor: str = ""
    user_id: int | None = None
    session: str = ""
    route: str = ""
    path: str = ""
    referrer: str = ""
    product: int | None = None
    shop: int | None = None
    group_id: int | None = None
    amount_fen: int = 0
    keyword: str = ""
    results: int | None = None
    status: int = 200
    variant: str = ""


_buffer: list[_Row] = []
_counts: dict[datetime, list[int]] = {}  # minute -> [responses, 5xx]
_task: asyncio.Task[None] | None = None
_wake: asyncio.Event | None = None


def _push(row: _Row) -> None:
    _buffer.append(row)
    if len(_buffer) > MAX_BUFFER:
        del _buffer[: len(_buffer) - MAX_BUFFER]
    _ensure_flusher(urgent=len(_buffer) >= BATCH_ROWS)


def _count(status: int) -> None:
    minute = clock.now().replace(second=0, microsecond=0)
    counts = _counts.get(minute)
    if counts is None:
        counts = _counts[minute] = [0, 0]
    counts[0] += 1
    if status >= 500:
        counts[1] += 1
    _ensure_flusher()


def _ensure_flusher(*, urgent: bool = False) -> None:
    global _task, _wake
    try:
        loop = asyncio.get_running_loop()
    except RuntimeError:
        return
    if _task is None or _task.done() or _task.get_loop() is not loop:
        _wake = asyncio.Event()
        _task = loop.create_task(_flusher(_wake))
    if urgent and _wake is not None:
        _wake.set()


async def _flusher(wake: asyncio.Event) -> None:
    while _buffer or _counts:
        try:
            await asyncio.wait_for(wake.wait(), FLUSH_SECONDS)
        except TimeoutError:
            pass
        wake.clear()
        await flush()


_COLUMNS = (
    ("at", "timestamptz"),
    ("kind", "text"),
    ("visitor", "text"),
    ("user_id", "int"),
    ("session", "text"),
    ("route", "text"),
    ("path", "text"),
    ("referrer", "text"),
    ("product", "int"),
    ("shop", "int"),
    ("group_id", "int"),
    ("amount_fen", "bigint"),
    ("keyword", "text"),
    ("results", "int"),
    ("status", "int"),
    ("variant", "text"),
)
_INSERT = (
    f"INSERT INTO analytics_event ({', '.join(c for c, _ in _COLUMNS)}) "  # noqa: S608 (fixed column names)
    f"SELECT * FROM unnest({', '.join('{}::' + t + '[]' for _, t in _COLUMNS)})"
)
_COUNT = (
    "INSERT INTO analytics_http_minute (minute, responses, errors_5xx) "
    "SELECT * FROM unnest({}::timestamptz[], {}::bigint[], {}::bigint[]) "
    "ON CONFLICT (minute) DO UPDATE SET responses = analytics_http_minute.responses + EXCLUDED.responses, "
    "errors_5xx = analytics_http_minute.errors_5xx + EXCLUDED.errors_5xx"
)


async def flush() -> None:
    """Write what is buffered (BATCH_ROWS * 10 events per statement); also called at shutdown and by tests."""
    while _buffer:
        batch = _buffer[: BATCH_ROWS * 10]
        del _buffer[: len(batch)]
        try:
            await fetch(_INSERT, *([getattr(r, c) for r in batch] for c, _ in _COLUMNS))
        except Exception:
            log.exception("could not write %d analytics events", len(batch))
    if _counts:
        counts = list(_counts.items())
        _counts.clear()
        try:
            await fetch(_COUNT, [m for m, _ in counts], [c[0] for _, c in counts], [c[1] for _, c in counts])
        except Exception:
            log.exception("could not write the response counters")


def discard() -> None:
    """Forget what is buffered (tests)."""
    _buffer.clear()
    _counts.clear()


# ----------------------------------------------------------------------------------------------- calls
def _cookie_ids(cookies: dict[str, str]) -> tuple[str, str]:
    visitor = cookies.get(VISITOR_COOKIE, "")
    visit = cookies.get(VISIT_COOKIE, "")
    return (visitor if _ID.match(visitor) else ""), (visit if _ID.match(visit) else "")


def record(
    connection: ASGIConnection[Any, Any, Any, Any],
    kind: str,
    *,
    product: int | None = None,
    shop: int | None = None,
    group_id: int | None = None,
    amount_fen: int = 0,
    keyword: str = "",
    results: int | None = None,
) -> None:
    """One event of the current request (add_to_cart, checkout...): the visitor, visit and user come from it.
    Never raises and never waits: the event is written with the next batch."""
    try:
        visitor, visit = _cookie_ids(dict(connection.cookies))
        user = connection.scope.get("user")
        _push(
            _Row(
                at=clock.now(),
                kind=kind[:16],
                visitor=visitor,
                user_id=getattr(user, "id", None),
                session=visit,
                route=route_of(connection.scope["path"])[0],
                path=connection.scope["path"][:200],
                product=product,
                shop=shop,
                group_id=group_id,
                amount_fen=amount_fen,
                keyword=keyword[:64],
                results=results,
            )
        )
    except Exception:  # analytics must never break a purchase
        log.exception("could not record a %s event", kind)


async def link_visitor(connection: ASGIConnection[Any, Any, Any, Any], user_id: int) -> None:
    """At sign-in or registration: this browser's visitor id belongs to the user from now on (the rollup counts
    the visitor's events as the user's)."""
    visitor, _visit = _cookie_ids(dict(connection.cookies))
    if not visitor:
        return
    try:
        await fetch(
            "INSERT INTO analytics_visitor_link (visitor, user_id, linked_at) VALUES ({}, {}, {}) "
            "ON CONFLICT (visitor) DO UPDATE SET user_id = EXCLUDED.user_id, linked_at = EXCLUDED.linked_at",
            visitor,
            user_id,
            clock.now(),
        )
    except Exception:
        log.exception("could not link a visitor to user %s", user_id)


# ----------------------------------------------------------------------------------------------- middleware
def _parse_cookies(raw: bytes | None) -> dict[str, str]:
    if not raw:
        return {}
    jar: SimpleCookie = SimpleCookie()
    try:
        jar.load(raw.decode("latin-1"))
    except Exception:
        return {}
    return {k: v.value for k, v in jar.items()}


def _cookie_header(name: str, value: str, max_age: int, secure: bool) -> tuple[bytes, bytes]:
    flags = "; Secure" if secure else ""
    return b"set-cookie", f"{name}={value}; Max-Age={max_age}; Path=/; HttpOnly; SameSite=Lax{flags}".encode()


def _with_query(scope: Scope, layout: str | None) -> None:
    """The home page's layout travels to the handler (and into the page cache's key) as `layout=` in the query
    string, set here from the visitor's stable assignment only: whatever a client sent under that name is
    dropped, so a URL can never choose or leak a variant."""
    pairs = [(k, v) for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)]
    kept = [(k, v) for k, v in pairs if k != "layout"]
    if layout:
        kept.append(("layout", layout))
    if kept != pairs:
        scope["query_string"] = urlencode(kept).encode("latin-1")


class CaptureMiddleware:
    def __init__(self, app: ASGIApp, *, secure: bool | None = None) -> None:
        self.app = app
        if secure is None:
            from app.config import get_settings

            secure = get_settings().cookie_secure
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        headers = scope["headers"]
        page = (
            scope["method"] == "GET"
            and not path.startswith(SKIPPED_PREFIXES)
            and path not in SKIPPED_PATHS
            and not any(k == b"hx-request" for k, _ in headers)
            and not is_bot(next((v for k, v in headers if k == b"user-agent"), b""))
        )
        if not page:
            if path == "/":
                _with_query(scope, None)

            async def count_only(message: Message) -> None:
                if message["type"] == "http.response.start":
                    _count(message["status"])
                await send(message)

            await self.app(scope, receive, count_only)
            return

        cookie_raw = next((v for k, v in headers if k == b"cookie"), None)
        visitor, visit = _cookie_ids(_parse_cookies(cookie_raw))
        new_visitor = not visitor
        visitor = visitor or str(uuid.uuid4())
        visit = visit or str(uuid.uuid4())
        extra = f"{VISITOR_COOKIE}={visitor}; {VISIT_COOKIE}={visit}".encode()
        others = [(k, v) for k, v in headers if k != b"cookie"]
        cookie = (cookie_raw + b"; " + extra) if cookie_raw else extra
        scope["headers"] = [*others, (b"cookie", cookie)]

        variant = ""
        if path == "/":
            shown = home_variant(visitor) if home_variant else None
            variant, layout = shown if shown else ("", None)
            _with_query(scope, layout if layout != "classic" else None)
        status = 0
        html = False

        async def wrapped(message: Message) -> None:
            nonlocal status, html
            if message["type"] == "http.response.start":
                status = message["status"]
                _count(status)
                html = any(
                    k.lower() == b"content-type" and v.startswith(b"text/html") for k, v in message.get("headers", ())
                )
                extra_headers = []
                if new_visitor:
                    extra_headers.append(_cookie_header(VISITOR_COOKIE, visitor, VISITOR_SECONDS, self.secure))
                if status == 200 and html:
                    extra_headers.append(_cookie_header(VISIT_COOKIE, visit, VISIT_SECONDS, self.secure))
                if extra_headers:
                    message = {**message, "headers": [*message.get("headers", ()), *extra_headers]}
            await send(message)

        await self.app(scope, receive, wrapped)
        if status != 200 or not html:
            return
        try:
            user = scope.get("user")
            route, ident = route_of(path)
            host = next((v for k, v in headers if k == b"host"), b"")
            row = _Row(
                at=clock.now(),
                kind="page_view",
                visitor=visitor,
                user_id=getattr(user, "id", None),
                session=visit,
                route=route,
                path=path[:200],
                referrer=external_referrer(next((v for k, v in headers if k == b"referer"), b""), host),
                shop=ident if route == "shop" else None,
                product=ident if route == "product" else None,
                variant=variant,
            )
            _push(row)
            if route == "product":
                _push(_Row(at=row.at, kind="product_view", visitor=visitor, user_id=row.user_id, session=visit,
                           route=route, path=row.path, product=ident))  # fmt: skip
        except Exception:
            log.exception("could not record a page view")
