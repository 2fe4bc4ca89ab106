"""Seller assessment on a phone: the public shop ranking (商家排行榜, scored by the demo loader) in Chinese and
English, the recommended badge on the top shop's page, the seller's score page and the operators' assessment
pages. No page scrolls sideways at 360px."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from e2e.helpers import DEMO_ADMIN, DEMO_SELLER, htmx_idle, log_in, t


def no_sideways_scroll(page: Page) -> None:
    width = page.viewport_size["width"] if page.viewport_size else 1280
    assert page.evaluate("document.documentElement.scrollWidth") <= width, page.url


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_the_shop_ranking_on_a_phone(phone, locale: str) -> None:  # type: ignore[no-untyped-def]
    page: Page = phone(locale)
    page.goto("/categories")
    page.get_by_role("link", name=t("Shop ranking", locale)).click()
    page.wait_for_url("**/shops/ranking")
    expect(page.get_by_role("heading", name=t("Shop ranking", locale))).to_be_visible()
    items = page.locator("#shop-ranking > li")
    assert items.count() >= 3
    top = items.first
    expect(top.locator(".rank-badge--rec")).to_have_text(t("Recommended shop", locale))
    no_sideways_scroll(page)
    top.locator(".rank-item__name").click()
    htmx_idle(page)
    expect(page.locator(".shop-rec")).to_contain_text(t("Recommended shop", locale))
    no_sideways_scroll(page)


def test_seller_and_operator_pages_on_a_phone(phone) -> None:  # type: ignore[no-untyped-def]
    seller: Page = phone("en")
    log_in(seller, *DEMO_SELLER, next="/seller/assessment/")
    seller.wait_for_url("**/seller/assessment/")
    expect(seller.locator(".assess-score__total strong")).to_be_visible()
    assert seller.locator(".assess-comp").count() == 6
    no_sideways_scroll(seller)

    admin: Page = phone("zh_CN")
    log_in(admin, *DEMO_ADMIN, next="/admin/assessment/")
    admin.wait_for_url("**/admin/assessment/")
    no_sideways_scroll(admin)
    admin.locator("#assess-ranking tbody a").first.click()
    admin.wait_for_url("**/admin/assessment/shops/*")
    expect(admin.locator("#apply-form")).to_be_visible()
    no_sideways_scroll(admin)
