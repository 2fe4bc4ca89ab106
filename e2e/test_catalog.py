"""Finding and looking at products on a phone: search → filter → sort → product → SKU → favourite."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from e2e.helpers import log_in, t
from e2e.seed import COTTON, SPEED

LOCALES = ["zh_CN", "en"]


@pytest.mark.parametrize("locale", LOCALES)
def test_search_filter_sort_pick_a_sku_and_favourite_it(phone, make_account, locale: str) -> None:
    account = make_account()
    page = phone(locale)
    log_in(page, account.identifier, account.password, next="/")

    page.locator("form.searchbox input[name=q]").fill("集市测试")
    page.locator("form.searchbox button[type=submit]").click()
    page.wait_for_url(re.compile(r"/search\?q="))
    results = page.locator("#results")
    expect(results.locator(".pcard__title", has_text=SPEED)).to_be_visible()
    expect(results.locator(".pcard__title", has_text=COTTON)).to_be_visible()
    expect(page.locator(".results__count")).to_have_text(
        t("%(num)s products", locale, num=2) if locale == "en" else re.compile("2")
    )

    # filter: a minimum price of ¥50 leaves only the quick-dry shirt (htmx swaps the results, URL kept)
    page.locator("details.filters-panel summary").click()
    page.locator("input[name=price_min]").fill("50")
    page.locator(".filters-form button[type=submit]").click()
    expect(page.locator(".pcard__title", has_text=COTTON)).to_have_count(0)
    expect(page.locator(".pcard__title", has_text=SPEED)).to_have_count(1)
    expect(page).to_have_url(re.compile(r"price_min=50"))

    # sort by price (ascending), then back to the two of them
    page.goto("/search?q=集市测试")
    page.locator(".sorts a", has_text=t("Price", locale)).click()
    expect(page).to_have_url(re.compile(r"sort=price_asc"))
    titles = page.locator("#results .pcard__title")
    expect(titles.first).to_have_text(COTTON)

    # open the product, pick 白色 + M, then 黑色 + XL: the price follows the SKU
    page.locator(".pcard__title", has_text=SPEED).click()
    page.wait_for_url(re.compile(r"/p/\d+"))
    buybox = page.locator("#buybox")
    expect(buybox.locator(".price__now")).to_contain_text("¥89.00")
    expect(buybox.locator(".price__now")).to_contain_text("¥129.00")  # a range before choosing
    buybox.get_by_role("link", name="白色", exact=True).click()
    page.locator("#buybox").get_by_role("link", name="M", exact=True).click()
    expect(page.locator("#buybox .price__now")).to_have_text("¥89.00")
    expect(page).to_have_url(re.compile(r"spec\."))
    page.locator("#buybox").get_by_role("link", name="黑色", exact=True).click()
    page.locator("#buybox").get_by_role("link", name="XL", exact=True).click()
    expect(page.locator("#buybox .price__now")).to_have_text("¥99.00")
    expect(page.locator("#buybox")).to_contain_text(t("In stock", locale))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the product page scrolls sideways"

    # favourite it (htmx) and find it under "me"
    page.locator("form.fav button").click()
    expect(page.locator("form.fav button")).to_have_attribute("aria-pressed", "true")
    page.goto("/me")
    page.get_by_role("link", name=t("My favourites", locale)).click()
    expect(page.locator(".row__title", has_text=SPEED)).to_be_visible()


def test_sold_out_option_is_marked(phone) -> None:
    page = phone("en")
    page.goto("/search?q=集市测试速干")
    page.locator(".pcard__title", has_text=SPEED).click()
    page.locator("#buybox").get_by_role("link", name="白色", exact=True).click()
    expect(page.locator("#buybox a.chip--out", has_text="XL")).to_have_count(1)
