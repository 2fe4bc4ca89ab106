"""Who is signed in: the session holds a user id and the auth epoch it was issued under. A changed epoch
("log out everywhere", a password change, a ban) or a banned status ends the session on its next request."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from litestar.connection import ASGIConnection
from litestar.types import ASGIApp, Receive, Scope, Send

from app.core.principal import Principal
from app.web.session import rotate_session

PrincipalLoader = Callable[[int], Awaitable[Principal | None]]

UID, EPOCH = "uid", "epoch"


class AuthMiddleware:
    def __init__(self, app: ASGIApp, loader: PrincipalLoader) -> None:
        self.app, self.loader = app, loader

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            session = scope.get("session") or {}
            user: Principal | None = None
            if uid := session.get(UID):
                user = await self.loader(uid)
                if user is None or user.status != "active" or user.auth_epoch != session.get(EPOCH):
                    user = None
                    session.pop(UID, None)
                    session.pop(EPOCH, None)
            scope["user"] = user
        await self.app(scope, receive, send)


def current_user(connection: ASGIConnection) -> Principal | None:
    return connection.scope.get("user")  # type: ignore[return-value]


def sign_in(connection: ASGIConnection, user: Principal) -> None:
    """Start a signed-in session under a new session id (the anonymous session's data is kept)."""
    rotate_session(connection)
    connection.session[UID] = user.id
    connection.session[EPOCH] = user.auth_epoch
    connection.scope["user"] = user


def sign_out(connection: ASGIConnection) -> None:
    rotate_session(connection)
    connection.scope["session"] = {}  # type: ignore[typeddict-unknown-key]
    connection.scope["user"] = None


def refresh_epoch(connection: ASGIConnection, epoch: int) -> None:
    """After a password change: keep this session, end all others."""
    rotate_session(connection)
    connection.session[EPOCH] = epoch
