"""Role x route: every seller-center GET page guarded by requires_shop_permission(), found by walking the app
(so pages other helpers add are covered as they land), answers 200 to the roles that hold its permission and
403 to the others. Pages with path parameters are left to their own tests."""

from __future__ import annotations

import pytest

from app.sellers.permissions import ROLES, has_permission, permission_of
from tests.integration.sellers.helpers import signed_in


def guarded_pages(app) -> dict[str, list[str]]:  # type: ignore[no-untyped-def]
    """{path: [permissions]} for GET routes without path parameters guarded by a shop permission."""
    pages: dict[str, list[str]] = {}
    for route in app.routes:
        if route.path_parameters or "{" in route.path:
            continue
        for handler in getattr(route, "route_handlers", []):
            if "GET" not in handler.http_methods:
                continue
            needed = [p for p in (permission_of(g) for g in handler.resolve_guards()) if p]
            if needed:
                pages[route.path] = needed
    return pages


def test_the_walk_finds_the_sellers_own_pages(litestar_app):
    pages = guarded_pages(litestar_app)
    assert pages["/seller/staff"] == ["staff.manage"]
    assert pages["/seller"] == ["dashboard.view"]
    assert pages["/seller/shop"] == pages["/seller/shop/preview"] == ["shop.settings"]


@pytest.mark.parametrize("role", ROLES)
async def test_each_role_reaches_exactly_the_pages_its_permissions_allow(client, litestar_app, role):
    await signed_in(client, role)
    wrong: list[str] = []
    for path, needed in sorted(guarded_pages(litestar_app).items()):
        allowed = all(has_permission(role, p) for p in needed)
        url = path + "/"  # the seller center links its pages with a trailing slash; both forms reach the page
        response = await client.get(url)
        ok = response.status_code == 200 if allowed else response.status_code == 403
        if not ok:
            wrong.append(f"{url} ({', '.join(needed)}): {response.status_code}, expected {200 if allowed else 403}")
    assert not wrong, f"{role}:\n" + "\n".join(wrong)
