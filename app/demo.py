"""Demo data: `python -m app.demo [--products N]`. Idempotent: running it again changes nothing. `make run`
loads it once.

Logins (printed by `make run`): one admin, two sellers (each owning a shop), one buyer. The catalog
(app.catalog.demo) adds eight more shops, each owned by shopN@jishi.test with the sellers' password, and
1,000 products; `python -m app.demo --products 100000` fills a large catalog for benchmarks instead.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
import time
from dataclasses import dataclass

from app.accounts.services import register, set_platform_roles
from app.accounts.tables import User
from app.analytics.demo import load_analytics_demo
from app.assessment.demo import load_assessment_demo
from app.catalog.demo import IMAGE_POOL, load_catalog
from app.catalog.search import refresh_terms
from app.catalog.seller_demo import load_demo as load_grants
from app.core.db import close_pool, start_pool
from app.core.principal import Actor
from app.coupons.demo import load_coupons_demo
from app.flash.demo import load_flash_demo
from app.membership.demo import load_membership_demo
from app.moderation.demo import load_demo as load_review_queue
from app.onboarding.demo import load_demo as load_onboarding
from app.operations.demo import load_operations_demo
from app.orders.demo import load_orders_demo
from app.promotions.demo import load_promotions_demo
from app.sellers.demo import load_demo as load_decoration
from app.sellers.services import create_shop
from app.sellers.shipping_demo import load_shipping_demo
from app.sellers.tables import Shop
from app.settlement.demo import load_settlement_demo

SYSTEM = Actor(user_id=None, ip=None, label="demo loader")
DEFAULT_PRODUCTS = 1000


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


async def load(*, products: int = DEFAULT_PRODUCTS, seed: int = 2026, image_pool: int = IMAGE_POOL) -> bool:
    """Users and shops, then the catalog (when it has no products yet). Returns True when anything was created.
    Tests pass few products and image_pool=0 (no pictures)."""
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
    if await load_catalog(products=products, seed=seed, image_pool=image_pool):
        await refresh_terms()  # as-you-type suggestions from the new catalog, without waiting for the worker
        created = True
    # each area's own demo rows, idempotent: category grants, shop decoration, a review queue, the seller exam
    for load_area in (
        load_grants,
        load_decoration,
        load_review_queue,
        load_onboarding,
        load_shipping_demo,
        load_coupons_demo,  # before membership: the points mall sells one of its coupons
        load_membership_demo,
        load_promotions_demo,
        load_flash_demo,
        load_orders_demo,
        load_settlement_demo,  # after orders: their sales are posted to the ledger
        load_analytics_demo,
        load_assessment_demo,
        load_operations_demo,
    ):
        await load_area()
    return created


def print_logins(port: int = 8000, stream=sys.stdout) -> None:  # type: ignore[no-untyped-def]
    print(f"\n  Demo logins (http://127.0.0.1:{port}/login):", file=stream)
    for login in LOGINS:
        extra = f"  shop: {login.shop}" if login.shop else ""
        print(f"    {login.role:<7} {login.identifier:<22} {login.password}{extra}", file=stream)
    print(file=stream, flush=True)


async def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m app.demo", description="Load the demo data (idempotent).")
    parser.add_argument("--products", type=int, default=DEFAULT_PRODUCTS, help="products to create (default 1000)")
    parser.add_argument("--seed", type=int, default=2026, help="random seed: the same seed gives the same catalog")
    parser.add_argument("--images", type=int, default=IMAGE_POOL, help="pictures to draw and share (0: none)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="[demo] %(message)s")
    logging.getLogger("app").setLevel(logging.INFO)
    started = time.perf_counter()
    await start_pool(min_size=1, max_size=4)
    try:
        created = await load(products=max(args.products, 0), seed=args.seed, image_pool=max(args.images, 0))
    finally:
        await close_pool()
    took = time.perf_counter() - started
    print(f"demo data loaded in {took:.1f}s" if created else "demo data already present")


if __name__ == "__main__":
    asyncio.run(main())
