"""Flash stock: exact under a burst of concurrent buyers, the per-user limit held, approval reserving SKU stock,
the end-of-session sweep returning what is left once, and releases after a cancellation."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from app.core.db import engine, fetch, fetchrow
from app.core.errors import DomainError
from app.flash import checkout, rules, services
from app.flash.services import FlashError
from tests.integration.flash._factories import ADMIN, bulk_buyers, item_row, make_flash_item, move_session


class Refused(Exception):
    pass


async def _take(buyer: int, item: int, quantity: int = 1) -> str:
    """One checkout's share of the work: take in a transaction that rolls back when refused (as place_order does)."""
    try:
        async with engine().transaction():
            refusal = await checkout.take_flash_stock(buyer_id=buyer, flash_item_id=item, quantity=quantity)
            if refusal:
                raise Refused(refusal)
    except Refused as exc:
        return str(exc)
    return "ok"


async def test_a_thousand_concurrent_buyers_on_flash_stock_100_take_exactly_100_and_none_beyond_the_limit() -> None:
    flash = await make_flash_item(sku_stock=500, flash_stock=100, limit=1)
    buyers = await bulk_buyers(1000)
    attempts = [*buyers, *buyers[::10]]  # 100 of them try twice
    results = await asyncio.gather(*[_take(b, flash.item_id) for b in attempts])
    counts = Counter(results)
    assert counts["ok"] == 100
    assert set(counts) <= {"ok", rules.SOLD_OUT, rules.OVER_LIMIT}
    row = await item_row(flash.item_id)
    assert (row["flash_stock"], row["sold"]) == (0, 100)
    assert row["sku_stock"] == 400  # the SKU lost only what approval reserved
    held = await fetch("SELECT buyer, quantity FROM flash_purchase WHERE item = {} AND quantity > 0", flash.item_id)
    assert len(held) == 100 and max(h["quantity"] for h in held) == 1


async def test_one_buyer_racing_themself_gets_no_more_than_the_limit() -> None:
    flash = await make_flash_item(flash_stock=50, limit=2)
    [buyer] = await bulk_buyers(1)
    results = await asyncio.gather(*[_take(buyer, flash.item_id) for _ in range(10)])
    assert results.count("ok") == 2 and results.count(rules.OVER_LIMIT) == 8
    assert (await item_row(flash.item_id))["sold"] == 2
    assert await _take(buyer, flash.item_id, quantity=3) == rules.OVER_LIMIT


async def test_take_refuses_before_the_start_after_the_end_and_more_than_is_left() -> None:
    flash = await make_flash_item(flash_stock=3, limit=5, starts_in=60)
    [buyer] = await bulk_buyers(1)
    assert await _take(buyer, flash.item_id) == rules.NOT_STARTED
    await move_session(flash.session_id, starts_in=-60)
    assert await _take(buyer, flash.item_id, quantity=4) == rules.SOLD_OUT
    assert await _take(buyer, flash.item_id, quantity=3) == "ok"
    await move_session(flash.session_id, starts_in=-7200, lasts=3600)
    assert await _take(buyer, flash.item_id) == rules.ENDED_MSG
    purchase = await fetchrow("SELECT quantity FROM flash_purchase WHERE item = {}", flash.item_id)
    assert purchase["quantity"] == 3


async def test_approval_moves_the_flash_stock_out_of_the_sku_and_refuses_when_the_sku_lacks_it() -> None:
    flash = await make_flash_item(sku_stock=50, flash_stock=20, approve=False, starts_in=3600)
    assert (await item_row(flash.item_id))["sku_stock"] == 50
    await services.approve_item(actor=ADMIN, item_id=flash.item_id)
    row = await item_row(flash.item_id)
    assert (row["status"], row["sku_stock"], row["stock_total"], row["flash_stock"]) == ("approved", 30, 30, 20)
    with pytest.raises(FlashError):  # decided already: nothing moves twice
        await services.approve_item(actor=ADMIN, item_id=flash.item_id)
    assert (await item_row(flash.item_id))["sku_stock"] == 30

    short = await make_flash_item(sku_stock=50, flash_stock=40, approve=False, starts_in=3600)
    await fetch("UPDATE sku SET stock = 10 WHERE id = {}", short.sku_id)  # sold meanwhile
    with pytest.raises(FlashError) as refused:
        await services.approve_item(actor=ADMIN, item_id=short.item_id)
    assert refused.value.params == {"left": 10, "want": 40}
    row = await item_row(short.item_id)
    assert (row["status"], row["sku_stock"]) == ("nominated", 10)
    audit = await fetch("SELECT action FROM audit_log WHERE target_type = 'flash_item' ORDER BY id")
    assert [a["action"] for a in audit].count("flash.item_approve") == 1


async def test_the_end_of_session_sweep_returns_unsold_stock_once_even_with_several_workers() -> None:
    flash = await make_flash_item(sku_stock=100, flash_stock=20, limit=5)
    buyers = await bulk_buyers(1)
    assert await _take(buyers[0], flash.item_id, quantity=5) == "ok"
    assert await services.return_unsold_stock() == 0  # still running: nothing goes back
    await move_session(flash.session_id, starts_in=-7200, lasts=3600)
    done = await asyncio.gather(*[services.return_unsold_stock() for _ in range(4)])
    assert sum(done) == 1
    row = await item_row(flash.item_id)
    assert (row["flash_stock"], row["sold"], row["returned_qty"], row["returned"]) == (0, 5, 15, True)
    assert (row["sku_stock"], row["stock_total"]) == (95, 95)
    assert await services.return_unsold_stock() == 0
    assert (await item_row(flash.item_id))["sku_stock"] == 95


async def test_release_gives_the_stock_and_the_count_back_or_to_the_sku_once_the_session_is_over() -> None:
    flash = await make_flash_item(sku_stock=100, flash_stock=10, limit=2)
    a, b = await bulk_buyers(2)
    assert await _take(a, flash.item_id, 2) == "ok" and await _take(b, flash.item_id, 1) == "ok"
    async with engine().transaction():
        await checkout.release_flash_stock(buyer_id=a, flash_item_id=flash.item_id, quantity=2)
    row = await item_row(flash.item_id)
    assert (row["flash_stock"], row["sold"], row["sku_stock"]) == (9, 1, 90)
    assert await _take(a, flash.item_id, 2) == "ok"  # the buyer's count came back too
    await move_session(flash.session_id, starts_in=-7200, lasts=3600)
    await services.return_unsold_stock()
    assert (await item_row(flash.item_id))["sku_stock"] == 97  # 7 unsold went back
    async with engine().transaction():
        await checkout.release_flash_stock(buyer_id=b, flash_item_id=flash.item_id, quantity=1)
    row = await item_row(flash.item_id)
    assert (row["flash_stock"], row["sold"], row["returned_qty"], row["sku_stock"], row["stock_total"]) == (
        0,
        2,
        8,
        98,
        98,
    )


async def test_cancelling_a_session_returns_its_reserved_stock_and_stops_sales() -> None:
    flash = await make_flash_item(sku_stock=60, flash_stock=25)
    [buyer] = await bulk_buyers(1)
    assert (await item_row(flash.item_id))["sku_stock"] == 35
    assert await services.cancel_session(actor=ADMIN, session_id=flash.session_id) == 1
    row = await item_row(flash.item_id)
    assert (row["sku_stock"], row["returned"]) == (60, True)
    assert await _take(buyer, flash.item_id) == rules.NOT_AVAILABLE
    with pytest.raises(DomainError):
        await services.cancel_session(actor=ADMIN, session_id=flash.session_id)
