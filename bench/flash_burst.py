"""Flash-sale burst (issue 7), run by bench/run.py (`BENCH_ONLY=flash make bench`) against the production server it
started on 127.0.0.1:

- one flash item with flash stock 100 and a limit of 1 per buyer, in a session running now;
- 500 signed-in buyers make 2,000 attempts (4 each, shuffled) at POST /flash/items/{id}/buy as htmx requests,
  at most BURST_CONCURRENCY in flight at once;
- meanwhile, in another process (so the burst's client does not slow the measurement), 8 anonymous visitors read
  product pages at a steady 160 requests/s: first for a few seconds before the burst (the baseline), then during
  it. Paced rather than back to back, so the probe measures what a visitor waits without adding a load test of
  its own on a machine the server shares with the load generator.

Reports attempts, orders (order items whose stock came from the flash item), oversold (units beyond the flash
stock, plus any buyer beyond the limit and any negative stock: must be 0), attempts/s, p50/p99 of the buy endpoint,
and the product page's p99 during the burst (and before it). The buyers are the checkout benchmark's
(`bench<i>@jishi.test`, with default addresses; bench/checkout.py prepares them)."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import random
import sys
import time
import uuid
from typing import Any

from bench.checkout import PASSWORD, _clients, _pct, email  # noqa: F401 (PASSWORD/email: the same buyers)
from bench.checkout import prepare as prepare_buyers

BUYERS = 500
ATTEMPTS = 2_000
FLASH_STOCK = 100
LIMIT = 1
BURST_CONCURRENCY = int(os.environ.get("BENCH_FLASH_CONCURRENCY", "50"))  # as wrk -c50 in the page benches
PROBE_CONNECTIONS = 8
PROBE_INTERVAL_S = 0.05  # each visitor asks every 50 ms: 160 product pages/s in all, whatever the server does
BASELINE_S = 5.0
SESSION_TITLE = "压测秒杀场"


# ------------------------------------------------------------------ data (run inside the bench database)
async def _prepare() -> dict[str, Any]:
    from datetime import timedelta

    from app.core import clock
    from app.core.db import fetch, fetchrow, start_pool
    from app.core.principal import Actor
    from app.flash import services

    await start_pool(min_size=1, max_size=4)
    system = Actor(user_id=None, label="bench")
    # the previous run's session and its orders go (the checkout benchmark's prepare deleted bench buyers' orders)
    await fetch("DELETE FROM flash_session WHERE title = {}", SESSION_TITLE)
    shop = await fetchrow("SELECT id FROM shop WHERE name = '集市压测店'")
    owner = await fetchrow("SELECT \"user\" AS id FROM shop_staff WHERE shop = {} AND role = 'owner'", shop["id"])
    product = await fetchrow("SELECT id FROM product WHERE shop = {} AND title = '压测秒杀商品'", shop["id"])
    if product is None:
        category = await fetchrow("SELECT id FROM category WHERE level = 3 ORDER BY id LIMIT 1")
        product = await fetchrow(
            "INSERT INTO product (shop, category, title, status, specs, price_min_fen, price_max_fen, stock_total, "
            "sku_count, created_at, updated_at) VALUES ({}, {}, '压测秒杀商品', 'active', '[]'::jsonb, 9900, 9900, "
            "0, 1, now(), now()) RETURNING id",
            shop["id"],
            category["id"],
        )
        await fetch(
            "INSERT INTO sku (product, code, spec_values, price_fen, stock, weight_g, position) "
            "VALUES ({}, 'BENCH-FLASH', {}::jsonb, 9900, 0, 200, 0)",
            product["id"],
            "{}",
        )
    sku = await fetchrow("SELECT id FROM sku WHERE product = {} ORDER BY id LIMIT 1", product["id"])
    await fetch("UPDATE sku SET stock = 1000 WHERE id = {}", sku["id"])
    now = clock.now()
    session = await services.create_session(
        actor=system, title=SESSION_TITLE, starts_at=now + timedelta(hours=1), ends_at=now + timedelta(hours=2)
    )
    item = await services.nominate(
        actor=Actor(user_id=owner["id"], label="bench"),
        shop_id=shop["id"],
        session_id=session,
        sku_id=sku["id"],
        flash_price_fen=990,
        flash_stock=FLASH_STOCK,
        per_user_limit=LIMIT,
    )
    await services.approve_item(actor=system, item_id=item)
    await fetch(
        "UPDATE flash_session SET starts_at = {}, ends_at = {} WHERE id = {}",
        now - timedelta(minutes=1),
        now + timedelta(hours=1),
        session,
    )
    # products written straight to the table have no search vector; bench/catalog.py would take the catalog for
    # an unfinished generation and build it again
    bare = await fetch("SELECT id FROM product WHERE shop = {} AND search_vector IS NULL", shop["id"])
    if bare:
        from app.catalog.search import reindex_products

        await reindex_products(product_ids=[r["id"] for r in bare])
    products = await fetch(
        "SELECT p.id FROM product p JOIN shop s ON s.id = p.shop WHERE p.status = 'active' AND s.status = 'active' "
        "ORDER BY p.sales_count DESC, p.id LIMIT 50"
    )
    return {"item": item, "product": product["id"], "products": [r["id"] for r in products]}


def prepare(db_url: str) -> dict[str, Any]:
    import json
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "bench.flash_burst", "prepare"],
        env={**os.environ, "DATABASE_URL": db_url},
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        sys.exit(f"[bench] preparing the flash sale failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ product pages, in their own process
async def _probe_loop(base: str, paths: list[str], stop: Any, marks: Any) -> tuple[list[float], list[float]]:
    import httpx

    before: list[float] = []
    during: list[float] = []
    async with httpx.AsyncClient(base_url=base, timeout=30, headers={"Accept-Encoding": "br, gzip"}) as client:

        async def visitor(offset: int) -> None:
            n = offset
            next_at = time.perf_counter() + offset * PROBE_INTERVAL_S / PROBE_CONNECTIONS
            while not stop.is_set():
                path = paths[n % len(paths)]
                n += 1
                await asyncio.sleep(max(0.0, next_at - time.perf_counter()))  # paced: a steady stream of visitors
                next_at = max(next_at + PROBE_INTERVAL_S, time.perf_counter())
                started = time.perf_counter()
                response = await client.get(path)
                elapsed = (time.perf_counter() - started) * 1000
                if response.status_code != 200:
                    raise SystemExit(f"[bench] GET {path} answered {response.status_code}")
                (during if marks.is_set() else before).append(elapsed)

        await asyncio.gather(*[visitor(i * 7) for i in range(PROBE_CONNECTIONS)])
    return before, during


def _probe(base: str, paths: list[str], stop: Any, marks: Any, out: Any) -> None:
    out.put(asyncio.run(_probe_loop(base, paths, stop, marks)))


# ------------------------------------------------------------------ the burst
async def _burst(clients: list[Any], item: int) -> dict[str, Any]:
    attempts = [i % BUYERS for i in range(ATTEMPTS)]
    random.Random(7).shuffle(attempts)
    sem = asyncio.Semaphore(BURST_CONCURRENCY)
    latencies: list[float] = []
    outcome: dict[str, int] = {}

    async def attempt(buyer: int) -> None:
        client = clients[buyer]
        async with sem:
            started = time.perf_counter()
            response = await client.post(
                f"/flash/items/{item}/buy",
                data={
                    "_csrf_token": client.cookies.get("csrftoken", ""),
                    "token": str(uuid.uuid4()),
                    "quantity": "1",
                },
                headers={"HX-Request": "true"},
            )
            latencies.append((time.perf_counter() - started) * 1000)
        redirect = response.headers.get("hx-redirect", "")
        if response.status_code == 200 and redirect.startswith("/pay/"):
            key = "order"
        elif response.status_code == 200 and redirect.startswith("/checkout"):
            key = "to_checkout"
        elif response.status_code == 429:
            key = "try_again"
        elif response.status_code == 422:
            text = response.text
            key = (
                "limit"
                if "limit" in text or "限购" in text
                else "sold_out"
                if "old out" in text or "抢光" in text
                else "refused"
            )
        else:
            key = f"http_{response.status_code}"
        outcome[key] = outcome.get(key, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*[attempt(b) for b in attempts])
    elapsed = time.perf_counter() - started
    return {"latencies": latencies, "outcome": outcome, "elapsed_s": elapsed}


async def _measure(base: str, item: int, paths: list[str]) -> tuple[dict[str, Any], list[float], list[float]]:
    """Sign the buyers in, then product pages alone for BASELINE_S, then the burst while they go on."""
    clients = await _clients(base, BUYERS, 0)
    ctx = multiprocessing.get_context("spawn")
    stop, marks, out = ctx.Event(), ctx.Event(), ctx.Queue()
    probe = ctx.Process(target=_probe, args=(base, paths, stop, marks, out), daemon=True)
    probe.start()
    try:
        await asyncio.sleep(BASELINE_S)
        marks.set()
        burst = await _burst(clients, item)
    finally:
        stop.set()
        for c in clients:
            await c.aclose()
    before, during = await asyncio.to_thread(out.get, True, 120)
    await asyncio.to_thread(probe.join, 30)
    return burst, before, during


async def _db_state(db_url: str, item: int) -> dict[str, Any]:
    import asyncpg

    conn = await asyncpg.connect(db_url)
    try:
        row = await conn.fetchrow("SELECT flash_stock, sold, per_user_limit FROM flash_item WHERE id = $1", item)
        units = await conn.fetchval(
            "SELECT coalesce(sum(quantity), 0) FROM order_item WHERE stock_source = $1", f"flash:{item}"
        )
        orders = await conn.fetchval(
            'SELECT count(DISTINCT "order") FROM order_item WHERE stock_source = $1', f"flash:{item}"
        )
        over_limit = await conn.fetchval(
            "SELECT coalesce(sum(quantity - $2), 0) FROM flash_purchase WHERE item = $1 AND quantity > $2", item, LIMIT
        )
        per_buyer = await conn.fetchval(
            "SELECT coalesce(max(n), 0) FROM (SELECT o.buyer, sum(i.quantity) AS n FROM order_item i JOIN shop_order o "
            'ON o.id = i."order" WHERE i.stock_source = $1 GROUP BY o.buyer) q',
            f"flash:{item}",
        )
        negative = await conn.fetchval("SELECT count(*) FROM flash_item WHERE flash_stock < 0 OR sold < 0")
    finally:
        await conn.close()
    return {
        "flash_stock": int(row["flash_stock"]),
        "sold": int(row["sold"]),
        "units": int(units),
        "orders": int(orders),
        "over_limit": int(over_limit) + max(0, int(per_buyer) - LIMIT),
        "max_per_buyer": int(per_buyer),
        "negative": int(negative),
    }


def run(base: str, db_url: str) -> dict[str, Any]:
    prepare_buyers(db_url)  # the checkout benchmark's buyers, with addresses; deletes earlier bench orders
    data = prepare(db_url)
    item = data["item"]
    paths = [f"/p/{pid}" for pid in data["products"]]
    burst, before, during = asyncio.run(_measure(base, item, paths))
    state = asyncio.run(_db_state(db_url, item))
    lat = burst["latencies"]
    return {
        "attempts": len(lat),
        "orders": state["orders"],
        "oversold": max(0, state["units"] - FLASH_STOCK) + state["over_limit"] + state["negative"],
        "attempts_per_s": round(len(lat) / burst["elapsed_s"], 1),
        "p99_ms": _pct(lat, 99),
        "product_page_p99_ms": _pct(during, 99),
        "p50_ms": _pct(lat, 50),
        "product_page_p50_ms": _pct(during, 50),
        "product_page_requests_during_burst": len(during),
        "product_page_p99_ms_before_burst": _pct(before, 99),
        "product_page_target_p99_ms": 100,
        "meets_product_page_target": bool(during) and _pct(during, 99) < 100,
        "outcomes": dict(sorted(burst["outcome"].items())),
        "elapsed_s": round(burst["elapsed_s"], 2),
        "flash_stock": FLASH_STOCK,
        "flash_stock_left": state["flash_stock"],
        "units_sold": state["units"],
        "max_units_per_buyer": state["max_per_buyer"],
        "per_user_limit": LIMIT,
        "buyers": BUYERS,
        "concurrency": BURST_CONCURRENCY,
        "product_page_visitors": (
            f"{PROBE_CONNECTIONS} anonymous visitors, one request each every {int(PROBE_INTERVAL_S * 1000)} ms "
            f"({int(PROBE_CONNECTIONS / PROBE_INTERVAL_S)}/s), rotating over {len(paths)} product pages, from "
            "another process"
        ),
    }


def summary(r: dict[str, Any]) -> None:
    print(
        f"[bench] flash_burst: {r['attempts']} attempts, {r['orders']} orders, oversold {r['oversold']}, "
        f"{r['attempts_per_s']} attempts/s, p99 {r['p99_ms']} ms; product page p99 {r['product_page_p99_ms']} ms "
        f"during the burst ({r['product_page_p99_ms_before_burst']} ms before); outcomes {r['outcomes']}",
        flush=True,
    )


if __name__ == "__main__":
    if sys.argv[1:] == ["prepare"]:
        import json

        print(json.dumps(asyncio.run(_prepare())))
    else:
        sys.exit("usage: python -m bench.flash_burst prepare")
