"""The dashboards over HTTP: who may see them, the filters (page and htmx fragment), bad input, the seller's own
shop only, CSV exports and the home pages' summary blocks."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime

import pytest

from app.core import clock
from tests.factories import login, make_category, make_product, make_shop, make_user
from tests.integration.analytics.dashboard_rows import seed

EN = {"Accept-Language": "en"}
PERIOD = "range=custom&start=2026-11-10&end=2026-11-12"


@pytest.fixture
async def world():  # type: ignore[no-untyped-def]
    s1, s2 = await make_shop(name="一号店"), await make_shop(name="二号店")
    c1, c2 = await make_category(name="数码"), await make_category(name="服装")
    p1 = await make_product(shop=s1, category=c1, title="好手机")
    p2 = await make_product(shop=s2, category=c2, title="好衣服")
    await seed(s1=s1.id, s2=s2.id, p1=p1, p2=p2, c1=c1, c2=c2)
    original = clock._now
    clock.use_clock(lambda: datetime(2026, 11, 12, 4, tzinfo=UTC))  # the 12th in Shanghai
    yield {"s1": s1, "s2": s2, "c1": c1}
    clock.use_clock(original)


def kpi(html: str, key: str) -> str:
    """The value shown on a KPI card."""
    start = html.index(f'id="kpi-{key}"')
    value = html.index("an-kpi__value", start)
    return html[html.index(">", value) + 1 : html.index("</p>", value)].strip()


@pytest.mark.parametrize("roles", [("operations",), ("finance",), ("admin",)])
async def test_operations_finance_and_admins_see_the_platform_numbers(client, world, roles) -> None:  # type: ignore[no-untyped-def]
    await login(client, await make_user(roles=roles))
    page = await client.get(f"/admin/analytics/?{PERIOD}", headers=EN)
    assert page.status_code == 200
    assert kpi(page.text, "gmv") == "¥800.00" and kpi(page.text, "orders") == "8"
    assert kpi(page.text, "aov") == "¥200.00" and kpi(page.text, "conversion") == "10.0%"
    assert kpi(page.text, "repurchase") == "50.0%" and kpi(page.text, "bounce") == "37.5%"
    assert "+100.0%" in page.text  # GMV against the previous period
    assert "二号店" in page.text and "好衣服" in page.text and "手机" in page.text  # ranking, best sellers, searches
    assert '<svg class="chart chart--line"' in page.text and 'id="table-daily"' in page.text
    assert "/admin/analytics/export/products.csv?range=custom&amp;start=2026-11-10&amp;end=2026-11-12" in page.text


@pytest.mark.parametrize("roles", [(), ("moderator",)])
async def test_others_may_not(client, world, roles) -> None:  # type: ignore[no-untyped-def]
    await login(client, await make_user(roles=roles))
    assert (await client.get("/admin/analytics/")).status_code == 403
    assert (await client.get(f"/admin/analytics/export/overview.csv?{PERIOD}")).status_code == 403


async def test_the_shop_filter_and_the_htmx_fragment(client, world) -> None:  # type: ignore[no-untyped-def]
    await login(client, await make_user(roles=("operations",)))
    url = f"/admin/analytics/?{PERIOD}&shop={world['s1'].id}"
    page = await client.get(url, headers={**EN, "HX-Request": "true"})
    assert page.status_code == 200 and "HX-Request" in page.headers["vary"]
    assert page.text.lstrip().startswith('<div id="analytics-results"') and "<html" not in page.text
    assert kpi(page.text, "gmv") == "¥300.00" and kpi(page.text, "refund_amount") == "16.7%"
    assert kpi(page.text, "turnover") == "—"  # no stock snapshot for the shop: nothing to divide by
    assert "好衣服" not in page.text  # the other shop's product
    # the header's language links follow the filtered URL
    assert "/locale/zh_CN?next=%2Fadmin%2Fanalytics%3Frange%3Dcustom%26start%3D2026-11-10" in page.text
    preset = await client.get("/admin/analytics/?range=yesterday", headers={**EN, "HX-Request": "true"})
    assert 'hx-swap-oob="outerHTML:.an-filters__dates"' in preset.text and 'value="2026-11-11"' in preset.text
    full = await client.get(url, headers=EN)  # a reload keeps the filters
    assert f'<option value="{world["s1"].id}" selected>' in full.text and kpi(full.text, "gmv") == "¥300.00"


async def test_presets_and_bad_dates(client, world) -> None:  # type: ignore[no-untyped-def]
    await login(client, await make_user(roles=("operations",)))
    today = await client.get("/admin/analytics/?range=today", headers=EN)
    assert "2026-11-12 to 2026-11-12" in today.text and kpi(today.text, "gmv") == "¥0.00"
    week = await client.get("/admin/analytics/", headers=EN)  # default: the last 7 days
    assert "2026-11-06 to 2026-11-12" in week.text and kpi(week.text, "gmv") == "¥1,200.00"
    bad = await client.get("/admin/analytics/?range=custom&start=2026-11-12&end=2026-11-01", headers=EN)
    assert bad.status_code == 422 and "The end date must be on or after the start date." in bad.text
    assert 'value="2026-11-01"' in bad.text and '<option value="custom" selected>' in bad.text  # what was typed stays
    long = await client.get("/admin/analytics/?range=custom&start=2024-01-01&end=2026-11-01", headers=EN)
    assert long.status_code == 422 and "at most 366 days" in long.text
    fragment = await client.get(
        "/admin/analytics/?range=custom&start=2026-11-12&end=2026-11-01", headers={**EN, "HX-Request": "true"}
    )
    assert fragment.status_code == 422 and 'role="alert"' in fragment.text and "<html" not in fragment.text
    garbage = await client.get("/admin/analytics/?range=custom&start=soon&end=2026-11-01", headers=EN)
    assert garbage.status_code == 422 and "YYYY-MM-DD" in garbage.text


async def test_csv_exports_carry_the_filters_and_are_safe_in_a_spreadsheet(client, world) -> None:  # type: ignore[no-untyped-def]
    await login(client, await make_user(roles=("finance",)))
    response = await client.get(f"/admin/analytics/export/no-result.csv?{PERIOD}", headers=EN)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith("\ufeff".encode())
    assert "analytics-no-result-2026-11-10-2026-11-12.csv" in response.headers["content-disposition"]
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows == [["Keyword", "No result", "Searches"], ["'=HYPERLINK()", "3", "3"]]
    sellers = await client.get(f"/admin/analytics/export/sellers.csv?{PERIOD}&shop={world['s2'].id}", headers=EN)
    rows = list(csv.reader(io.StringIO(sellers.content.decode("utf-8-sig"))))
    assert rows[1:] == [["二号店", "500.00", "5", "0.0000", "0.0000"]]
    overview = await client.get(f"/admin/analytics/export/overview.csv?{PERIOD}", headers=EN)
    lines = {r[0]: r for r in csv.reader(io.StringIO(overview.content.decode("utf-8-sig")))}
    assert lines["GMV"][1:] == ["800.00", "400.00", "1.0000"]
    assert lines["Bounce rate"][2] == "—"
    campaigns = await client.get(f"/admin/analytics/export/campaigns.csv?{PERIOD}&campaign=platform", headers=EN)
    rows = list(csv.reader(io.StringIO(campaigns.content.decode("utf-8-sig"))))
    assert rows[1:] == [
        ["coupon:9", "Platform", "1", "1", "100.00", "5.00", "0.0500"],
        ["Member price (gold)", "Platform", "1", "1", "9.00", "1.00", "0.1111"],
        ["flash:3", "Platform", "0", "0", "0.00", "0.00", "—"],
    ]
    assert (await client.get(f"/admin/analytics/export/secrets.csv?{PERIOD}")).status_code == 404


async def test_a_seller_sees_its_own_shop_whatever_the_query_says(client, world) -> None:  # type: ignore[no-untyped-def]
    await login(client, world["s1"].owner)
    page = await client.get(f"/seller/analytics/?{PERIOD}&shop={world['s2'].id}", headers=EN)
    assert page.status_code == 200
    assert kpi(page.text, "gmv") == "¥300.00" and kpi(page.text, "orders") == "3"
    assert "好手机" in page.text and "好衣服" not in page.text and "二号店" not in page.text
    assert "Shop ratings (DSR)" in page.text
    assert "promo:77" in page.text  # its own promotion's results
    export = await client.get(f"/seller/analytics/export/products.csv?{PERIOD}&shop={world['s2'].id}", headers=EN)
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert [r[0] for r in rows[1:]] == ["好手机"]
    assert (await client.get(f"/seller/analytics/export/sellers.csv?{PERIOD}")).status_code == 404  # admin only
    dsr = await client.get("/seller/analytics/export/dsr.csv", headers=EN)
    assert dsr.content.decode("utf-8-sig").splitlines()[1] == "Your shop,0.0000,0.0000,0.0000,0"
    assert (await client.get("/admin/analytics/")).status_code == 403


async def test_the_home_pages_summaries(client, world) -> None:  # type: ignore[no-untyped-def]
    await login(client, world["s2"].owner)
    home = await client.get("/seller/", headers=EN)
    assert 'hx-get="/seller/analytics/summary"' in home.text
    block = await client.get("/seller/analytics/summary", headers=EN)
    assert "¥500.00" in block.text  # s2: 200 on the 10th + 300 on the 11th, within the last 7 days
    await login(client, await make_user(roles=("operations",)))
    assert 'hx-get="/admin/analytics/summary"' in (await client.get("/admin/", headers=EN)).text
    block = await client.get("/admin/analytics/summary", headers=EN)
    assert "¥1,200.00" in block.text and "Today" in block.text  # the 6th to the 12th: 400 + 500 + 300
