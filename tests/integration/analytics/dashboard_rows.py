"""Hand-made rollup rows for the dashboard tests (the expected KPIs are computed by hand in the tests)."""

from __future__ import annotations

from datetime import date
from typing import Any

from app.core.db import fetch


async def row(table: str, **values: Any) -> None:
    cols = list(values)
    placeholders = ", ".join("{}" for _ in cols)
    await fetch(f"INSERT INTO analytics_daily_{table} ({', '.join(cols)}) VALUES ({placeholders})", *values.values())  # noqa: S608


D = date(2026, 11, 10)  # the period: 10..12 November; the previous one: 7..9 November


def day(n: int) -> date:
    return date(2026, 11, n)


async def seed(*, s1: int, s2: int, p1: int, p2: int, c1: int, c2: int) -> None:
    # platform rows
    await row(
        "site", day=day(10), shop=0, pv=100, uv=40, sessions=50, bounces=20, dwell_ms=60000, dwell_n=30,
        product_viewers=30, cart_adders=12, checkout_visitors=8, paying_visitors=4, orders=5, paying_buyers=4,
        gmv_fen=50000, refund_fen=5000, refunded_orders=1, new_users=3, responses=1000, errors_5xx=2,
    )  # fmt: skip
    await row(
        "site", day=day(11), shop=0, pv=60, uv=20, sessions=30, bounces=10, dwell_ms=30000, dwell_n=20,
        product_viewers=10, cart_adders=6, checkout_visitors=4, paying_visitors=2, orders=3, paying_buyers=2,
        gmv_fen=30000, new_users=2, responses=500,
    )  # fmt: skip
    await row("site", day=day(8), shop=0, uv=50, paying_visitors=2, gmv_fen=40000, orders=4)  # previous period
    await row("site", day=day(13), shop=0, uv=999, gmv_fen=999999, orders=99)  # after the period: left out
    # shops
    await row("site", day=day(10), shop=s1, uv=20, paying_visitors=2, orders=3, gmv_fen=30000, refund_fen=5000,
              refunded_orders=1)  # fmt: skip
    await row("site", day=day(10), shop=s2, uv=10, paying_visitors=1, orders=2, gmv_fen=20000)
    await row("site", day=day(11), shop=s2, uv=10, paying_visitors=1, orders=3, gmv_fen=30000)
    # buyers: b1 3 orders, b4 2 orders over the period -> 2 of 4 buyers repurchased
    for d, shop, buyer, orders in [
        (10, 0, 1, 2), (11, 0, 1, 1), (10, 0, 2, 1), (11, 0, 3, 1), (10, 0, 4, 1), (12, 0, 4, 1), (8, 0, 5, 1),
        (10, s1, 1, 2), (10, s1, 2, 1),
    ]:  # fmt: skip
        await row("buyer", day=day(d), shop=shop, buyer=buyer, orders=orders, gmv_fen=10000 * orders)
    await row("stock", day=day(10), shop=0, skus_on_sale=10, skus_sold=4, stock_value_fen=100000, sold_value_fen=20000)
    await row("stock", day=day(11), shop=0, skus_on_sale=10, skus_sold=2, stock_value_fen=300000, sold_value_fen=10000)
    await row("service", day=day(10), shop=0, conversations=10, answered=8, first_response_s=800, complaints_closed=2,
              complaint_resolution_s=7200)  # fmt: skip
    # products and categories
    await row("product", day=day(10), product=p1, shop=s1, category=c1, views=30, viewers=20, units=3, orders=3,
              gmv_fen=30000, refund_fen=5000)  # fmt: skip
    await row("product", day=day(10), product=p2, shop=s2, category=c2, views=10, viewers=8, units=2, orders=2,
              gmv_fen=20000)  # fmt: skip
    await row("product", day=day(11), product=p2, shop=s2, category=c2, views=10, viewers=8, units=3, orders=3,
              gmv_fen=30000)  # fmt: skip
    await row("category", day=day(10), shop=0, category=c1, orders=3, units=3, gmv_fen=30000)
    await row("category", day=day(10), shop=0, category=c2, orders=2, units=2, gmv_fen=20000)
    await row("category", day=day(11), shop=0, category=c2, orders=3, units=3, gmv_fen=30000)
    # campaigns
    await row("campaign", day=day(10), source="promo:77", shop=s1, participants=2, orders=2, gmv_fen=20000,
              discount_fen=2000)  # fmt: skip
    await row("campaign", day=day(11), source="coupon:9", shop=0, participants=1, orders=1, gmv_fen=10000,
              discount_fen=500, platform_fen=500)  # fmt: skip
    await row("campaign", day=day(12), source="flash:3", shop=0, participants=0, orders=0, gmv_fen=0, discount_fen=0)
    await row("campaign", day=day(12), source="member:gold", shop=0, participants=1, orders=1, gmv_fen=900,
              discount_fen=100, platform_fen=100)  # fmt: skip
    # activity: a, b, c, d first seen on the 10th; a and b back on the 11th, a on the 17th and on 10 December
    for who in "abcd":
        await row("active", day=day(10), who=who, first_day=day(10))
    for d, who in [(day(11), "a"), (day(11), "b"), (day(17), "a"), (date(2026, 12, 10), "a")]:
        await row("active", day=d, who=who, first_day=day(10))
    await row("active", day=day(11), who="e", first_day=day(11))
    # searches
    await row("search", day=day(10), keyword="手机", searches=10, searchers=8)
    await row("search", day=day(11), keyword="手机", searches=5, searchers=4)
    await row("search", day=day(10), keyword="=HYPERLINK()", searches=3, searchers=1, no_result=3)
