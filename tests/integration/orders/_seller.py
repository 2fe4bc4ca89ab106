"""Set-up for the seller-side order tests: a shop with staff in a role and a product, a buyer, orders in any state."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import httpx

from app.core.db import fetch, fetchrow
from tests.factories import TestShop, TestUser, login, make_product, make_shop, make_user
from tests.order_factories import TestGroup, make_order_group

EN = {"Accept-Language": "en"}


@dataclass(frozen=True)
class Seller:
    shop: TestShop
    user: TestUser
    product: int  # price 19.90, stock 10


async def seller(role: str = "owner", *, stock: int = 10) -> Seller:
    if role == "owner":
        shop = await make_shop()
        user = shop.owner
    else:
        user = await make_user()
        shop = await make_shop(staff=((user, role),))
    product = await make_product(
        shop=shop,
        title="纯棉T恤",
        specs=[{"name": "颜色", "values": ["红"]}],
        skus=[{"spec_values": {"颜色": "红"}, "price_fen": 1990, "stock": stock}],
    )
    return Seller(shop, user, product)


async def signed_in_seller(client: httpx.AsyncClient, role: str = "owner", **kwargs: int) -> Seller:
    s = await seller(role, **kwargs)
    await login(client, s.user)
    return s


async def order(s: Seller, *, buyer: TestUser | None = None, qty: int = 1, **kwargs: object) -> tuple[int, TestGroup]:
    """One order of `qty` of the seller's product (status paid unless told), and its group."""
    buyer = buyer or await make_user()
    kwargs.setdefault("status", "paid")
    group = await make_order_group(buyer, [(s.product, qty)], **kwargs)  # type: ignore[arg-type]
    return group.order_ids[0], group


async def order_row(order_id: int) -> dict:  # type: ignore[type-arg]
    row = await fetchrow("SELECT * FROM shop_order WHERE id = {}", order_id)
    assert row is not None
    return row


async def events(order_id: int) -> list[str]:
    rows = await fetch('SELECT action FROM order_event WHERE "order" = {} ORDER BY id', order_id)
    return [r["action"] for r in rows]


async def stock_of(product_id: int) -> int:
    row = await fetchrow("SELECT sum(stock) AS n FROM sku WHERE product = {}", product_id)
    return int(row["n"]) if row else 0


async def paid_with_payment(group: TestGroup) -> None:
    """The payment row the sandbox would have written for this group."""
    buyer = await fetchrow("SELECT buyer FROM order_group WHERE id = {}", group.id)
    await fetch(
        'INSERT INTO payment (no, "group", buyer, provider, amount_fen, status, provider_txn_id, paid_at) '
        "VALUES ({}, {}, {}, 'sandbox', {}, 'paid', {}, now())",
        f"P{secrets.token_hex(8)}",
        group.id,
        buyer["buyer"],
        group.total_fen,
        f"SBX{secrets.token_hex(6)}",
    )
