"""Cross-origin protection without a token, for the few endpoints that cannot carry a CSRF token
(docs/decisions/0013-cart-add-without-csrf-token.md). Modelled on Go 1.25's net/http CrossOriginProtection:

1. safe methods (GET, HEAD, OPTIONS) pass;
2. a browser that sends Sec-Fetch-Site (every current one) is trusted: `same-origin` or `none` (typed URL,
   bookmark) passes, anything else (`same-site`, `cross-site`) is refused;
3. otherwise an Origin header must name this host (scheme ignored, as Go does);
4. a request with neither header is not from a browser (or from one too old to send them) and passes: it carries
   no ambient credentials an attacker could borrow that a token would have protected.

Use as a Litestar guard: `@post(..., guards=[same_origin])`, with the path in CSRFConfig.exclude."""

from __future__ import annotations

from urllib.parse import urlsplit

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# the same detail Litestar's CSRF middleware uses, so the visitor gets the same "sent from another site" page
REFUSED = "CSRF token verification failed"


def is_same_origin(method: str, headers: dict[str, str] | object) -> bool:
    """The decision alone (headers: a case-insensitive mapping with .get)."""
    if method.upper() in SAFE_METHODS:
        return True
    get = headers.get  # type: ignore[attr-defined]
    site = get("sec-fetch-site")
    if site is not None:
        return site.strip().lower() in ("same-origin", "none")
    origin = get("origin")
    if origin is None:
        return True
    host = (get("host") or "").strip().lower()
    try:
        netloc = urlsplit(origin.strip()).netloc.lower()
    except ValueError:
        return False
    return bool(host) and netloc == host


def same_origin(connection: ASGIConnection, _handler: BaseRouteHandler) -> None:
    if not is_same_origin(connection.scope.get("method", "GET"), connection.headers):  # type: ignore[arg-type]
        raise PermissionDeniedException(detail=REFUSED)
