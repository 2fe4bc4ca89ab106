"""The cart's web glue: whose cart a request is about (`owner_of`), the anonymous visitor's `cart` cookie, the
merge at login, and the middleware that reads the badge count for the layout."""

from __future__ import annotations

import logging
import secrets

from litestar import Request, Response
from litestar.types import ASGIApp, Receive, Scope, Send

from app.cart import services
from app.cart.services import CartOwner
from app.config import get_settings
from app.web.auth import current_user

log = logging.getLogger("jishi.cart")

COOKIE = "cart"
COOKIE_MAX_AGE = services.ANONYMOUS_DAYS * 86400
STATE_KEY = "cart_badge"  # scope["state"][STATE_KEY]: the badge count the layout shows (absent: show none)


def owner_of(request: Request) -> CartOwner:
    """The signed-in user's cart, else the one the `cart` cookie names (a malformed cookie names none)."""
    user = current_user(request)
    if user is not None:
        return CartOwner(user_id=user.id, token=None)
    token = request.cookies.get(COOKIE)
    return CartOwner(user_id=None, token=token if services.valid_token(token) else None)


def owner_for_writing(request: Request) -> CartOwner:
    """owner_of(), with a new random token for an anonymous visitor who has none yet (the response then sets
    the cookie with set_cookie)."""
    owner = owner_of(request)
    return owner if owner.known else CartOwner(user_id=None, token=secrets.token_urlsafe(32))


def set_cookie(response: Response, owner: CartOwner) -> None:
    """(Re)issue the anonymous cart's cookie: HttpOnly, SameSite=Lax, as long-lived as the cart."""
    if owner.user_id is None and owner.token:
        response.set_cookie(
            COOKIE,
            owner.token,
            max_age=COOKIE_MAX_AGE,
            path="/",
            httponly=True,
            samesite="lax",
            secure=get_settings().cookie_secure,
        )


def clear_cookie(response: Response) -> None:
    response.delete_cookie(COOKIE, path="/")


async def merge_at_login(request: Request, response: Response, *, user_id: int) -> None:
    """Called by login and registration once the user is signed in: the anonymous cart joins the account's
    and its cookie goes. A failure here never stops the login (the anonymous cart simply stays)."""
    token = request.cookies.get(COOKIE)
    if token is None:
        return
    try:
        await services.merge_anonymous(token=token, user_id=user_id)
    except Exception:
        log.exception("could not merge the anonymous cart into user %s", user_id)
        return
    clear_cookie(response)


_SKIP = ("/static/", "/media/", "/seller", "/admin", "/cart", "/healthz", "/readyz", "/pay/notify")


class CartBadgeMiddleware:
    """For full-page GETs by a signed-in visitor or one with a cart cookie, one indexed count query puts the
    badge count in scope state before the layout renders. Everyone else (and the page cache's anonymous
    visitors, who never reach the app) costs nothing and sees no count; htmx fragments skip it too. /cart
    pages set the count from the cart they already read."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["method"] == "GET" and not scope["path"].startswith(_SKIP):
            request: Request = Request(scope)
            if request.headers.get("hx-request") != "true" or request.headers.get("hx-history-restore-request"):
                owner = owner_of(request)
                if owner.known:
                    try:
                        scope.setdefault("state", {})[STATE_KEY] = await services.badge_count(owner=owner)
                    except Exception:  # the badge is never worth an error page
                        log.exception("cart badge")
        await self.app(scope, receive, send)
