"""Daily rollups on a small fixed fixture with hand-computed expectations (times are Asia/Shanghai, UTC+8).

Day D = 2026-11-20. People: u1 (browsed anonymously as visitor v1, then signed in: linked), u2 (signed in, visitor
v3), v2 (anonymous, first seen on D-1).

Page views on D: v1 home 10:00, P1 10:01, P2 10:03 (visit s1: dwell 60 s + 120 s); v2 home 11:00 (visit s2,
bounce), P1 15:00 and home 15:02 (visit s3: dwell 120 s); u2 P2 20:00 (visit s4, bounce). Product views follow the
product pages. Adds to cart: u1 (P1), u2 (P2). Checkouts: u1 (G1), u2 (G2).
   pv 7, uv 3 (u1, v2, u2), sessions 4, bounces 2, dwell 300 000 ms over 3, product viewers 3, cart adders 2,
   checkout visitors 2.
Orders paid on D: G1 (u1) = O1 shop S1 (P1 x2 @1000 = 2000) + O2 shop S2 (P2 x1 @3000 + 500 postage = 3500), paid
10:06; G2 (u2) = O3 shop S2 (P2 @3000 with a platform coupon -300 = 2700) paid 20:05; G3 (u1) = O4 shop S1 (P1 @1000
with a flash price -100 = 900) paid 21:00. Not counted: an order paid D-1 23:59:59, one paid D+1 00:00:30, an unpaid
one.
   GMV 9100, orders 4, paying buyers 2, AOV 4550 (per order 2275); S1: 2900 / 2 orders / 1 buyer; S2: 6200 / 2 / 2.
   Repurchase inputs: u1 3 orders (6400), u2 1 (2700) → 1 of 2 buyers bought twice or more.
Refunds: 1000 on O2 requested D 22:00 (pending) counts; a failed one on D and one on D+1 do not.
Searches: 手机 by u1 (5 results), 手机 by v2 (0), xyz by v2 (0).
Campaigns: coupon:999 (platform, 300 on a 2700 order), flash:5 (platform, 100 on a 900 order).
Service: a conversation of S1 answered in 120 s; a complaint on S2 resolved 4 h after it was made.
New users on D: u1 and u2. Responses on D: 10, of which 1 5xx (a minute of D+1 is not counted).
Retention: cohort D = {u1, u2}; on D+1 u1 comes back, on D+7 u2, on D+30 only v2 → D1 = D7 = 1/2, D30 = 0."""

from __future__ import annotations

import json
import uuid
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from app.analytics import rollup
from app.core.db import fetch, fetchrow
from app.orders.services import new_order_no
from tests.factories import make_category, make_product, make_shop, make_user

pytestmark = pytest.mark.asyncio

SH = ZoneInfo("Asia/Shanghai")
D = date(2026, 11, 20)


def at(day: date, hh: int, mm: int, ss: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hh, mm, ss, tzinfo=SH)


async def event(kind: str, when: datetime, *, visitor: str = "", user: int | None = None, session: str = "",
                route: str = "", product: int | None = None, group: int | None = None) -> None:  # fmt: skip
    await fetch(
        "INSERT INTO analytics_event (at, kind, visitor, user_id, session, route, path, product, group_id) "
        "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {})",
        when, kind, visitor, user, session, route, "/", product, group,
    )  # fmt: skip


async def paid_group(
    buyer: int, paid: datetime | None, orders: list[tuple[int, list[tuple[int, int, int, int, list]], int]]
) -> tuple[int, list[int]]:  # type: ignore[type-arg]
    """orders: (shop, [(sku, product, unit price, qty, adjustments)], postage)."""
    total = 0
    for _shop, lines, postage in orders:
        total += postage + sum(p * q + sum(a["amount_fen"] for a in adj) for _s, _p, p, q, adj in lines)
    group = await fetchrow(
        "INSERT INTO order_group (no, buyer, checkout_token, status, total_fen, pay_deadline_at, paid_at, created_at) "
        "VALUES ({}, {}, {}, {}, {}, {}, {}, {}) RETURNING id",
        new_order_no(), buyer, uuid.uuid4(), "paid" if paid else "pending_payment", total,
        at(D, 23, 0), paid, at(D - timedelta(days=2), 9, 0),
    )  # fmt: skip
    assert group is not None
    ids = []
    for shop, lines, postage in orders:
        goods = sum(p * q for _s, _pr, p, q, _a in lines)
        discount = sum(a["amount_fen"] for *_x, adj in lines for a in adj)
        order = await fetchrow(
            'INSERT INTO shop_order (no, "group", shop, buyer, status, goods_fen, discount_fen, shipping_fen, '
            "total_fen, pay_deadline_at, paid_at, created_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}, {}) "
            "RETURNING id",
            new_order_no(), group["id"], shop, buyer, "paid" if paid else "pending_payment", goods, discount,
            postage, goods + discount + postage, at(D, 23, 0), paid, at(D - timedelta(days=2), 9, 0),
        )  # fmt: skip
        assert order is not None
        ids.append(order["id"])
        for sku, product, price, qty, adj in lines:
            paid_fen = price * qty + sum(a["amount_fen"] for a in adj)
            await fetch(
                'INSERT INTO order_item ("order", sku, product, title, unit_price_fen, quantity, gross_fen, paid_fen, '
                "adjustments) VALUES ({}, {}, {}, 'x', {}, {}, {}, {}, {}::jsonb)",
                order["id"], sku, product, price, qty, price * qty, paid_fen, json.dumps(adj),
            )  # fmt: skip
    return group["id"], ids


async def refund(group: int, order: int, buyer: int, amount: int, created: datetime, status: str) -> None:
    payment = await fetchrow(
        "INSERT INTO payment (no, \"group\", buyer, provider, amount_fen, status) VALUES ({}, {}, {}, 'sandbox', {}, "
        "'paid') RETURNING id",
        uuid.uuid4().hex[:32], group, buyer, 10_000,
    )  # fmt: skip
    assert payment is not None
    await fetch(
        'INSERT INTO refund ("order", payment, amount_fen, idempotency_key, status, created_at) '
        "VALUES ({}, {}, {}, {}, {}, {})",
        order, payment["id"], amount, uuid.uuid4().hex, status, created,
    )  # fmt: skip


async def sku_of(product: int) -> int:
    row = await fetchrow("SELECT id FROM sku WHERE product = {}", product)
    assert row is not None
    return int(row["id"])


@pytest.fixture
async def world() -> dict:  # type: ignore[type-arg]
    u1, u2 = await make_user(), await make_user()
    await fetch("UPDATE app_user SET created_at = {} WHERE id IN ({}, {})", at(D, 9, 0), u1.id, u2.id)
    s1, s2 = await make_shop(), await make_shop()
    c1 = await make_category(name="数码")
    c1a = await make_category(name="手机", parent=c1)
    c2 = await make_category(name="服装")
    p1 = await make_product(shop=s1, category=c1a, skus=[{"price_fen": 1000, "stock": 10}])
    p2 = await make_product(shop=s2, category=c2, skus=[{"price_fen": 3000, "stock": 5}])
    k1, k2 = await sku_of(p1), await sku_of(p2)
    v1, v2, v3 = (str(uuid.uuid4()) for _ in range(3))
    await fetch("INSERT INTO analytics_visitor_link (visitor, user_id) VALUES ({}, {})", v1, u1.id)

    # traffic
    await event("page_view", at(D - timedelta(days=1), 23, 59), visitor=v2, session="s0", route="home")
    await event("page_view", at(D, 10, 0), visitor=v1, session="s1", route="home")
    await event("page_view", at(D, 10, 1), visitor=v1, session="s1", route="product", product=p1)
    await event("product_view", at(D, 10, 1), visitor=v1, session="s1", route="product", product=p1)
    await event("page_view", at(D, 10, 3), visitor=v1, session="s1", route="product", product=p2)
    await event("product_view", at(D, 10, 3), visitor=v1, session="s1", route="product", product=p2)
    await event("add_to_cart", at(D, 10, 4), visitor=v1, user=u1.id, session="s1", product=p1)
    await event("page_view", at(D, 11, 0), visitor=v2, session="s2", route="home")
    await event("page_view", at(D, 15, 0), visitor=v2, session="s3", route="product", product=p1)
    await event("product_view", at(D, 15, 0), visitor=v2, session="s3", route="product", product=p1)
    await event("page_view", at(D, 15, 2), visitor=v2, session="s3", route="home")
    await event("page_view", at(D, 20, 0), visitor=v3, user=u2.id, session="s4", route="product", product=p2)
    await event("product_view", at(D, 20, 0), visitor=v3, user=u2.id, session="s4", route="product", product=p2)
    await event("add_to_cart", at(D, 20, 1), visitor=v3, user=u2.id, session="s4", product=p2)
    await event("page_view", at(D + timedelta(days=1), 0, 0), visitor=v1, session="s5", route="home")  # D+1
    await event("page_view", at(D + timedelta(days=7), 9, 0), visitor=v3, user=u2.id, session="s6", route="home")
    await event("page_view", at(D + timedelta(days=30), 9, 0), visitor=v2, session="s7", route="home")

    # orders
    coupon = [{"reason": "x", "amount_fen": -300, "bearer": "platform", "source": "coupon:999"}]
    flash = [{"reason": "x", "amount_fen": -100, "bearer": "platform", "source": "flash:5"}]
    g1, (_o1, o2) = await paid_group(
        u1.id, at(D, 10, 6), [(s1.id, [(k1, p1, 1000, 2, [])], 0), (s2.id, [(k2, p2, 3000, 1, [])], 500)]
    )
    g2, (o3,) = await paid_group(u2.id, at(D, 20, 5), [(s2.id, [(k2, p2, 3000, 1, coupon)], 0)])
    await paid_group(u1.id, at(D, 21, 0), [(s1.id, [(k1, p1, 1000, 1, flash)], 0)])
    await paid_group(u2.id, at(D - timedelta(days=1), 23, 59, 59), [(s1.id, [(k1, p1, 1000, 1, [])], 0)])
    await paid_group(u2.id, at(D + timedelta(days=1), 0, 0, 30), [(s1.id, [(k1, p1, 1000, 1, [])], 0)])
    await paid_group(u2.id, None, [(s1.id, [(k1, p1, 1000, 1, [])], 0)])
    await event("checkout", at(D, 10, 5), visitor=v1, user=u1.id, session="s1", group=g1)
    await event("checkout", at(D, 20, 2), visitor=v3, user=u2.id, session="s4", group=g2)

    await refund(g1, o2, u1.id, 1000, at(D, 22, 0), "pending")
    await refund(g1, o2, u1.id, 700, at(D, 22, 30), "failed")
    await refund(g2, o3, u2.id, 500, at(D + timedelta(days=1), 8, 0), "pending")

    # searches
    for keyword, user, visitor, results in (("手机", u1.id, "", 5), ("手机", None, v2, 0), ("xyz", None, v2, 0)):
        await fetch(
            'INSERT INTO search_log (keyword, "user", visitor, results, created_at) VALUES ({}, {}, {}, {}, {})',
            keyword, user, visitor, results, at(D, 12, 0),
        )  # fmt: skip

    # service
    conv = await fetchrow(
        "INSERT INTO conversation (shop, buyer, created_at) VALUES ({}, {}, {}) RETURNING id", s1.id, u1.id, at(D, 9, 0)
    )
    assert conv is not None
    for side, sender, when in (("buyer", u1.id, at(D, 9, 0)), ("shop", s1.owner.id, at(D, 9, 2)),
                               ("buyer", u1.id, at(D, 9, 5))):  # fmt: skip
        await fetch(
            "INSERT INTO chat_message (conversation, sender, side, text, created_at) VALUES ({}, {}, {}, 'hi', {})",
            conv["id"], sender, side, when,
        )  # fmt: skip
    complaint = await fetchrow(
        "INSERT INTO complaint (complainant, shop, category, text, status, created_at) "
        "VALUES ({}, {}, 'service', 'bad', 'resolved', {}) RETURNING id",
        u2.id, s2.id, at(D, 8, 0),
    )  # fmt: skip
    assert complaint is not None
    await fetch(
        "INSERT INTO complaint_event (complaint, status, created_at) VALUES ({}, 'resolved', {})",
        complaint["id"], at(D, 12, 0),
    )  # fmt: skip

    # response counters
    await fetch(
        "INSERT INTO analytics_http_minute (minute, responses, errors_5xx) VALUES ({}, 10, 1), ({}, 3, 3)",
        at(D, 10, 0), at(D + timedelta(days=1), 0, 0),
    )  # fmt: skip
    return {"u1": u1.id, "u2": u2.id, "s1": s1.id, "s2": s2.id, "p1": p1, "p2": p2, "c1": c1, "c2": c2, "v2": v2}


async def rows(table: str, order: str) -> list[dict]:  # type: ignore[type-arg]
    got = await fetch(f"SELECT * FROM {table} WHERE day = {{}} ORDER BY {order}", D)  # noqa: S608
    return [{k: v for k, v in dict(r).items() if k not in ("id", "updated_at")} for r in got]


async def roll_all() -> None:
    for day in (D - timedelta(days=1), D, D + timedelta(days=1), D + timedelta(days=7), D + timedelta(days=30)):
        await rollup.rollup_day(day)


async def test_site_rows(world) -> None:  # type: ignore[no-untyped-def]
    await roll_all()
    site = {r["shop"]: r for r in await rows("analytics_daily_site", "shop")}
    platform = site[0]
    assert {k: platform[k] for k in ("pv", "uv", "sessions", "bounces", "dwell_ms", "dwell_n")} == {
        "pv": 7, "uv": 3, "sessions": 4, "bounces": 2, "dwell_ms": 300_000, "dwell_n": 3,
    }  # fmt: skip
    assert {k: platform[k] for k in ("product_viewers", "cart_adders", "checkout_visitors", "paying_visitors")} == {
        "product_viewers": 3, "cart_adders": 2, "checkout_visitors": 2, "paying_visitors": 2,
    }  # fmt: skip
    assert (platform["orders"], platform["paying_buyers"], platform["gmv_fen"]) == (4, 2, 9100)
    assert platform["gmv_fen"] // platform["paying_buyers"] == 4550  # AOV
    assert (platform["refund_fen"], platform["refunded_orders"]) == (1000, 1)
    assert (platform["new_users"], platform["responses"], platform["errors_5xx"]) == (2, 10, 1)

    s1, s2 = site[world["s1"]], site[world["s2"]]
    assert (s1["orders"], s1["paying_buyers"], s1["gmv_fen"], s1["refund_fen"]) == (2, 1, 2900, 0)
    assert (s2["orders"], s2["paying_buyers"], s2["gmv_fen"], s2["refund_fen"]) == (2, 2, 6200, 1000)
    # a shop's traffic: views of its product pages (P1: v1 and v2; P2: v1 and u2)
    assert (s1["pv"], s1["uv"], s1["product_viewers"], s1["cart_adders"]) == (2, 2, 2, 1)
    assert (s2["pv"], s2["uv"], s2["product_viewers"], s2["cart_adders"]) == (2, 2, 2, 1)
    # checkouts that placed an order of the shop: G1 has orders of both shops, G2 only of S2
    assert (s1["checkout_visitors"], s2["checkout_visitors"]) == (1, 2)
    assert s1["new_users"] == s1["responses"] == 0  # platform-only figures


async def test_products_categories_buyers_campaigns(world) -> None:  # type: ignore[no-untyped-def]
    await roll_all()
    products = {r["product"]: r for r in await rows("analytics_daily_product", "product")}
    p1, p2 = products[world["p1"]], products[world["p2"]]
    assert (p1["views"], p1["viewers"], p1["units"], p1["orders"], p1["gmv_fen"]) == (2, 2, 3, 2, 2900)
    assert (p2["views"], p2["viewers"], p2["units"], p2["orders"], p2["gmv_fen"]) == (2, 2, 2, 2, 5700)
    assert (p1["shop"], p2["shop"]) == (world["s1"], world["s2"])

    categories = {(r["shop"], r["category"]): (r["orders"], r["units"], r["gmv_fen"])
                  for r in await rows("analytics_daily_category", "shop, category")}  # fmt: skip
    assert categories == {
        (0, world["c1"]): (2, 3, 2900),  # P1 is in a child of c1: counted under the top level
        (0, world["c2"]): (2, 2, 5700),
        (world["s1"], world["c1"]): (2, 3, 2900),
        (world["s2"], world["c2"]): (2, 2, 5700),
    }

    buyers = {(r["shop"], r["buyer"]): (r["orders"], r["gmv_fen"]) for r in await rows("analytics_daily_buyer", "shop")}
    u1, u2 = world["u1"], world["u2"]
    assert buyers == {
        (0, u1): (3, 6400), (0, u2): (1, 2700),
        (world["s1"], u1): (2, 2900), (world["s2"], u1): (1, 3500), (world["s2"], u2): (1, 2700),
    }  # fmt: skip
    platform = [v for (shop, _b), v in buyers.items() if shop == 0]
    assert sum(1 for o, _g in platform if o >= 2) / len(platform) == 0.5  # repurchase rate

    campaigns = {r["source"]: r for r in await rows("analytics_daily_campaign", "source")}
    assert set(campaigns) == {"coupon:999", "flash:5"}
    c = campaigns["coupon:999"]
    assert (c["shop"], c["participants"], c["orders"], c["gmv_fen"], c["discount_fen"], c["platform_fen"]) == (
        0, 1, 1, 2700, 300, 300,
    )  # fmt: skip
    f = campaigns["flash:5"]
    assert (f["participants"], f["orders"], f["gmv_fen"], f["discount_fen"]) == (1, 1, 900, 100)
    assert round(c["discount_fen"] / c["gmv_fen"], 4) == 0.1111  # cost-benefit


async def test_searches_service_and_retention(world) -> None:  # type: ignore[no-untyped-def]
    await roll_all()
    searches = {r["keyword"]: (r["searches"], r["searchers"], r["no_result"])
                for r in await rows("analytics_daily_search", "keyword")}  # fmt: skip
    assert searches == {"手机": (2, 2, 1), "xyz": (1, 1, 1)}

    service = {r["shop"]: r for r in await rows("analytics_daily_service", "shop")}
    assert (service[0]["conversations"], service[0]["answered"], service[0]["first_response_s"]) == (1, 1, 120)
    assert (service[0]["complaints_closed"], service[0]["complaint_resolution_s"]) == (1, 4 * 3600)
    assert service[world["s1"]]["first_response_s"] == 120
    assert service[world["s2"]]["complaint_resolution_s"] == 4 * 3600

    active = {r["who"]: r["first_day"] for r in await rows("analytics_daily_active", "who")}
    u1, u2 = f"u{world['u1']}", f"u{world['u2']}"
    assert active == {u1: D, u2: D, "v" + world["v2"]: D - timedelta(days=1)}
    cohort = [w for w, first in active.items() if first == D]
    nxt = await fetch("SELECT who FROM analytics_daily_active WHERE day = {}", D + timedelta(days=1))
    back = {r["who"] for r in nxt}
    assert sum(1 for w in cohort if w in back) / len(cohort) == 0.5  # D1 retention of cohort D


async def test_rerunning_a_day_gives_identical_rows(world) -> None:  # type: ignore[no-untyped-def]
    await roll_all()
    tables = {t: await rows(t, "2, 3, 4") for t in rollup.TABLES}
    await rollup.rollup_day(D)
    await rollup.rollup_day(D - timedelta(days=1))  # an earlier day rebuilt after: first days stay where they were
    await rollup.rollup_day(D)
    assert {t: await rows(t, "2, 3, 4") for t in rollup.TABLES} == tables
    assert all(tables[t] for t in rollup.TABLES)  # every table got rows from the fixture


async def test_two_builders_of_the_same_day_at_once(world) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    await asyncio.gather(*(rollup.rollup_day(D) for _ in range(3)))
    site = await rows("analytics_daily_site", "shop")
    assert [r["gmv_fen"] for r in site if r["shop"] == 0] == [9100]


async def test_stock_snapshot_is_taken_for_today_and_kept_for_past_days(world) -> None:  # type: ignore[no-untyped-def]
    today = rollup.today()
    await rollup.rollup_day(today)
    snap = {r["shop"]: r for r in await fetch("SELECT * FROM analytics_daily_stock WHERE day = {}", today)}
    # on-sale SKUs: P1 10 x 1000 and P2 5 x 3000 (the fixture inserts orders directly: stock untouched)
    assert (snap[0]["skus_on_sale"], snap[0]["stock_value_fen"]) == (2, 10 * 1000 + 5 * 3000)
    assert snap[world["s1"]]["stock_value_fen"] == 10_000
    await fetch("UPDATE sku SET stock = 0")
    await fetch("UPDATE analytics_daily_stock SET day = {} WHERE day = {}", D, today)  # as if taken on D
    await rollup.rollup_day(D)
    kept = {r["shop"]: r for r in await fetch("SELECT * FROM analytics_daily_stock WHERE day = {}", D)}
    assert kept[0]["stock_value_fen"] == 25_000  # a past day's snapshot is kept
    assert (kept[0]["skus_sold"], kept[0]["sold_value_fen"]) == (2, 3 * 1000 + 2 * 3000)  # its sales recomputed


async def test_kpis_through_the_dashboard_metrics(world) -> None:  # type: ignore[no-untyped-def]
    from app.analytics import metrics

    await roll_all()
    kpis = {k.key: k.value for k in await metrics.overview(metrics.Filters(start=D, end=D, preset="custom"))}
    assert (kpis["gmv"], kpis["net_gmv"], kpis["orders"], kpis["paying_buyers"]) == (9100, 8100, 4, 2)
    assert (kpis["aov"], kpis["order_avg"]) == (4550, 2275)
    assert (kpis["pv"], kpis["uv"]) == (7, 3)
    assert kpis["conversion"] == pytest.approx(2 / 3)  # paying visitors / UV
    assert kpis["bounce"] == 0.5 and kpis["dwell"] == 100_000
    assert kpis["repurchase"] == 0.5 and kpis["new_users"] == 2
    assert kpis["refund_amount"] == pytest.approx(1000 / 9100) and kpis["refund_orders"] == 0.25
    assert kpis["first_response"] == 120 and kpis["resolution"] == 4 * 3600 and kpis["errors"] == 0.1
    steps = await metrics.funnel(metrics.Filters(start=D, end=D, preset="custom"))
    assert [(s.key, s.count) for s in steps] == [
        ("uv", 3), ("product_viewers", 3), ("cart_adders", 2), ("checkout_visitors", 2), ("paying_visitors", 2),
    ]  # fmt: skip

    cohorts = await metrics.retention(metrics.Filters(start=D, end=D, preset="custom"), today=D + timedelta(days=40))
    assert [(c.day, c.size, c.d1, c.d7, c.d30) for c in cohorts] == [(D, 2, 0.5, 0.5, 0.0)]

    shop = {k.key: k.value for k in await metrics.overview(metrics.Filters(start=D, end=D, shop=world["s2"]))}
    assert (shop["gmv"], shop["orders"], shop["paying_buyers"], shop["refund_amount"]) == (6200, 2, 2, 1000 / 6200)


async def test_a_discount_borne_by_the_shop_alone_costs_the_platform_nothing() -> None:
    buyer = await make_user()
    shop = await make_shop()
    product = await make_product(shop=shop, skus=[{"price_fen": 2000, "stock": 5}])
    promo = [{"reason": "x", "amount_fen": -200, "bearer": "shop", "source": "promo:77"}]
    day = D - timedelta(days=5)
    await paid_group(buyer.id, at(day, 12, 0), [(shop.id, [(await sku_of(product), product, 2000, 1, promo)], 0)])
    await rollup.rollup_day(day)
    got = await fetch("SELECT * FROM analytics_daily_campaign WHERE day = {}", day)
    assert [(r["source"], r["orders"], r["gmv_fen"], r["discount_fen"], r["platform_fen"]) for r in got] == [
        ("promo:77", 1, 1800, 200, 0)
    ]


async def test_the_sweep_builds_today_yesterday_and_unfinished_older_days() -> None:
    from app.analytics import sweeps

    today = rollup.today()
    old = today - timedelta(days=6)
    await event("page_view", at(old, 12, 0), visitor=str(uuid.uuid4()), session="x", route="home")
    assert await sweeps.sweep_rollups(force=True) == 3
    done = {r["day"]: r["final"] for r in await fetch("SELECT day, final FROM analytics_rollup_day")}
    assert done == {old: True, today - timedelta(days=1): False, today: False}
    site = await fetch("SELECT pv FROM analytics_daily_site WHERE day = {} AND shop = 0", old)
    assert [r["pv"] for r in site] == [1]
    assert await sweeps.sweep_rollups() == 0  # throttled: at most every few minutes per process
    assert await sweeps.sweep_rollups(force=True) == 2  # the finished day is not built again
