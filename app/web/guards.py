"""Route guards. Anonymous visitors are sent to /login (with `next`); signed-in users without the role get 403."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from app.core.principal import Principal


def _user(connection: ASGIConnection) -> Principal:
    user = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException()
    return user  # type: ignore[return-value]


def requires_login(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    _user(connection)


def requires_platform_staff(connection: ASGIConnection, _: BaseRouteHandler) -> None:
    """Any platform role opens the admin surface; each page then asks for its own role."""
    if not _user(connection).is_platform_staff:
        raise PermissionDeniedException()


def requires_platform_role(*roles: str):  # type: ignore[no-untyped-def]
    """Admins pass every platform-role guard."""

    def guard(connection: ASGIConnection, _: BaseRouteHandler) -> None:
        if not _user(connection).has_platform_role(*roles):
            raise PermissionDeniedException()

    guard.__name__ = f"requires_platform_role_{'_'.join(roles)}"
    return guard
