"""Checkout with every kind of benefit at once, through the real providers: a shop tier, a shop coupon, a platform
coupon, points and a gift. The order stores each adjustment with its source and the totals add up; the coupons,
points and gift stock are taken in the order's transaction and all come back when the unpaid group is cancelled;
two checkouts racing for one coupon make one order."""

from __future__ import annotations

import asyncio
import json
import uuid

import pytest

from app.core.db import engine, fetch, fetchrow
from app.coupons import services as coupons
from app.membership import ledger
from app.membership.demo import load_membership_demo
from app.orders import services
from app.orders.errors import CheckoutError
from app.orders.services import CheckoutLine
from tests.factories import SYSTEM, make_user
from tests.integration.coupons._helpers import make_template
from tests.integration.promotions._setup import promotion, shop_with_skus
from tests.order_factories import make_address


async def _points(user_id: int, amount: int) -> None:
    async with engine().transaction():
        await ledger.ensure_profile(user_id)
        await ledger.add_entry(user_id=user_id, delta=amount, reason="admin", ref=f"{user_id}:seed")


async def _balance(user_id: int) -> int:
    row = await fetchrow('SELECT coalesce(sum(delta), 0) AS n FROM points_entry WHERE "user" = {}', user_id)
    return int(row["n"]) if row else 0


def _adjs(row: object) -> list[dict]:  # type: ignore[type-arg]
    value = row["adjustments"]  # type: ignore[index]
    return json.loads(value) if isinstance(value, str) else list(value)


async def _coupon_status(user_coupon_id: int) -> str:
    row = await fetchrow("SELECT status FROM user_coupon WHERE id = {}", user_coupon_id)
    assert row is not None
    return str(row["status"])


async def test_everything_stacks_is_stored_with_its_source_and_comes_back_on_cancel() -> None:
    await load_membership_demo()  # 100 points = ¥1, at most 20% of the order
    shop, (a, b, gift) = await shop_with_skus([15000, 10000, 100], stock=10)
    tier = await promotion(shop, "full_reduction", t1_threshold="199", t1_off="20")
    present = await promotion(shop, "gift", skus=f"{a} 1", gift_sku=str(gift), gift_quantity="1", gift_stock="2")
    buyer = await make_user()
    address = await make_address(buyer)
    shop_coupon = await coupons.grant(
        template_id=await make_template(shop_id=shop.id, amount_fen=1000, threshold_fen=9900), user_id=buyer.id
    )
    platform_coupon = await coupons.grant(
        template_id=await make_template(amount_fen=500, threshold_fen=0), user_id=buyer.id
    )
    await _points(buyer.id, 3000)

    placed = await services.place_order(
        buyer_id=buyer.id,
        checkout_token=uuid.uuid4(),
        lines=[CheckoutLine(a, 1), CheckoutLine(b, 1)],
        address_id=address,
        points=10**9,
    )
    # 250 − 20 (满199减20) − 10 (shop coupon) − 5 (platform coupon) = 215; points at most 20% of 215 = 43 → 3000
    # points are only ¥30
    items = await fetch(
        "SELECT i.sku, i.unit_price_fen, i.gross_fen, i.paid_fen, i.adjustments, i.stock_source, o.total_fen, "
        'o.shipping_fen FROM order_item i JOIN shop_order o ON o.id = i."order" WHERE o."group" = {} ORDER BY i.id',
        placed.id,
    )
    off: dict[str, int] = {}
    for item in items:
        for adj in _adjs(item):
            off[adj["source"]] = off.get(adj["source"], 0) - adj["amount_fen"]
        assert item["gross_fen"] + sum(a["amount_fen"] for a in _adjs(item)) == item["paid_fen"]
    assert off == {
        f"promo:{tier}": 2000,
        f"coupon:{shop_coupon}": 1000,
        f"coupon:{platform_coupon}": 500,
        "points": 3000,
    }
    gift_rows = [i for i in items if i["stock_source"] == f"gift:{present}"]
    assert [(g["sku"], g["paid_fen"]) for g in gift_rows] == [(gift, 0)]
    goods = sum(int(i["paid_fen"]) for i in items)
    assert goods == 25000 - 6500
    assert placed.total_fen == goods + int(items[0]["shipping_fen"])
    assert await _coupon_status(shop_coupon) == "used" and await _coupon_status(platform_coupon) == "used"
    assert await _balance(buyer.id) == 0
    gift_left = await fetchrow("SELECT gift_stock FROM promotion WHERE id = {}", present)
    assert gift_left is not None and gift_left["gift_stock"] == 1

    order = await fetchrow('SELECT id FROM shop_order WHERE "group" = {}', placed.id)
    assert order is not None
    await services.cancel_unpaid(buyer_id=buyer.id, order_id=order["id"], actor=SYSTEM)
    assert await _coupon_status(shop_coupon) == "unused" and await _coupon_status(platform_coupon) == "unused"
    assert await _balance(buyer.id) == 3000
    gift_left = await fetchrow("SELECT gift_stock FROM promotion WHERE id = {}", present)
    assert gift_left is not None and gift_left["gift_stock"] == 2
    stock = await fetch("SELECT id, stock FROM sku WHERE id = ANY({}::int[]) ORDER BY id", [a, b, gift])
    assert [r["stock"] for r in stock] == [10, 10, 10]  # the gift came from the gift stock, not the SKU


async def test_two_checkouts_racing_for_one_coupon_make_one_order() -> None:
    shop, (a,) = await shop_with_skus([20000], stock=10)
    buyer = await make_user()
    address = await make_address(buyer)
    coupon = await coupons.grant(
        template_id=await make_template(shop_id=shop.id, amount_fen=2000, threshold_fen=10000), user_id=buyer.id
    )

    async def checkout() -> object:
        return await services.place_order(
            buyer_id=buyer.id,
            checkout_token=uuid.uuid4(),
            lines=[CheckoutLine(a, 1)],
            address_id=address,
            coupon_ids=[coupon],
        )

    results = await asyncio.gather(*(checkout() for _ in range(4)), return_exceptions=True)
    placed = [r for r in results if not isinstance(r, BaseException)]
    refused = [r for r in results if isinstance(r, BaseException)]
    # one order used the coupon; the others either were refused or went through without it (re-priced)
    used = await fetch(
        'SELECT i.adjustments FROM order_item i JOIN shop_order o ON o.id = i."order" WHERE o.buyer = {}', buyer.id
    )
    with_coupon = [u for u in used if any(a["source"] == f"coupon:{coupon}" for a in _adjs(u))]
    assert len(with_coupon) == 1
    assert all(isinstance(r, CheckoutError) for r in refused)
    assert len(placed) + len(refused) == 4
    assert await _coupon_status(coupon) == "used"


async def test_a_coupon_of_someone_else_is_ignored() -> None:
    shop, (a,) = await shop_with_skus([20000], stock=10)
    owner, buyer = await make_user(), await make_user()
    address = await make_address(buyer)
    theirs = await coupons.grant(
        template_id=await make_template(shop_id=shop.id, amount_fen=2000, threshold_fen=0), user_id=owner.id
    )
    placed = await services.place_order(
        buyer_id=buyer.id, checkout_token=uuid.uuid4(), lines=[CheckoutLine(a, 1)], address_id=address,
        coupon_ids=[theirs],
    )  # fmt: skip
    assert placed.total_fen >= 20000
    assert await _coupon_status(theirs) == "unused"


@pytest.mark.parametrize("points", [-5, 0])
async def test_no_or_negative_points_spend_nothing(points: int) -> None:
    await load_membership_demo()
    _shop, (a,) = await shop_with_skus([20000], stock=10)
    buyer = await make_user()
    address = await make_address(buyer)
    await _points(buyer.id, 1000)
    await services.place_order(
        buyer_id=buyer.id, checkout_token=uuid.uuid4(), lines=[CheckoutLine(a, 1)], address_id=address, points=points
    )
    assert await _balance(buyer.id) == 1000


async def test_shops_cancelling_paid_orders_give_back_exactly_the_points_the_group_spent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from app.orders import fulfilment
    from app.payments import services as payments
    from tests.integration.orders._seller import paid_with_payment
    from tests.order_factories import TEST_ACTOR

    monkeypatch.setattr(payments, "schedule_refunds", lambda: None)

    await load_membership_demo()
    shop_a, (a,) = await shop_with_skus([10000], stock=10)
    shop_b, (b,) = await shop_with_skus([23300], stock=10)
    buyer = await make_user()
    address = await make_address(buyer)
    await _points(buyer.id, 777)
    placed = await services.place_order(
        buyer_id=buyer.id,
        checkout_token=uuid.uuid4(),
        lines=[CheckoutLine(a, 1), CheckoutLine(b, 1)],
        address_id=address,
        points=777,
    )
    assert await _balance(buyer.id) == 0
    await paid_with_payment(placed)  # type: ignore[arg-type]
    assert await services.mark_group_paid(group_id=placed.id, amount_fen=placed.total_fen, actor=TEST_ACTOR) == "paid"
    orders = {r["shop"]: r["id"] for r in await fetch('SELECT id, shop FROM shop_order WHERE "group" = {}', placed.id)}
    await fulfilment.cancel_paid_order(actor=TEST_ACTOR, shop_id=shop_a.id, order_id=orders[shop_a.id], reason="缺货")
    first = await _balance(buyer.id)
    assert first == 777 * 10000 // 33300  # its share of the points, by what its lines were paid with
    await fulfilment.cancel_paid_order(actor=TEST_ACTOR, shop_id=shop_b.id, order_id=orders[shop_b.id], reason="缺货")
    assert await _balance(buyer.id) == 777  # together: exactly what was spent


async def test_coupons_come_back_when_orders_are_refunded_in_full(monkeypatch: pytest.MonkeyPatch) -> None:
    """The shop's coupon with its order; the platform coupon, spread over both orders, only with the last one."""
    from app.orders import fulfilment
    from app.payments import services as payments
    from tests.integration.orders._seller import paid_with_payment
    from tests.order_factories import TEST_ACTOR

    monkeypatch.setattr(payments, "schedule_refunds", lambda: None)
    shop_a, (a,) = await shop_with_skus([15000], stock=10)
    shop_b, (b,) = await shop_with_skus([12000], stock=10)
    buyer = await make_user()
    address = await make_address(buyer)
    coupon_a = await coupons.grant(
        template_id=await make_template(shop_id=shop_a.id, amount_fen=1000, threshold_fen=9900), user_id=buyer.id
    )
    platform = await coupons.grant(template_id=await make_template(amount_fen=500, threshold_fen=0), user_id=buyer.id)
    placed = await services.place_order(
        buyer_id=buyer.id,
        checkout_token=uuid.uuid4(),
        lines=[CheckoutLine(a, 1), CheckoutLine(b, 1)],
        address_id=address,
    )
    assert await _coupon_status(coupon_a) == "used" and await _coupon_status(platform) == "used"
    await paid_with_payment(placed)  # type: ignore[arg-type]
    assert await services.mark_group_paid(group_id=placed.id, amount_fen=placed.total_fen, actor=TEST_ACTOR) == "paid"
    orders = {r["shop"]: r["id"] for r in await fetch('SELECT id, shop FROM shop_order WHERE "group" = {}', placed.id)}
    await fulfilment.cancel_paid_order(actor=TEST_ACTOR, shop_id=shop_a.id, order_id=orders[shop_a.id], reason="缺货")
    assert (await _coupon_status(coupon_a), await _coupon_status(platform)) == ("unused", "used")
    await fulfilment.cancel_paid_order(actor=TEST_ACTOR, shop_id=shop_b.id, order_id=orders[shop_b.id], reason="缺货")
    assert await _coupon_status(platform) == "unused"
