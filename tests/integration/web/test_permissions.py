"""Every seller and admin route checks roles on the server."""

import re

import pytest
from litestar.routes import HTTPRoute

from tests.factories import login, make_shop, make_user, post_form

# Routes under /seller that a non-staff user may use: the shop application wizard (入驻), whose own tests check
# that an applicant only ever sees their own application and documents.
OPEN_TO_BUYERS_PREFIX = "/seller/apply"


def _surface_routes(app, prefix):  # type: ignore[no-untyped-def]
    for route in app.routes:
        if (
            isinstance(route, HTTPRoute)
            and route.path.startswith(prefix)
            and not route.path.startswith(OPEN_TO_BUYERS_PREFIX)
        ):
            for method in sorted(route.methods - {"OPTIONS", "HEAD"}):
                yield method, re.sub(r"\{[^}]+\}", "1", route.path)


@pytest.mark.parametrize("prefix", ["/seller", "/admin"])
async def test_every_route_refuses_a_buyer(client, litestar_app, prefix):
    buyer = await make_user()
    await login(client, buyer)
    routes = list(_surface_routes(litestar_app, prefix))
    assert routes
    for method, path in routes:
        r = await (client.get(path) if method == "GET" else post_form(client, path))
        assert r.status_code == 403, (method, path, r.status_code)


@pytest.mark.parametrize("prefix", ["/seller", "/admin"])
async def test_anonymous_visitors_are_sent_to_login_and_back(client, litestar_app, prefix):
    for method, path in _surface_routes(litestar_app, prefix):
        if method != "GET":
            continue
        r = await client.get(path + "?tab=x")
        assert r.status_code == 303
        assert r.headers["location"].startswith("/login?next=")
    r = await client.get("/seller/?tab=x")
    target = r.headers["location"]
    assert target == "/login?next=%2Fseller%2F%3Ftab%3Dx" or target == "/login?next=%2Fseller%3Ftab%3Dx"
    user = await make_user()
    await make_shop(owner=user)
    page = await client.get(target)
    assert 'name="next" value="/seller' in page.text
    done = await post_form(
        client, "/login", {"identifier": user.identifier, "password": user.password, "next": "/seller/?tab=x"}
    )
    assert done.headers["location"] == "/seller/?tab=x"


async def test_htmx_requests_from_anonymous_visitors_get_an_hx_redirect(client):
    r = await client.get("/admin/", headers={"HX-Request": "true"})
    assert r.status_code == 401
    assert r.headers["hx-redirect"].startswith("/login?next=")


async def test_shop_staff_see_their_shop_but_not_the_admin(client):
    clerk = await make_user()
    shop = await make_shop(staff=((clerk, "warehouse"),))
    await login(client, clerk)
    home = await client.get("/seller/")
    assert home.status_code == 200 and shop.name in home.text
    assert (await client.get("/admin/")).status_code == 403


async def test_staff_of_two_shops_can_switch_but_not_into_a_stranger_shop(client):
    owner = await make_user()
    first = await make_shop(owner=owner, name="甲店")
    second = await make_shop(owner=owner, name="乙店")
    stranger = await make_shop(name="丙店")
    await login(client, owner)
    assert "甲店" in (await client.get("/seller/")).text
    await post_form(client, "/seller/switch-shop", {"shop_id": str(second.id)})
    assert '<h1 class="page-title">乙店</h1>' in (await client.get("/seller/")).text
    await post_form(client, "/seller/switch-shop", {"shop_id": str(stranger.id)})
    assert '<h1 class="page-title">乙店</h1>' in (await client.get("/seller/")).text
    assert first.id != second.id


@pytest.mark.parametrize(
    ("roles", "path", "status"),
    [
        (("moderator",), "/admin/", 200),
        (("moderator",), "/admin/users/", 403),
        (("moderator",), "/admin/audit/", 403),
        (("operations",), "/admin/users/", 200),
        (("operations",), "/admin/audit/", 403),
        (("finance",), "/admin/", 200),
        (("admin",), "/admin/audit/", 200),
        (("admin",), "/admin/users/", 200),
    ],
)
async def test_platform_role_matrix(client, roles, path, status):
    staff = await make_user(roles=roles)
    await login(client, staff)
    assert (await client.get(path)).status_code == status


async def test_only_admins_change_roles(client):
    ops = await make_user(roles=("operations",))
    target = await make_user()
    await login(client, ops)
    r = await post_form(client, f"/admin/users/{target.id}/roles", {"roles": "admin"})
    assert r.status_code == 403
