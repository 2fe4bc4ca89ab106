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


async def make_category(*, name: str = "", parent: int | None = None, commission_bp: int = 500) -> int:
    from app.catalog.tables import Category

    level, path = 1, "/"
    if parent is not None:
        row = await Category.select(Category.level, Category.path).where(Category.id == parent).first()
        level, path = row["level"] + 1, row["path"]
    name = name or f"类目{uuid.uuid4().hex[:4]}"
    cid = (
        await Category.insert(
            Category(parent=parent, name_zh=name, name_en=name, level=level, commission_bp=commission_bp)
        ).returning(Category.id)
    )[0]["id"]
    await Category.update({Category.path: f"{path}{cid}/"}).where(Category.id == cid)
    return int(cid)


async def make_product(
    *,
    shop: TestShop | None = None,
    category: int | None = None,
    title: str = "测试商品",
    status: str = "active",
    specs: list | None = None,
    skus: list[dict] | None = None,
    sales: int = 0,
) -> int:  # type: ignore[type-arg]
    """One product with SKUs, e.g. skus=[{"spec_values": {"颜色": "红"}, "price_fen": 1990, "stock": 5}]."""
    import json

    from app.catalog.services import refresh_product_summaries
    from app.catalog.tables import Product, Sku

    shop = shop or await make_shop()
    category = category or await make_category()
    skus = skus or [{"price_fen": 1990, "stock": 10}]
    pid = (
        await Product.insert(
            Product(
                shop=shop.id,
                category=category,
                title=title,
                status=status,
                specs=json.dumps(specs or [], ensure_ascii=False),
                sales_count=sales,
            )
        ).returning(Product.id)
    )[0]["id"]
    await Sku.insert(
        *[
            Sku(
                product=pid,
                code=f"SKU-{pid}-{i}",
                spec_values=json.dumps(s.get("spec_values", {}), ensure_ascii=False),
                price_fen=s["price_fen"],
                list_price_fen=s.get("list_price_fen"),
                stock=s.get("stock", 10),
                position=i,
            )
            for i, s in enumerate(skus)
        ]
    )
    await refresh_product_summaries(product_ids=[pid])
    return int(pid)
