"""One mapping from exceptions to responses: error pages in the visitor's language (never a stack trace),
login redirects for anonymous visitors, and DomainError as a flash message (or a 422 fragment for htmx)."""

from __future__ import annotations

import logging
from urllib.parse import quote, urlsplit

from litestar import Request, Response
from litestar.exceptions import HTTPException, NotAuthorizedException, PermissionDeniedException
from litestar.middleware.csrf import generate_csrf_token
from litestar.response import Redirect, Template
from litestar.types import Empty, Scope
from litestar.utils.scope.state import ScopeState

from app.config import get_settings
from app.core.errors import DomainError, ValidationFailed
from app.core.i18n import N_, gettext, set_locale
from app.web.flash import KEY as FLASH_KEY
from app.web.htmx import is_htmx
from app.web.locale import locale_for

log = logging.getLogger("jishi.errors")

TITLES = {
    400: N_("Bad request"),
    403: N_("You don't have access to this page"),
    404: N_("Page not found"),
    405: N_("This action is not allowed here"),
    413: N_("The upload is too large"),
    422: N_("Please check what you entered"),
    429: N_("Too many requests"),
    500: N_("Something went wrong on our side"),
    503: N_("The service is briefly unavailable"),
}
MESSAGES = {
    400: N_("The request could not be understood. Please go back and try again."),
    403: N_("Your account does not have permission for this page. If you think it should, contact the platform."),
    404: N_("The page you are looking for does not exist or has been removed."),
    405: N_("This page cannot be used that way. Please go back and try again."),
    413: N_("Please choose a smaller file and try again."),
    422: N_("Some of what you entered could not be accepted. Please go back and check it."),
    429: N_("You are going a little fast. Please wait a moment and try again."),
    500: N_("We have been notified and are looking into it. Please try again in a moment."),
    503: N_("Please try again in a moment."),
}
CSRF_MESSAGE = N_("This form has expired or was sent from another site. Please reload the page and try again.")


def _layout_for(path: str) -> str:
    if path.startswith("/seller"):
        return "layouts/seller.html"
    if path.startswith("/admin"):
        return "layouts/admin.html"
    return "layouts/storefront.html"


def _ensure_context(request: Request) -> None:
    """404s for unknown paths never ran the middleware: give them a user (none), a locale and a CSRF token."""
    scope: Scope = request.scope
    scope.setdefault("user", None)  # type: ignore[misc]
    state = scope.setdefault("state", {})
    if "locale" not in state:
        state["locale"] = locale_for(request)
    set_locale(state["locale"])
    connection_state = ScopeState.from_scope(scope)
    if connection_state.csrf_token is Empty:
        # the cookie's token is valid for the form; without one, the logout form on this page will be refused
        connection_state.csrf_token = request.cookies.get("csrftoken") or generate_csrf_token(get_settings().secret_key)


def error_page(request: Request, status: int, message: str | None = None) -> Response:
    """`message`: a msgid, or text already translated (a translated string maps to itself)."""
    _ensure_context(request)
    title = gettext(TITLES.get(status, TITLES[500] if status >= 500 else TITLES[400]))
    body = gettext(message or MESSAGES.get(status, MESSAGES[500] if status >= 500 else MESSAGES[400]))
    template = "errors/_error.html" if is_htmx(request) else "errors/error.html"
    return Template(
        template_name=template,
        status_code=status,
        context={"status": status, "title": title, "message": body, "layout": _layout_for(request.url.path)},
    )


def login_redirect(request: Request, exc: Exception) -> Response:
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    location = f"/login?next={quote(target, safe='')}"
    if is_htmx(request):
        return Response(content="", status_code=401, headers={"HX-Redirect": location})
    if request.method not in ("GET", "HEAD"):
        return error_page(request, 403)
    return Redirect(path=location, status_code=303)


def http_error(request: Request, exc: HTTPException) -> Response:
    status = exc.status_code
    if isinstance(exc, PermissionDeniedException) and exc.detail == "CSRF token verification failed":
        return error_page(request, 403, CSRF_MESSAGE)
    if status >= 500:
        log.exception("HTTP %s on %s %s", status, request.method, request.url.path, exc_info=exc)
    return error_page(request, status)


def domain_error(request: Request, exc: DomainError) -> Response:
    """Flash the message and go back (303), or for htmx a 422 flash fragment."""
    _ensure_context(request)
    if exc.status_code in (403, 404, 429) and not is_htmx(request):
        return error_page(request, exc.status_code, gettext(exc.message, **exc.params))
    if isinstance(exc, ValidationFailed):
        text = " ".join(gettext(msgid) for msgid in exc.errors.values())
    else:
        text = gettext(exc.message, **exc.params)
    if is_htmx(request):
        return Template(
            template_name="components/_flash_one.html",
            status_code=exc.status_code,
            context={"category": "error", "message": text},
        )
    request.session.setdefault(FLASH_KEY, []).append({"message": text, "category": "error"})
    return Redirect(path=_safe_back(request), status_code=303)


def server_error(request: Request, exc: Exception) -> Response:
    log.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return error_page(request, 500)


def _safe_back(request: Request) -> str:
    referer = request.headers.get("referer", "")
    parts = urlsplit(referer)
    if parts.netloc and parts.netloc != request.headers.get("host"):
        return "/"
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def safe_next(target: str | None, default: str = "/") -> str:
    """Only same-site paths: '/orders' yes, '//evil.com' and 'https://evil.com' no."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


EXCEPTION_HANDLERS = {
    NotAuthorizedException: login_redirect,
    HTTPException: http_error,
    DomainError: domain_error,
    Exception: server_error,
}
