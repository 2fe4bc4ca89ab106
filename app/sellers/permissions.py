"""What each shop role may do (the owner may do everything). Seller-center routes declare the permission
they need with guards=[requires_shop_permission("products.edit")]; services that act for a shop check
has_permission() too, so a permission holds whatever the entry point."""

from __future__ import annotations

from litestar.connection import ASGIConnection
from litestar.exceptions import PermissionDeniedException
from litestar.handlers.base import BaseRouteHandler

from app.sellers.guards import requires_seller_staff

ROLES = ("owner", "manager", "service", "warehouse", "finance")
STAFF_ROLES = ROLES[1:]  # the roles an owner can give

PERMISSIONS: dict[str, frozenset[str]] = {
    "dashboard.view": frozenset(ROLES),
    "products.view": frozenset({"owner", "manager", "service", "warehouse"}),
    "products.edit": frozenset({"owner", "manager"}),  # titles, images, descriptions, listing
    "prices.edit": frozenset({"owner", "manager"}),
    "stock.edit": frozenset({"owner", "manager", "warehouse"}),
    "images.manage": frozenset({"owner", "manager"}),
    "orders.view": frozenset({"owner", "manager", "service", "warehouse"}),
    "orders.ship": frozenset({"owner", "manager", "warehouse"}),
    "aftersales.handle": frozenset({"owner", "manager", "service"}),
    "messages.answer": frozenset({"owner", "manager", "service"}),
    "promotions.manage": frozenset({"owner", "manager"}),
    "statements.view": frozenset({"owner", "manager", "finance"}),
    "payouts.request": frozenset({"owner", "finance"}),
    "shop.settings": frozenset({"owner", "manager"}),
    "staff.manage": frozenset({"owner"}),
}


def has_permission(role: str, permission: str) -> bool:
    return role in PERMISSIONS[permission]


def permissions_of(role: str) -> frozenset[str]:
    return frozenset(name for name, roles in PERMISSIONS.items() if role in roles)


def requires_shop_permission(permission: str):
    if permission not in PERMISSIONS:
        raise KeyError(permission)

    async def guard(connection: ASGIConnection, handler: BaseRouteHandler) -> None:
        await requires_seller_staff(connection, handler)
        if not has_permission(connection.state.shop.role, permission):
            raise PermissionDeniedException()

    guard.__name__ = f"requires_shop_permission_{permission.replace('.', '_')}"
    guard.permission = permission  # type: ignore[attr-defined]  # read by the role x route test matrix
    return guard


def permission_of(guard: object) -> str | None:
    """The permission a guard made by requires_shop_permission() checks (None for any other guard)."""
    return getattr(guard, "permission", None)
