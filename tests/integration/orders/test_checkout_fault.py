"""Fault: a process placing orders under load is killed with SIGKILL. Whatever it was doing, every order group
left behind is whole (orders, items, stock taken) and every other checkout left no trace (stock intact)."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

from app.core.db import fetch, fetchrow
from app.orders import services
from tests.factories import make_product, make_shop, make_user
from tests.order_factories import first_sku, make_address

ROOT = Path(__file__).resolve().parents[3]


async def test_sigkill_in_the_middle_of_checkouts_leaves_whole_groups_or_nothing() -> None:
    shops = [await make_shop(), await make_shop()]
    products = [await make_product(shop=shops[i % 2], skus=[{"price_fen": 100 + i, "stock": 10_000}]) for i in range(4)]
    skus = [await first_sku(p) for p in products]
    buyers = [await make_user() for _ in range(12)]
    addresses = [await make_address(b) for b in buyers]
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as spec:
        json.dump({"skus": skus, "buyers": [b.id for b in buyers], "addresses": addresses}, spec)
    child = subprocess.Popen(  # noqa: ASYNC220 (starting it is instant; the test then waits asynchronously)
        [sys.executable, "-m", "tests.integration.orders._checkout_load", spec.name],
        cwd=ROOT,
        env=os.environ.copy(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        for _ in range(300):  # until orders are flowing (at most ~30 s)
            await asyncio.sleep(0.1)
            if (await fetchrow("SELECT count(*) AS n FROM order_group"))["n"] >= 30 or child.poll() is not None:
                break
        assert child.poll() is None, child.stderr.read().decode()[-2000:] if child.stderr else ""
        await asyncio.sleep(0.3)  # killed while checkouts are in flight
        os.kill(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
        os.unlink(spec.name)
    await asyncio.sleep(0.2)  # the server notices the closed connections and rolls their transactions back

    groups = (await fetchrow("SELECT count(*) AS n FROM order_group"))["n"]
    assert groups >= 30
    for sku in skus:  # stock taken == what the surviving orders hold, to the unit
        row = await fetchrow(
            "SELECT s.stock, coalesce((SELECT sum(quantity) FROM order_item WHERE sku = s.id), 0) AS sold FROM sku s "
            "WHERE s.id = {}",
            sku,
        )
        assert row["stock"] + row["sold"] == 10_000
    broken = await fetch(
        'SELECT g.id FROM order_group g LEFT JOIN shop_order o ON o."group" = g.id '
        "GROUP BY g.id, g.total_fen HAVING count(o.id) = 0 OR g.total_fen <> sum(o.total_fen)"
    )
    assert broken == []
    bad_orders = await fetch(
        'SELECT o.id FROM shop_order o LEFT JOIN order_item i ON i."order" = o.id '
        "GROUP BY o.id, o.goods_fen HAVING count(i.id) = 0 OR o.goods_fen <> sum(i.gross_fen)"
    )
    assert bad_orders == []
    # "after restart": a new process checks out at once (no lock was left behind)
    placed = await asyncio.wait_for(
        services.place_order(
            buyer_id=buyers[0].id,
            checkout_token=uuid.uuid4(),
            lines=[services.CheckoutLine(skus[0], 1)],
            address_id=addresses[0],
        ),
        timeout=10,
    )
    assert placed.created
