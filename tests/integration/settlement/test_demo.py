"""The settlement demo: missing sales posted, one statement for 小米优选旗舰店, a deposit paid; twice = once."""

from __future__ import annotations

from app.core.db import fetch, fetchrow
from app.settlement.demo import SHOP, load_settlement_demo
from tests.factories import make_product, make_shop, make_user
from tests.integration.settlement._helpers import assert_ledger_balanced
from tests.order_factories import make_address, make_order_group


async def test_demo_posts_missing_sales_and_leaves_one_statement():
    buyer = await make_user(email="buyer@jishi.test")
    await make_address(buyer)
    shop = await make_shop(name=SHOP)
    product = await make_product(shop=shop, skus=[{"price_fen": 5900, "stock": 50}])
    old = await make_order_group(buyer, [(product, 1)], status="paid")  # paid "before the ledger existed"
    await fetch("DELETE FROM notification")
    await load_settlement_demo()
    await load_settlement_demo()
    assert await fetchrow("SELECT 1 AS x FROM ledger_txn WHERE ref = {}", f"sale:order:{old.order_ids[0]}")
    statements = await fetch("SELECT id FROM settlement_statement WHERE shop = {}", shop.id)
    assert len(statements) == 1
    deposit = await fetchrow(
        "SELECT sum(amount_fen) AS n FROM ledger_entry WHERE shop = {} AND account = 'shop_deposit'", shop.id
    )
    assert int(deposit["n"]) == 100000
    available = await fetchrow(
        "SELECT sum(amount_fen) AS n FROM ledger_entry WHERE shop = {} AND account = 'shop_available'", shop.id
    )
    assert int(available["n"]) > 0
    await assert_ledger_balanced()
