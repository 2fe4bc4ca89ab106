"""The platform analytics dashboard on a desktop and on a phone: an admin filters by a custom date range and then by
shop; the numbers and the GMV chart change without a page load (htmx), the URL carries the filters and a reload
keeps them; the language switch keeps them too. Rollup rows come from e2e/analytics_seed.py (14 days, 20 to 7 days
ago: the platform's GMV on day i is (i + 1) x ¥100, the demo shop's (i + 1) x ¥10). No sideways scroll at 360px."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from e2e.analytics_seed import ANALYST
from e2e.helpers import htmx_idle, log_in, t

ROOT = Path(__file__).resolve().parent.parent


def seed(server_env: dict[str, str]) -> dict:  # type: ignore[type-arg]
    command = [sys.executable, "-m", "e2e.analytics_seed"]
    done = subprocess.run(command, cwd=ROOT, env=server_env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def gmv(page: Page):  # type: ignore[no-untyped-def]
    return page.locator("#kpi-gmv .an-kpi__value")


def chart_points(page: Page) -> str:
    """The GMV chart's drawing: its line and its axis labels."""
    return page.locator("#chart-gmv").inner_html()


def no_sideways_scroll(page: Page) -> None:
    width = page.viewport_size["width"] if page.viewport_size else 1280
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize(("device", "locale"), [("desktop", "zh_CN"), ("phone", "en")])
def test_admin_filters_the_dashboard_by_dates_and_shop(request, server_env, device: str, locale: str) -> None:  # type: ignore[no-untyped-def]
    data = seed(server_env)
    first = date.fromisoformat(data["first"])
    start, end = first.isoformat(), (first + timedelta(days=6)).isoformat()
    page: Page = request.getfixturevalue(device)(locale)
    log_in(page, *ANALYST, next="/admin/analytics/")
    page.wait_for_url("**/admin/analytics/")
    expect(page.get_by_role("heading", name=t("Analytics", locale), exact=True)).to_be_visible()
    no_sideways_scroll(page)
    page.evaluate("window.__sameDocument = 'yes'")  # gone if anything reloads the page
    before = chart_points(page)

    page.locator("#an-start").fill(start)  # typing a date switches the range to "custom" (static/js/analytics.js)
    htmx_idle(page)
    page.locator("#an-end").fill(end)
    htmx_idle(page)
    expect(page.locator("#an-range")).to_have_value("custom")
    expect(gmv(page)).to_have_text("¥2,800.00")  # 100 + 200 + ... + 700
    expect(page).to_have_url(re.compile(rf"range=custom.*start={start}.*end={end}"))
    assert chart_points(page) != before

    after_dates = chart_points(page)
    page.locator("#an-shop").select_option(str(data["shop"]))
    htmx_idle(page)
    expect(gmv(page)).to_have_text("¥280.00")
    expect(page).to_have_url(re.compile(rf"shop={data['shop']}"))
    assert chart_points(page) != after_dates
    assert page.evaluate("window.__sameDocument") == "yes"  # no full reload
    no_sideways_scroll(page)

    page.reload()
    expect(gmv(page)).to_have_text("¥280.00")
    expect(page.locator("#an-shop")).to_have_value(str(data["shop"]))
    expect(page.locator("#an-start")).to_have_value(start)
    no_sideways_scroll(page)

    # the language switch keeps the filters (the header's links follow the pushed URL)
    page.locator("#an-start").fill((first + timedelta(days=7)).isoformat())
    htmx_idle(page)
    page.locator("#an-end").fill((first + timedelta(days=13)).isoformat())
    htmx_idle(page)
    expect(gmv(page)).to_have_text("¥770.00")  # 80 + 90 + ... + 140
    other = "en" if locale == "zh_CN" else "zh_CN"
    page.locator(f".console-bar .locale a[lang={other.replace('_', '-')}]").click()
    expect(page.get_by_role("heading", name=t("Analytics", other), exact=True)).to_be_visible()
    expect(gmv(page)).to_have_text("¥770.00")
    expect(page.locator("#an-shop")).to_have_value(str(data["shop"]))
    no_sideways_scroll(page)
