"""The dashboards' pure arithmetic: filters and presets, ratios ("—" for nothing to divide by), comparisons."""

from __future__ import annotations

from datetime import date

import pytest

from app.analytics.controllers import csv_bytes, safe_cell
from app.analytics.metrics import (
    FilterError,
    Filters,
    build_kpis,
    change,
    cohort_row,
    fill_days,
    funnel_steps,
    kpi_values,
    parse_filters,
    preset_range,
    ratio,
)

TODAY = date(2026, 11, 23)


@pytest.mark.parametrize(
    ("preset", "start", "end"),
    [
        ("today", date(2026, 11, 23), date(2026, 11, 23)),
        ("yesterday", date(2026, 11, 22), date(2026, 11, 22)),
        ("7d", date(2026, 11, 17), date(2026, 11, 23)),
        ("30d", date(2026, 10, 25), date(2026, 11, 23)),
        ("month", date(2026, 11, 1), date(2026, 11, 23)),
    ],
)
def test_presets_end_today(preset: str, start: date, end: date) -> None:
    assert preset_range(preset, TODAY) == (start, end)
    f = parse_filters({"range": preset}, today=TODAY)
    assert (f.start, f.end, f.preset) == (start, end, preset)


def test_the_default_is_the_last_7_days_of_the_platform() -> None:
    f = parse_filters({}, today=TODAY)
    assert (f.start, f.end, f.shop, f.category, f.campaign) == (date(2026, 11, 17), TODAY, 0, None, None)


def test_custom_ranges_and_their_previous_period() -> None:
    f = parse_filters({"range": "custom", "start": "2026-11-01", "end": "2026-11-10"}, today=TODAY)
    assert f.days == 10
    prev = f.previous()
    assert (prev.start, prev.end) == (date(2026, 10, 22), date(2026, 10, 31))
    # dates alone mean a custom range
    assert parse_filters({"start": "2026-11-01", "end": "2026-11-01"}, today=TODAY).days == 1


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"range": "custom", "start": "2026-11-10", "end": "2026-11-01"}, "on or after"),
        ({"range": "custom", "start": "2025-01-01", "end": "2026-11-01"}, "at most"),
        ({"range": "custom", "start": "2026-11-01"}, "both"),
        ({"range": "custom", "start": "tomorrow", "end": "2026-11-01"}, "YYYY-MM-DD"),
        ({"range": "forever"}, "date range"),
        ({"shop": "1; DROP TABLE shop"}, "from the list"),
        ({"campaign": "promo:1' OR 1=1"}, "from the list"),
    ],
)
def test_bad_filters_say_what_is_wrong(params: dict[str, str], message: str) -> None:
    with pytest.raises(FilterError) as err:
        parse_filters(params, today=TODAY)
    assert message in err.value.message


def test_a_seller_filter_keeps_its_own_shop() -> None:
    f = parse_filters({"shop": "99", "campaign": "promo:7", "category": "3"}, today=TODAY, shop=5)
    assert (f.shop, f.campaign, f.category) == (5, "promo:7", 3)
    assert "shop" not in f.query(with_shop=False) and f.query()["shop"] == "5"


def test_the_query_reproduces_the_filters() -> None:
    f = Filters(start=date(2026, 11, 1), end=date(2026, 11, 3), shop=2, campaign="platform", preset="custom")
    assert parse_filters(f.query(), today=TODAY) == f
    assert Filters(start=TODAY, end=TODAY, preset="today").query() == {"range": "today"}


def test_ratios_and_changes() -> None:
    assert ratio(1, 4) == 0.25
    assert ratio(5, 0) is None and ratio(None, 3) is None and ratio(0, 3) == 0
    assert change(150, 100, "money") == 0.5
    assert change(0.12, 0.1, "ratio") == pytest.approx(0.02)  # percentage points
    assert change(10, 0, "count") is None and change(None, 1, "count") is None


def test_kpis_from_period_sums() -> None:
    cur = {
        "gmv_fen": 10000, "refund_fen": 1000, "orders": 4, "buyers": 2, "repeat_buyers": 1, "uv": 50,
        "paying_visitors": 2, "sessions": 0, "refunded_orders": 1, "avg_stock_fen": 20000.0, "sold_value_fen": 5000,
    }  # fmt: skip
    kpis = {k.key: k for k in build_kpis(cur, {"gmv_fen": 5000, "orders": 4}, shop=0)}
    assert kpis["aov"].value == 5000 and kpis["order_avg"].value == 2500
    assert kpis["net_gmv"].value == 9000
    assert kpis["conversion"].value == 0.04 and kpis["conversion"].previous is None
    assert kpis["bounce"].value is None  # no sessions: "—", not 0
    assert kpis["turnover"].value == 0.25
    assert kpis["gmv"].delta == 1.0 and kpis["gmv"].trend == "good"
    assert kpis["refund_amount"].good_when_up is False
    assert "new_users" not in {k.key for k in build_kpis(cur, {}, shop=3)}
    assert kpi_values({})["gmv"] == 0 and kpi_values({})["aov"] is None


def test_fill_days_and_the_funnel() -> None:
    rows = [{"day": date(2026, 11, 2), "gmv_fen": 5, "uv": 4, "paying_visitors": 1}]
    points = fill_days(rows, date(2026, 11, 1), date(2026, 11, 3))
    assert [(p.day.day, p.gmv_fen, p.conversion) for p in points] == [(1, 0, None), (2, 5, 0.25), (3, 0, None)]
    steps = funnel_steps({"uv": 100, "product_viewers": 50, "cart_adders": 10, "checkout_visitors": 0})
    assert [s.step_ratio for s in steps] == [None, 0.5, 0.2, 0.0, None]
    assert [s.overall for s in steps] == [1.0, 0.5, 0.1, 0.0, 0.0]


def test_cohorts_show_nothing_for_days_that_have_not_passed() -> None:
    row = {"first_day": date(2026, 11, 20), "size": 4, "d1": 2, "d7": 0, "d30": 0}
    c = cohort_row(row, today=TODAY)
    assert (c.size, c.d1, c.d7, c.d30) == (4, 0.5, None, None)
    assert cohort_row({**row, "size": 0}, today=TODAY).d1 is None


def test_csv_cells_cannot_become_formulas() -> None:
    assert [safe_cell(v) for v in ("=1+1", "+1", "-2", "@SUM(A1)", "\tx", "ok", None, 0.5, 3)] == [
        "'=1+1", "'+1", "'-2", "'@SUM(A1)", "'\tx", "ok", "—", "0.5000", "3",
    ]  # fmt: skip
    body = csv_bytes(["名称"], [["=cmd|' /C calc'!A0"]])
    assert body.startswith("\ufeff名称\r\n".encode()) and b"'=cmd" in body


def test_the_dashboards_read_rollups_only() -> None:
    """No dashboard query scans raw orders or events (issue 9): only analytics_daily_* and small name lookups."""
    import re
    from pathlib import Path

    import app.analytics.controllers as controllers
    import app.analytics.metrics as metrics

    source = Path(metrics.__file__).read_text() + Path(controllers.__file__).read_text()
    tables = set(re.findall(r"\b(?:FROM|JOIN)\s+([a-z_]+)", source))
    lookups = {"shop", "category", "product", "promotion", "coupon_template", "flash_item", "flash_session"}
    assert tables - lookups <= {t for t in tables if t.startswith("analytics_daily_")}
    assert {"analytics_daily_site", "analytics_daily_buyer", "analytics_daily_active"} <= tables
