"""Orders for tests that are not about checkout itself: `await make_order_group(buyer, [(product_id, 2)])` writes a
group with one order per shop straight to the tables (as place_order would, stock taken), then walks every order
to `status` through the state machine, so its events and timestamps are real."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import timedelta

from app.core import clock
from app.core.db import fetch, fetchrow
from app.core.principal import Actor
from app.orders.services import load_skus, new_order_no
from app.orders.states import transition
from tests.factories import TestUser

ADDRESS = {
    "receiver": "张三",
    "mobile": "13800138000",
    "province_code": "310000",
    "province": "上海市",
    "city_code": "310100",
    "city": "上海市",
    "district_code": "310115",
    "district": "浦东新区",
    "detail": "世纪大道 100 号",
    "full": "上海市 上海市 浦东新区 世纪大道 100 号",
}
TEST_ACTOR = Actor(user_id=None, label="tests")
_PATH = {
    "pending_payment": [],
    "paid": ["paid"],
    "shipped": ["paid", "shipped"],
    "delivered": ["paid", "shipped", "delivered"],
    "completed": ["paid", "shipped", "delivered", "completed"],
    "cancelled": ["cancelled"],
}


@dataclass(frozen=True)
class TestGroup:
    __test__ = False
    id: int
    no: str
    total_fen: int
    order_ids: tuple[int, ...]  # one per shop, in the order the shops first appear


async def first_sku(product_id: int) -> int:
    row = await fetchrow("SELECT id FROM sku WHERE product = {} ORDER BY position, id LIMIT 1", product_id)
    assert row is not None
    return int(row["id"])


async def make_order_group(
    buyer: TestUser,
    items: list[tuple[int, int]],
    *,
    status: str = "pending_payment",
    delivery: str = "express",
    shipping_fen: int = 0,
    invoice: dict | None = None,  # type: ignore[type-arg]
    note: str = "",
) -> TestGroup:
    """items: (product_id, quantity) — the product's first SKU — or (-sku_id, quantity) for a given SKU."""
    sku_ids = [(-ref if ref < 0 else await first_sku(ref), qty) for ref, qty in items]
    skus = await load_skus([s for s, _ in sku_ids])
    by_shop: dict[int, list[tuple[int, int]]] = {}
    for sku_id, qty in sku_ids:
        by_shop.setdefault(skus[sku_id].shop_id, []).append((sku_id, qty))
    now = clock.now()
    deadline = now + timedelta(minutes=30)
    totals = {shop: sum(skus[s].price_fen * q for s, q in lines) + shipping_fen for shop, lines in by_shop.items()}
    group = await fetchrow(
        "INSERT INTO order_group (no, buyer, checkout_token, status, total_fen, address, pay_deadline_at, created_at) "
        "VALUES ({}, {}, {}, 'pending_payment', {}, {}::jsonb, {}, {}) RETURNING id, no",
        new_order_no(),
        buyer.id,
        uuid.uuid4(),
        sum(totals.values()),
        json.dumps(ADDRESS, ensure_ascii=False),
        deadline,
        now,
    )
    assert group is not None
    order_ids: list[int] = []
    for shop_id, lines in by_shop.items():
        goods = sum(skus[s].price_fen * q for s, q in lines)
        order = await fetchrow(
            'INSERT INTO shop_order (no, "group", shop, buyer, status, goods_fen, discount_fen, shipping_fen, '
            "total_fen, delivery, address, buyer_note, invoice, pay_deadline_at, created_at, updated_at) VALUES "
            "({}, {}, {}, {}, 'pending_payment', {}, 0, {}, {}, {}, {}::jsonb, {}, {}::jsonb, {}, {}, {}) RETURNING id",
            new_order_no(),
            group["id"],
            shop_id,
            buyer.id,
            goods,
            shipping_fen,
            goods + shipping_fen,
            delivery,
            json.dumps(ADDRESS if delivery == "express" else {}, ensure_ascii=False),
            note,
            json.dumps(invoice or {}, ensure_ascii=False),
            deadline,
            now,
            now,
        )
        assert order is not None
        order_ids.append(order["id"])
        for sku_id, qty in lines:
            sku = skus[sku_id]
            await fetch("UPDATE sku SET stock = stock - {} WHERE id = {}", qty, sku_id)
            await fetch(
                'INSERT INTO order_item ("order", sku, product, title, spec, image_key, unit_price_fen, quantity, '
                "gross_fen, paid_fen, adjustments, weight_g) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, '[]', {})",
                order["id"],
                sku_id,
                sku.product_id,
                sku.title,
                sku.spec,
                sku.image_key,
                sku.price_fen,
                qty,
                sku.price_fen * qty,
                sku.price_fen * qty,
                sku.weight_g,
            )
    for step in _PATH[status]:
        if step == "paid":
            await fetch("UPDATE order_group SET status = 'paid', paid_at = now() WHERE id = {}", group["id"])
        if step == "cancelled":
            await fetch("UPDATE order_group SET status = 'cancelled' WHERE id = {}", group["id"])
        for order_id in order_ids:
            extra: dict[str, object] = {}
            if step == "paid" and delivery == "pickup":
                extra["pickup_code"] = "12345678"
            if step == "shipped":
                extra = {"carrier": "sf", "tracking_no": f"SF{order_id:010d}"}
            await transition(order_id=order_id, to=step, action=step, actor=TEST_ACTOR, extra=extra)
    return TestGroup(group["id"], group["no"], sum(totals.values()), tuple(order_ids))


async def make_address(buyer: TestUser, *, default: bool = True) -> int:
    """A Shanghai address in the buyer's book (the default unless default=False); returns its id."""
    from app.accounts import addresses

    return await addresses.create_address(
        user_id=buyer.id,
        receiver="张三",
        mobile="13800138000",
        province="310000",
        city="310100",
        district="310115",
        detail="世纪大道 100 号",
        is_default=default,
    )


async def make_pickup_point(shop_id: int) -> int:
    """An active pickup point of the shop, added as its owner would."""
    from app.sellers import shipping

    owner = await fetchrow("SELECT \"user\" FROM shop_staff WHERE shop = {} AND role = 'owner'", shop_id)
    return await shipping.add_pickup_point(
        actor=Actor(user_id=owner["user"], label="tests"),
        shop_id=shop_id,
        name="门店自提点",
        province="310000",
        city="310100",
        district="310115",
        detail="世纪大道 200 号",
        phone="13800138001",
        hours="每天 9:00-21:00",
    )
