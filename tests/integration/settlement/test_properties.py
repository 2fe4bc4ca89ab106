"""Property test against PostgreSQL: random sequences of sales (with platform and shop discounts), partial refunds,
settlements and payouts. After every step: each transaction sums to zero, the whole ledger sums to zero, no
order's pending share and no available balance is below zero, commission and subsidy given back never exceed what
was frozen."""

from __future__ import annotations

from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from app.core.db import fetch, fetchrow
from app.core.principal import Actor
from app.settlement.errors import PayoutError
from app.settlement.services import request_payout, settle_due
from tests.factories import make_shop, make_user
from tests.integration.settlement._helpers import assert_ledger_balanced, balances, complete, paid_order, refund

SYSTEM = Actor(user_id=None, label="tests")

sale = st.tuples(
    st.just("sale"),
    st.integers(min_value=1, max_value=200000),  # price
    st.integers(min_value=0, max_value=100),  # platform discount, % of the price
    st.integers(min_value=0, max_value=50),  # shop discount, % of the price
    st.integers(min_value=0, max_value=2000),  # rate bp
    st.integers(min_value=0, max_value=1500),  # shipping
)
refund_op = st.tuples(st.just("refund"), st.integers(min_value=0, max_value=9), st.integers(min_value=1, max_value=100))
settle_op = st.tuples(st.just("settle"), st.integers(min_value=0, max_value=9))
payout_op = st.tuples(st.just("payout"), st.integers(min_value=1, max_value=100))
ops = st.lists(st.one_of(sale, refund_op, settle_op, payout_op), min_size=1, max_size=10)


async def _invariants(shop_id: int) -> None:
    await assert_ledger_balanced()
    b = await balances(type("S", (), {"id": shop_id})())  # type: ignore[arg-type]
    assert b["shop_available"] >= 0 or b["shop_deposit"] < 0
    assert b["shop_pending"] >= 0 and b["shop_payout"] >= 0
    negative = await fetch(
        "SELECT \"order\", sum(amount_fen) AS n FROM ledger_entry WHERE shop = {} AND account = 'shop_pending' "
        'GROUP BY "order" HAVING sum(amount_fen) < 0',
        shop_id,
    )
    assert negative == []
    over = await fetch(
        "SELECT c.order_item FROM settlement_commission c JOIN (SELECT order_item, sum(commission_fen) AS c, "
        "sum(subsidy_fen) AS s, sum(amount_fen) AS a FROM settlement_refund_share GROUP BY order_item) r "
        "ON r.order_item = c.order_item WHERE r.c > c.commission_fen OR r.s > c.platform_discount_fen "
        "OR r.a > c.base_fen"
    )
    assert over == []


@settings(
    max_examples=10,
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking: each example costs real commits
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(steps=ops)
@example(
    steps=[
        ("sale", 1, 100, 0, 500, 0),
        ("sale", 30000, 10, 5, 635, 800),
        ("refund", 1, 33),
        ("settle", 1),
        ("payout", 100),
        ("refund", 1, 100),
        ("refund", 0, 100),
    ]
)
async def test_random_sequences_keep_the_ledger_balanced(steps):
    shop = await make_shop()
    buyer = await make_user()
    orders: list[dict] = []  # type: ignore[type-arg]
    refunds = 0
    for step in steps:
        if step[0] == "sale":
            _, price, plat_pct, shop_pct, rate, shipping = step
            plat = price * plat_pct // 100
            shop_off = min(price - plat, price * shop_pct // 100)
            orders.append(
                await paid_order(
                    shop=shop,
                    buyer=buyer,
                    prices=(price,),
                    rate_bp=rate,
                    platform_off=(plat,),
                    shop_off=(shop_off,),
                    shipping_fen=shipping,
                )
            )
        elif step[0] == "refund" and orders:
            o = orders[step[1] % len(orders)]
            done = await fetchrow(
                'SELECT coalesce(sum(amount_fen), 0) AS n FROM refund WHERE "order" = {}', o["order_id"]
            )
            left = o["total"] - int(done["n"])
            if left > 0:
                refunds += 1
                await refund(o["order_id"], max(1, left * step[2] // 100), key=f"ruling:{o['order_id']}:{refunds}")
        elif step[0] == "settle" and orders:
            o = orders[step[1] % len(orders)]
            status = await fetchrow("SELECT status FROM shop_order WHERE id = {}", o["order_id"])
            if status["status"] == "paid":
                await complete(o["order_id"])
            await settle_due()
        elif step[0] == "payout":
            available = (await balances(shop))["shop_available"]
            amount = available * step[1] // 100
            try:
                await request_payout(shop_id=shop.id, amount_fen=amount, actor=SYSTEM)
            except PayoutError:
                assert amount < 10000 or amount > available
        await _invariants(shop.id)
