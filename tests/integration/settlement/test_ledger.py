"""Payment, refunds and settlement as ledger entries: the numbers a finance person would check."""

from __future__ import annotations

import pytest

from app.core.db import engine, fetch, fetchrow
from app.settlement.services import get_statement, settle_due
from tests.integration.settlement._helpers import (
    assert_ledger_balanced,
    balances,
    complete,
    paid_order,
    refund,
)


async def test_payment_freezes_commission_and_posts_the_sale():
    # item 1: 100.00 with 10.00 off by the platform and 5.00 by the shop; item 2: 33.33; postage 8.00; rate 6.35 %
    o = await paid_order(prices=(10000, 3333), rate_bp=635, platform_off=(1000,), shop_off=(500,), shipping_fen=800)
    rows = await fetch(
        "SELECT base_fen, rate_bp, commission_fen, platform_discount_fen, shop_discount_fen "
        'FROM settlement_commission WHERE "order" = {} ORDER BY order_item',
        o["order_id"],
    )
    assert [dict(r) for r in rows] == [
        # 8500 x 6.35 % = 539.75 -> 540 (half up); 3333 x 6.35 % = 211.6455 -> 212
        {
            "base_fen": 8500,
            "rate_bp": 635,
            "commission_fen": 540,
            "platform_discount_fen": 1000,
            "shop_discount_fen": 500,
        },
        {"base_fen": 3333, "rate_bp": 635, "commission_fen": 212, "platform_discount_fen": 0, "shop_discount_fen": 0},
    ]
    assert o["total"] == 8500 + 3333 + 800
    b = await balances(o["shop"])
    # the shop is owed what the buyer paid + the platform's discount - commission
    assert b["shop_pending"] == 12633 + 1000 - 752
    assert b["shop_available"] == 0
    kinds = await fetch("SELECT kind, ref FROM ledger_txn ORDER BY id")
    assert [k["kind"] for k in kinds] == ["sale", "subsidy", "commission"]
    await assert_ledger_balanced()


async def test_commission_rate_is_frozen_at_payment():
    o = await paid_order(prices=(10000,), rate_bp=500)
    await fetch("UPDATE category SET commission_bp = 2000")
    await refund(o["order_id"], 5000, key="ruling:1")
    row = await fetchrow('SELECT rate_bp, commission_fen FROM settlement_commission WHERE "order" = {}', o["order_id"])
    assert dict(row) == {"rate_bp": 500, "commission_fen": 500}
    share = await fetchrow("SELECT commission_fen FROM settlement_refund_share WHERE refund = 1")
    assert dict(share) == {"commission_fen": 250}


async def test_partial_refunds_add_up_to_the_frozen_commission_and_subsidy():
    # 33.33 paid after 3.33 platform discount: commission 10 % = 3.33 -> 333 fen; subsidy 333
    o = await paid_order(prices=(3666,), rate_bp=1000, platform_off=(333,))
    start = (await balances(o["shop"]))["shop_pending"]
    assert start == 3333 + 333 - 333
    for i, part in enumerate((1111, 1111, 1111)):
        await refund(o["order_id"], part, key=f"ruling:{i}")
    shares = await fetch("SELECT commission_fen, subsidy_fen FROM settlement_refund_share ORDER BY refund")
    assert sum(s["commission_fen"] for s in shares) == 333
    assert sum(s["subsidy_fen"] for s in shares) == 333
    assert (await balances(o["shop"]))["shop_pending"] == 0
    platform = await fetch("SELECT account, sum(amount_fen) AS n FROM ledger_entry WHERE shop IS NULL GROUP BY account")
    assert {r["account"]: int(r["n"]) for r in platform} == {
        "gateway_clearing": 0,
        "commission_revenue": 0,
        "subsidy_expense": 0,
    }
    await assert_ledger_balanced()


async def test_cancelling_a_paid_order_refunds_everything_incl_postage():
    o = await paid_order(prices=(5000, 2000), rate_bp=500, platform_off=(0, 500), shipping_fen=1000)
    await refund(o["order_id"], o["total"], key=f"cancel:{o['order_id']}")
    assert await balances(o["shop"]) == {
        "shop_pending": 0,
        "shop_available": 0,
        "shop_payout": 0,
        "shop_deposit": 0,
    }
    ship = await fetchrow("SELECT amount_fen FROM settlement_refund_share WHERE order_item IS NULL")
    assert dict(ship) == {"amount_fen": 1000}
    await assert_ledger_balanced()


async def test_settlement_moves_pending_to_available_once_into_a_statement():
    o = await paid_order(prices=(10000,), rate_bp=500, platform_off=(1000,), shipping_fen=500)
    await refund(o["order_id"], 2000, key="ruling:a")  # before settlement: from pending
    await complete(o["order_id"], days_ago=8)  # settle_days = 7
    assert await settle_due() == 1
    assert await settle_due() == 0  # run twice: nothing more
    b = await balances(o["shop"])
    # paid 9000 + 500 postage, subsidy 1000, commission 450; refund 2000 gives back 2000/9000 of both: 100 and 222
    expected = 9500 + 1000 - 450 - 2000 + 100 - 222
    assert b == {"shop_pending": 0, "shop_available": expected, "shop_payout": 0, "shop_deposit": 0}
    statement = await fetchrow("SELECT id FROM settlement_statement")
    view = await get_statement(statement_id=statement["id"], shop_id=o["shop"].id)
    t = view.totals
    assert (t["gross_fen"], t["subsidy_fen"], t["commission_fen"], t["refund_fen"]) == (
        9500,
        1000 - 222,
        -450 + 100,
        -2000,
    )
    assert t["net_fen"] == expected
    await assert_ledger_balanced()


async def test_orders_not_yet_due_are_not_settled():
    o = await paid_order()
    await complete(o["order_id"], days_ago=6)
    assert await settle_due() == 0
    assert (await balances(o["shop"]))["shop_available"] == 0


async def test_refund_after_settlement_is_a_clawback_covered_by_the_deposit():
    from app.settlement.ledger import Leg, post

    o = await paid_order(prices=(20000,), rate_bp=1000)
    async with engine().transaction():
        await post(
            kind="deposit",
            ref="deposit:test",
            shop=o["shop"].id,
            legs=[Leg("gateway_clearing", -50000), Leg("shop_deposit", 50000, o["shop"].id)],
        )
    await complete(o["order_id"])
    await settle_due()
    assert (await balances(o["shop"]))["shop_available"] == 18000
    # the shop withdraws all of it, then the buyer wins a full refund
    from app.core.principal import Actor
    from app.settlement.services import request_payout

    await request_payout(shop_id=o["shop"].id, amount_fen=18000, actor=Actor(user_id=None, label="t"))
    await refund(o["order_id"], 20000, key="ruling:after")
    b = await balances(o["shop"])
    # clawback 20000 - commission back 2000 = 18000 more than the 0 available: taken from the deposit
    assert b["shop_available"] == 0
    assert b["shop_payout"] == 18000
    assert b["shop_deposit"] == 50000 - 18000
    kinds = [r["kind"] for r in await fetch("SELECT kind FROM ledger_txn ORDER BY id")]
    assert "clawback" in kinds and kinds[-1] == "deposit_deduct"
    note = await fetchrow("SELECT kind, \"user\" FROM notification WHERE kind = 'deposit_deducted'")
    assert dict(note) == {"kind": "deposit_deducted", "user": o["shop"].owner.id}
    await assert_ledger_balanced()


async def test_an_unbalanced_transaction_is_refused_by_the_database_at_commit():
    import asyncpg

    conn = await engine().get_new_connection()
    try:
        tx = conn.transaction()
        await tx.start()
        txn = await conn.fetchval("INSERT INTO ledger_txn (kind, ref) VALUES ('sale', 'bad:1') RETURNING id")
        await conn.execute(
            "INSERT INTO ledger_entry (txn, account, amount_fen) VALUES ($1, 'gateway_clearing', 5)", txn
        )
        with pytest.raises(asyncpg.exceptions.CheckViolationError, match="does not balance"):
            await tx.commit()
    finally:
        await conn.close()
    assert await fetchrow("SELECT id FROM ledger_txn WHERE ref = 'bad:1'") is None


async def test_entries_are_append_only():
    import asyncpg

    o = await paid_order()
    with pytest.raises(asyncpg.exceptions.CheckViolationError):
        await fetch('UPDATE ledger_entry SET amount_fen = amount_fen + 1 WHERE "order" = {}', o["order_id"])
    with pytest.raises(asyncpg.exceptions.CheckViolationError):
        await fetch("DELETE FROM ledger_txn")


async def test_two_sweeps_at_once_settle_each_order_once():
    import asyncio

    orders = [await paid_order(prices=(10000 + i,)) for i in range(3)]
    for o in orders:
        await complete(o["order_id"])
    counts = await asyncio.gather(settle_due(), settle_due(), settle_due())
    assert sum(counts) == 3
    settles = await fetch('SELECT "order", count(*) AS n FROM ledger_txn WHERE kind = \'settle\' GROUP BY "order"')
    assert sorted(int(r["n"]) for r in settles) == [1, 1, 1]
    assert len(await fetch("SELECT id FROM settlement_statement")) == 3  # one shop each, one statement per day


async def test_a_clawback_appears_on_the_days_statement():
    o = await paid_order(prices=(20000,), rate_bp=1000)
    await complete(o["order_id"])
    await settle_due()
    await refund(o["order_id"], 5000, key="ruling:late")
    statement = await fetchrow("SELECT id FROM settlement_statement")
    view = await get_statement(statement_id=statement["id"], shop_id=o["shop"].id)
    kinds = [(line.kind, line.refund_fen, line.commission_fen) for line in view.lines]
    assert kinds == [("settled", 0, -2000), ("refund", -5000, 500)]
    assert view.totals["net_fen"] == (await balances(o["shop"]))["shop_available"] == 18000 - 4500


async def test_an_after_sales_refund_gives_back_its_own_items_share():
    # item 1 at 10 % of 100.00, item 2 at 10 % of 50.00 with 10.00 of platform subsidy
    o = await paid_order(prices=(10000, 5000), rate_bp=1000, platform_off=(0, 1000))
    items = await fetch('SELECT id FROM order_item WHERE "order" = {} ORDER BY id', o["order_id"])
    second = items[1]["id"]
    row = await fetchrow(
        'INSERT INTO after_sale ("order", order_item, buyer, shop, kind, reason, amount_fen, status) '
        "VALUES ({}, {}, {}, {}, 'refund_only', 'damaged', 2000, 'approved') RETURNING id",
        o["order_id"],
        second,
        o["buyer"].id,
        o["shop"].id,
    )
    await fetch(
        "INSERT INTO after_sale_item (after_sale, order_item, quantity, amount_fen, refunded_fen, restocked_qty, open) "
        "VALUES ({}, {}, 1, 2000, 0, 0, true)",
        row["id"],
        second,
    )
    await refund(o["order_id"], 2000, key=f"aftersale:{row['id']}")
    share = await fetchrow("SELECT order_item, amount_fen, commission_fen, subsidy_fen FROM settlement_refund_share")
    # item 2 paid 4000: 2000 is half of it -> half its commission (400 -> 200) and half its subsidy (1000 -> 500)
    assert dict(share) == {"order_item": second, "amount_fen": 2000, "commission_fen": 200, "subsidy_fen": 500}
    await assert_ledger_balanced()
