"""One-line set-up for tests: `await make_user()`, `await make_shop()`, `await login(client, user)`."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass

import httpx

from app.accounts.services import register, set_platform_roles
from app.core.principal import Actor
from app.sellers.services import add_staff, create_shop

PASSWORD = "correct-horse-9"
SYSTEM = Actor(user_id=None, ip=None, label="tests")
_phones = itertools.count(13900000000 + uuid.uuid4().int % 90000000)


@dataclass(frozen=True)
class TestUser:
    __test__ = False
    id: int
    identifier: str
    password: str = PASSWORD


async def make_user(
    *,
    email: str | None = None,
    phone: str | None = None,
    password: str = PASSWORD,
    roles: tuple[str, ...] = (),
    name: str = "",
    locale: str = "",
) -> TestUser:
    identifier = email or phone or f"u{uuid.uuid4().hex[:10]}@example.com"
    uid = await register(
        identifier=identifier, password=password, password_confirm=password, display_name=name, locale=locale
    )
    if roles:
        await set_platform_roles(actor=SYSTEM, user_id=uid, roles=list(roles))
    return TestUser(uid, identifier, password)


def new_phone() -> str:
    return str(next(_phones))


@dataclass(frozen=True)
class TestShop:
    __test__ = False
    id: int
    name: str
    owner: TestUser


async def make_shop(
    *, owner: TestUser | None = None, name: str = "", staff: tuple[tuple[TestUser, str], ...] = ()
) -> TestShop:
    owner = owner or await make_user()
    name = name or f"店铺{uuid.uuid4().hex[:6]}"
    shop_id = await create_shop(actor=SYSTEM, name=name, owner_id=owner.id)
    for user, role in staff:
        await add_staff(actor=SYSTEM, shop_id=shop_id, user_id=user.id, role=role)
    return TestShop(shop_id, name, owner)


async def csrf_token(client: httpx.AsyncClient) -> str:
    """The double-submit token: any GET sets the cookie; the cookie's value is a valid form token."""
    if "csrftoken" not in client.cookies:
        await client.get("/login")
    return client.cookies["csrftoken"]


async def post_form(client: httpx.AsyncClient, url: str, data: dict | None = None, **kwargs) -> httpx.Response:  # type: ignore[type-arg]
    token = await csrf_token(client)
    return await client.post(url, data={"_csrf_token": token, **(data or {})}, **kwargs)


async def login(client: httpx.AsyncClient, user: TestUser, password: str | None = None) -> httpx.Response:
    response = await post_form(client, "/login", {"identifier": user.identifier, "password": password or user.password})
    assert response.status_code == 303, response.text[:500]
    return response
