"""Demo data: `python -m app.demo`. Idempotent: running it again changes nothing. `make run` loads it once.

Logins (printed by `make run`): one admin, two sellers (each owning a shop), one buyer.
"""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass

from app.accounts.services import register, set_platform_roles
from app.accounts.tables import User
from app.core.db import close_pool, start_pool
from app.core.principal import Actor
from app.sellers.services import create_shop
from app.sellers.tables import Shop

SYSTEM = Actor(user_id=None, ip=None, label="demo loader")


@dataclass(frozen=True)
class DemoLogin:
    role: str
    identifier: str
    password: str
    shop: str = ""


LOGINS = (
    DemoLogin("admin", "admin@jishi.test", "jishi-admin-2026"),
    DemoLogin("seller", "seller1@jishi.test", "jishi-seller-2026", "小米优选旗舰店"),
    DemoLogin("seller", "13800138002", "jishi-seller-2026", "江南茶社"),
    DemoLogin("buyer", "buyer@jishi.test", "jishi-buyer-2026"),
)
NAMES = {
    "admin@jishi.test": "平台管理员",
    "seller1@jishi.test": "王店长",
    "13800138002": "李掌柜",
    "buyer@jishi.test": "小张",
}


async def _user_id(identifier: str) -> int | None:
    column = User.email if "@" in identifier else User.phone
    row = await User.select(User.id).where(column == identifier).first()
    return row["id"] if row else None


async def load() -> bool:
    """Returns True when anything was created."""
    created = False
    for login in LOGINS:
        uid = await _user_id(login.identifier)
        if uid is None:
            uid = await register(
                identifier=login.identifier,
                password=login.password,
                password_confirm=login.password,
                display_name=NAMES[login.identifier],
            )
            created = True
        if login.role == "admin":
            await set_platform_roles(actor=SYSTEM, user_id=uid, roles=["admin"])
        if login.shop and not await Shop.exists().where(Shop.name == login.shop):
            await create_shop(
                actor=SYSTEM,
                name=login.shop,
                owner_id=uid,
                shop_type="flagship" if "旗舰" in login.shop else "specialty",
            )
            created = True
    return created


def print_logins(port: int = 8000, stream=sys.stdout) -> None:  # type: ignore[no-untyped-def]
    print(f"\n  Demo logins (http://127.0.0.1:{port}/login):", file=stream)
    for login in LOGINS:
        extra = f"  shop: {login.shop}" if login.shop else ""
        print(f"    {login.role:<7} {login.identifier:<22} {login.password}{extra}", file=stream)
    print(file=stream, flush=True)


async def main() -> None:
    await start_pool(min_size=1, max_size=4)
    try:
        created = await load()
    finally:
        await close_pool()
    print("demo data loaded" if created else "demo data already present")


if __name__ == "__main__":
    asyncio.run(main())
