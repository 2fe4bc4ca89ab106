"""The KPI queries on hand-made rollup rows (tests/integration/analytics/dashboard_rows.py), numbers computed by
hand: 10..12 November against 7..9 November."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.analytics import metrics
from app.core import clock
from tests.factories import make_category, make_product, make_shop
from tests.integration.analytics.dashboard_rows import day, seed


@pytest.fixture
async def world():  # type: ignore[no-untyped-def]
    s1, s2 = await make_shop(name="一号店"), await make_shop(name="二号店")
    c1, c2 = await make_category(name="数码"), await make_category(name="服装")
    leaf = await make_category(name="手机", parent=c1)
    p1 = await make_product(shop=s1, category=leaf, title="好手机")
    p2 = await make_product(shop=s2, category=c2, title="好衣服")
    await seed(s1=s1.id, s2=s2.id, p1=p1, p2=p2, c1=leaf, c2=c2)
    original = clock._now
    clock.use_clock(lambda: datetime(2026, 12, 20, 4, tzinfo=UTC))
    yield {"s1": s1.id, "s2": s2.id, "p1": p1, "p2": p2, "c1": c1, "c2": c2, "leaf": leaf}
    clock.use_clock(original)


def period(**kw):  # type: ignore[no-untyped-def]
    return metrics.Filters(start=day(10), end=day(12), preset="custom", **kw)


async def test_overview_numbers_of_the_platform(world) -> None:  # type: ignore[no-untyped-def]
    kpis = {k.key: k for k in await metrics.overview(period())}
    assert kpis["gmv"].value == 80000 and kpis["gmv"].previous == 40000
    assert kpis["gmv"].delta == 1.0
    assert kpis["net_gmv"].value == 75000
    assert kpis["orders"].value == 8 and kpis["orders"].previous == 4
    assert kpis["paying_buyers"].value == 4 and kpis["paying_buyers"].previous == 1
    assert kpis["aov"].value == 20000  # GMV / distinct paying buyers
    assert kpis["order_avg"].value == 10000  # GMV / orders
    assert kpis["pv"].value == 160 and kpis["uv"].value == 60
    assert kpis["conversion"].value == pytest.approx(0.1) and kpis["conversion"].previous == pytest.approx(0.04)
    assert kpis["conversion"].delta == pytest.approx(0.06)  # percentage points
    assert kpis["bounce"].value == pytest.approx(30 / 80)
    assert kpis["dwell"].value == 1800  # ms
    assert kpis["new_users"].value == 5
    assert kpis["refund_amount"].value == pytest.approx(0.0625)
    assert kpis["refund_orders"].value == pytest.approx(0.125)
    assert kpis["repurchase"].value == 0.5  # b1 and b4 of 4 buyers
    assert kpis["turnover"].value == pytest.approx(30000 / 200000)
    assert kpis["sell_through"].value == pytest.approx(0.3)
    assert kpis["first_response"].value == 100 and kpis["answered"].value == pytest.approx(0.8)
    assert kpis["resolution"].value == 3600
    assert kpis["errors"].value == pytest.approx(2 / 1500)
    # nothing to divide by in the previous period: no number, not 0
    assert kpis["bounce"].previous is None and kpis["bounce"].delta is None


async def test_overview_of_one_shop(world) -> None:  # type: ignore[no-untyped-def]
    kpis = {k.key: k for k in await metrics.overview(period(shop=world["s1"]))}
    assert kpis["gmv"].value == 30000 and kpis["orders"].value == 3
    assert kpis["refund_amount"].value == pytest.approx(5000 / 30000)
    assert kpis["paying_buyers"].value == 2 and kpis["repurchase"].value == 0.5
    assert "new_users" not in kpis and "errors" not in kpis  # platform-only counters
    assert kpis["turnover"].value is None  # no stock snapshot for the shop: "—"


async def test_series_funnel_and_lists(world) -> None:  # type: ignore[no-untyped-def]
    f = period()
    series = await metrics.daily_series(f)
    assert [(p.day.day, p.gmv_fen, p.uv) for p in series] == [(10, 50000, 40), (11, 30000, 20), (12, 0, 0)]
    steps = await metrics.funnel(f)
    assert [s.count for s in steps] == [60, 40, 18, 12, 6]
    assert steps[0].step_ratio is None and steps[2].step_ratio == pytest.approx(18 / 40)
    assert steps[4].overall == pytest.approx(0.1)

    sellers = await metrics.seller_ranking(f)
    assert [(r["name"], r["gmv_fen"], r["orders"]) for r in sellers] == [("二号店", 50000, 5), ("一号店", 30000, 3)]
    assert sellers[1]["refund_rate"] == pytest.approx(1 / 6) and sellers[0]["refund_rate"] == 0

    products = await metrics.top_products(f)
    assert [(r["title"], r["units"], r["gmv_fen"]) for r in products] == [("好衣服", 5, 50000), ("好手机", 3, 30000)]
    only_digital = await metrics.top_products(period(category=world["c1"]))  # the subtree of 数码
    assert [r["title"] for r in only_digital] == ["好手机"]

    cats = await metrics.category_share(f)
    assert [(r["name_zh"], r["gmv_fen"]) for r in cats] == [("服装", 50000), ("手机", 30000)]
    assert cats[0]["share"] == pytest.approx(0.625)

    searches = await metrics.top_searches(f)
    assert (searches[0]["keyword"], searches[0]["searches"]) == ("手机", 15)
    assert [r["keyword"] for r in await metrics.no_result_searches(f)] == ["=HYPERLINK()"]


async def test_campaigns_and_their_filters(world) -> None:  # type: ignore[no-untyped-def]
    rows = {r["source"]: r for r in await metrics.campaigns(period())}
    assert rows["promo:77"]["cost_benefit"] == pytest.approx(0.1) and rows["promo:77"]["issuer"] == "shop"
    assert rows["coupon:9"]["issuer"] == "platform" and rows["coupon:9"]["cost_benefit"] == pytest.approx(0.05)
    assert rows["flash:3"]["cost_benefit"] is None  # no GMV driven: "—"
    assert [r["source"] for r in await metrics.campaigns(period(campaign="shop"))] == ["promo:77"]
    assert {r["source"] for r in await metrics.campaigns(period(campaign="platform"))} == {
        "coupon:9",
        "flash:3",
        "member:gold",
    }
    assert (rows["member:gold"]["label"], rows["member:gold"]["rank"]) == ("Member price", "gold")
    assert [r["source"] for r in await metrics.campaigns(period(campaign="coupon:9"))] == ["coupon:9"]
    assert [r["source"] for r in await metrics.campaigns(period(shop=world["s2"]))] == []


async def test_retention_cohorts(world) -> None:  # type: ignore[no-untyped-def]
    cohorts = await metrics.retention(period(), today=day(12))
    first = next(c for c in cohorts if c.day == day(10))
    assert first.size == 4 and first.d1 == 0.5
    assert first.d7 is None and first.d30 is None  # not observable on the 12th
    later = await metrics.retention(period(), today=metrics.today())  # 20 December
    first = next(c for c in later if c.day == day(10))
    assert (first.d1, first.d7, first.d30) == (0.5, 0.25, 0.25)
    assert next(c for c in later if c.day == day(11)).size == 1
