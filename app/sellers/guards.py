"""Seller-center guard: the signed-in user must work for a shop; a route may narrow the roles with
opt={"shop_roles": (...)} (owners always pass). The chosen shop is put on connection.state.shop."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import NotAuthorizedException, PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from app.sellers.services import memberships

SHOP_KEY = "shop"


async def requires_seller_staff(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
    user = connection.scope.get("user")
    if user is None:
        raise NotAuthorizedException()
    shops = await memberships(user_id=user.id)
    if not shops:
        raise PermissionDeniedException()
    chosen = connection.session.get(SHOP_KEY)
    current = next((m for m in shops if m.shop_id == chosen), shops[0])
    allowed = handler.opt.get("shop_roles")
    if allowed and current.role != "owner" and current.role not in allowed:
        raise PermissionDeniedException()
    connection.state.shop = current
    connection.state.shops = shops
