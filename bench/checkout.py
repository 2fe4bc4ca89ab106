"""Checkout benchmarks (issue 6), run by bench/run.py against the production server it started:

- throughput: 50 signed-in buyers, each on its own SKU, submit checkouts (POST /checkout, buy-now, one unit,
  a fresh checkout token each time) back to back for BENCH_DURATION seconds → orders/s and latency;
- hot SKU: 500 signed-in buyers submit one checkout each, all at once, for one SKU with stock 100 → orders
  created, stock left, oversold (must be 0) and latency.

Data lives in the bench database: a shop "集市压测店" with 51 products and 550 buyers `bench<i>@jishi.test`, each
with a default address, created once (`python -m bench.checkout prepare` with DATABASE_URL = the bench database;
bench/run.py does it). Every run first deletes the previous run's bench orders and resets the stock."""

from __future__ import annotations

import asyncio
import re
import statistics
import sys
import time
import uuid
from typing import Any

BUYERS = 550
DISTINCT = 50
HOT_BUYERS = 500
HOT_STOCK = 100
PASSWORD = "bench-buyer-2026"  # noqa: S105 (benchmark accounts in the local bench database)
SHOP = "集市压测店"


def email(i: int) -> str:
    return f"bench{i}@jishi.test"


# ------------------------------------------------------------------ data (run inside the bench database)
async def _prepare() -> dict[str, Any]:
    import json

    from app.accounts import addresses
    from app.accounts.services import register
    from app.core.db import fetch, fetchrow, start_pool
    from app.core.principal import Actor
    from app.sellers.services import create_shop

    await start_pool(min_size=1, max_size=4)
    system = Actor(user_id=None, label="bench")
    owner = await fetchrow("SELECT id FROM app_user WHERE email = 'bench-owner@jishi.test'")
    if owner is None:
        owner_id = await register(
            identifier="bench-owner@jishi.test", password=PASSWORD, password_confirm=PASSWORD, display_name="bench"
        )
    else:
        owner_id = owner["id"]
    shop = await fetchrow("SELECT id FROM shop WHERE name = {}", SHOP)
    shop_id = shop["id"] if shop else await create_shop(actor=system, name=SHOP, owner_id=owner_id)
    category = await fetchrow("SELECT id FROM category WHERE level = 3 ORDER BY id LIMIT 1")
    have = await fetch(
        "SELECT s.id FROM sku s JOIN product p ON p.id = s.product WHERE p.shop = {} ORDER BY s.id", shop_id
    )
    if len(have) < DISTINCT + 1:
        for i in range(len(have), DISTINCT + 1):
            row = await fetchrow(
                "INSERT INTO product (shop, category, title, status, specs, price_min_fen, price_max_fen, stock_total, "
                "sku_count, created_at, updated_at) VALUES ({}, {}, {}, 'active', '[]'::jsonb, 990, 990, 0, 1, now(), "
                "now()) RETURNING id",
                shop_id,
                category["id"],
                f"压测商品 {i}",
            )
            await fetch(
                "INSERT INTO sku (product, code, spec_values, price_fen, stock, weight_g, position) "
                "VALUES ({}, {}, {}::jsonb, 990, 0, 200, 0)",
                row["id"],
                f"BENCH-{i}",
                json.dumps({}),
            )
        have = await fetch(
            "SELECT s.id FROM sku s JOIN product p ON p.id = s.product WHERE p.shop = {} ORDER BY s.id", shop_id
        )
    skus = [r["id"] for r in have][: DISTINCT + 1]
    for i in range(BUYERS):
        row = await fetchrow("SELECT id FROM app_user WHERE email = {}", email(i))
        uid = row["id"] if row else await register(identifier=email(i), password=PASSWORD, password_confirm=PASSWORD)
        if await addresses.default_address(user_id=uid) is None:
            await addresses.create_address(
                user_id=uid,
                receiver=f"压测{i}",
                mobile=f"139{i:08d}",
                province="310000",
                city="310100",
                district="310115",
                detail="世纪大道 100 号",
                tag="",
                is_default=True,
            )
    # a clean slate: no orders from earlier runs, stock reset
    buyers = "SELECT id FROM app_user WHERE email LIKE 'bench%@jishi.test'"
    await fetch(f'DELETE FROM order_event WHERE "order" IN (SELECT id FROM shop_order WHERE buyer IN ({buyers}))')  # noqa: S608
    await fetch(f'DELETE FROM order_item WHERE "order" IN (SELECT id FROM shop_order WHERE buyer IN ({buyers}))')  # noqa: S608
    await fetch(f"DELETE FROM shop_order WHERE buyer IN ({buyers})")  # noqa: S608
    await fetch(f"DELETE FROM order_group WHERE buyer IN ({buyers})")  # noqa: S608
    await fetch("UPDATE sku SET stock = 1000000 WHERE id = ANY({}::int[])", skus[:DISTINCT])
    await fetch("UPDATE sku SET stock = {} WHERE id = {}", HOT_STOCK, skus[DISTINCT])
    from app.catalog.services import refresh_product_summaries

    await refresh_product_summaries(
        product_ids=[r["product"] for r in await fetch("SELECT product FROM sku WHERE id = ANY({}::int[])", skus)]
    )
    return {"skus": skus[:DISTINCT], "hot": skus[DISTINCT]}


def prepare(db_url: str) -> dict[str, Any]:
    import json
    import os
    import subprocess

    done = subprocess.run(
        [sys.executable, "-m", "bench.checkout", "prepare"],
        env={**os.environ, "DATABASE_URL": db_url},
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if done.returncode != 0:
        sys.exit(f"[bench] preparing the checkout data failed:\n{done.stdout}\n{done.stderr[-3000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# ------------------------------------------------------------------ load
async def _login(client: Any, i: int) -> None:
    page = await client.get("/login")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text)
    assert token, "no CSRF token on /login"
    response = await client.post(
        "/login", data={"identifier": email(i), "password": PASSWORD, "_csrf_token": token.group(1)}
    )
    if response.status_code != 303 or "sid" not in client.cookies:
        raise SystemExit(f"[bench] signing {email(i)} in failed: {response.status_code}")


async def _submit(client: Any, sku: int) -> tuple[float, int]:
    started = time.perf_counter()
    response = await client.post(
        "/checkout",
        data={
            "_csrf_token": client.cookies.get("csrftoken", ""),
            "token": str(uuid.uuid4()),
            "source": "buy",
            "line": f"{sku}:1",
        },
    )
    return (time.perf_counter() - started) * 1000, response.status_code


def _pct(values: list[float], p: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))], 1)


async def _clients(base: str, count: int, offset: int) -> list[Any]:
    import httpx

    clients = [
        httpx.AsyncClient(base_url=base, timeout=60, limits=httpx.Limits(max_connections=2)) for _ in range(count)
    ]
    sem = asyncio.Semaphore(8)

    async def login(i: int) -> None:
        async with sem:
            await _login(clients[i], offset + i)

    await asyncio.gather(*[login(i) for i in range(count)])
    return clients


async def _throughput(base: str, skus: list[int], duration: float) -> dict[str, Any]:
    clients = await _clients(base, DISTINCT, 0)
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    stop_at = time.perf_counter() + duration

    async def buyer(i: int) -> None:
        while time.perf_counter() < stop_at:
            ms, status = await _submit(clients[i], skus[i])
            latencies.append(ms)
            statuses[status] = statuses.get(status, 0) + 1

    started = time.perf_counter()
    await asyncio.gather(*[buyer(i) for i in range(DISTINCT)])
    elapsed = time.perf_counter() - started
    for c in clients:
        await c.aclose()
    return {"latencies": latencies, "statuses": statuses, "elapsed_s": elapsed}


async def _hot(base: str, sku: int) -> dict[str, Any]:
    clients = await _clients(base, HOT_BUYERS, DISTINCT)
    started = time.perf_counter()
    results = await asyncio.gather(*[_submit(c, sku) for c in clients])
    elapsed = time.perf_counter() - started
    for c in clients:
        await c.aclose()
    return {
        "latencies": [ms for ms, _ in results],
        "statuses": {s: sum(1 for _, x in results if x == s) for s in {x for _, x in results}},
        "elapsed_s": elapsed,
    }


async def _db_state(db_url: str, skus: list[int], hot: int) -> dict[str, Any]:
    import asyncpg

    conn = await asyncpg.connect(db_url)
    try:
        sold = {
            r["sku"]: int(r["n"])
            for r in await conn.fetch(
                'SELECT i.sku, sum(i.quantity) AS n FROM order_item i JOIN shop_order o ON o.id = i."order" '
                "WHERE i.sku = ANY($1::int[]) GROUP BY i.sku",
                [*skus, hot],
            )
        }
        stock = {
            r["id"]: r["stock"]
            for r in await conn.fetch("SELECT id, stock FROM sku WHERE id = ANY($1::int[])", [*skus, hot])
        }
        orders = await conn.fetchval(
            'SELECT count(DISTINCT o.id) FROM shop_order o JOIN order_item i ON i."order" = o.id WHERE i.sku = $1', hot
        )
        negative = await conn.fetchval("SELECT count(*) FROM sku WHERE stock < 0")
    finally:
        await conn.close()
    return {"sold": sold, "stock": stock, "hot_orders": int(orders), "negative": int(negative)}


def run(base: str, db_url: str, duration: float) -> tuple[dict[str, Any], dict[str, Any]]:
    data = prepare(db_url)
    skus, hot = data["skus"], data["hot"]
    through = asyncio.run(_throughput(base, skus, duration))
    state = asyncio.run(_db_state(db_url, skus, hot))
    created = sum(state["sold"].get(s, 0) for s in skus)
    lat = through["latencies"]
    throughput = {
        "buyers": DISTINCT,
        "distinct_skus": True,
        "duration_s": round(through["elapsed_s"], 1),
        "orders": created,
        "stock_left": sum(state["stock"][s] for s in skus),
        "oversold": sum(max(0, state["sold"].get(s, 0) - 1_000_000) for s in skus) + state["negative"],
        "orders_per_s": round(created / through["elapsed_s"], 1),
        "p50_ms": _pct(lat, 50),
        "p99_ms": _pct(lat, 99),
        "mean_ms": round(statistics.fmean(lat), 1) if lat else 0.0,
        "statuses": {str(k): v for k, v in through["statuses"].items()},
    }
    hot_run = asyncio.run(_hot(base, hot))
    state = asyncio.run(_db_state(db_url, skus, hot))
    sold = state["sold"].get(hot, 0)
    hot_result = {
        "buyers": HOT_BUYERS,
        "initial_stock": HOT_STOCK,
        "orders": state["hot_orders"],
        "stock_left": state["stock"][hot],
        "oversold": max(0, sold - HOT_STOCK) + state["negative"],
        "orders_per_s": round(state["hot_orders"] / hot_run["elapsed_s"], 1),
        "p50_ms": _pct(hot_run["latencies"], 50),
        "p99_ms": _pct(hot_run["latencies"], 99),
        "elapsed_s": round(hot_run["elapsed_s"], 2),
        "statuses": {str(k): v for k, v in hot_run["statuses"].items()},
    }
    return throughput, hot_result


if __name__ == "__main__":
    if sys.argv[1:] == ["prepare"]:
        import json

        print(json.dumps(asyncio.run(_prepare())))
    else:
        sys.exit("usage: python -m bench.checkout prepare")
