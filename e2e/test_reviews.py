"""Reviewing a delivered order on a phone, in Chinese and English: a fresh buyer with a delivered order (seeded)
opens My orders and the order, taps "Review" (the lazy per-item fragment), gives stars and text and uploads two
photos; htmx swaps the form into the posted review, and the product page's reviews show it with both photos. No
page scrolls sideways at 360 px."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from app.core.i18n import translations
from e2e.conftest import ROOT
from e2e.helpers import htmx_idle, log_in, t


def seed_delivered_order(server_env: dict[str, str], identifier: str) -> tuple[int, int, int]:
    """(order id, order item id, product id)"""
    done = subprocess.run(
        [sys.executable, "-m", "e2e.reviews_seed", identifier],
        cwd=ROOT,
        env=server_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    order, item, product = done.stdout.strip().splitlines()[-1].split()
    return int(order), int(item), int(product)


def make_photos(folder: Path) -> list[str]:
    paths = []
    for number, colour in enumerate([(200, 40, 40), (40, 120, 200)], start=1):
        path = folder / f"photo-{number}.png"
        Image.new("RGB", (320, 240), colour).save(path)
        paths.append(str(path))
    return paths


def assert_no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_a_buyer_reviews_a_delivered_item_with_two_photos(  # type: ignore[no-untyped-def]
    phone, make_account, server_env, tmp_path: Path, locale: str
) -> None:
    account = make_account()
    order_id, item_id, product_id = seed_delivered_order(server_env, account.identifier)
    page = phone(locale)
    log_in(page, account.identifier, account.password)

    page.goto("/me/orders")
    page.locator(f'a[href="/me/orders/{order_id}"]').first.click()
    expect(page).to_have_url(re.compile(rf"/me/orders/{order_id}$"))
    review_link = page.locator(f'a[href="/reviews/items/{item_id}/new"]')
    expect(review_link).to_have_text(t("Review", locale))  # the lazy fragment answered
    assert_no_sideways_scroll(page)

    review_link.click()
    expect(page).to_have_url(re.compile(rf"/reviews/items/{item_id}/new$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Review", locale))
    htmx_idle(page)
    form = page.locator("#review-box form")
    form.locator("fieldset").filter(has_text=t("Rating", locale)).locator("label").filter(has_text="4★").click()
    text = f"{t('Your review', locale)} {uuid.uuid4().hex[:8]}: 做工不错, works well"
    page.get_by_label(t("Your review", locale)).fill(text)
    page.locator("#f-photos").set_input_files(make_photos(tmp_path))
    assert_no_sideways_scroll(page)
    page.evaluate("window.__not_reloaded = true")
    page.get_by_role("button", name=t("Post review", locale)).click()

    posted = page.locator("#review-box")
    expect(posted.get_by_role("status")).to_have_text(t("Thank you for your review.", locale))
    expect(posted.locator(".rv-item__text")).to_have_text(text)
    expect(posted.locator(".rv-photos li")).to_have_count(2)
    four_stars = translations(locale).ungettext("%(num)s star", "%(num)s stars", 4) % {"num": 4}
    expect(posted.locator(".rv-stars").first).to_have_attribute("aria-label", four_stars)
    assert page.evaluate("window.__not_reloaded === true")  # swapped in by htmx, no full page load
    expect(page.locator("#review-box form")).to_have_count(0)
    assert_no_sideways_scroll(page)

    page.goto(f"/p/{product_id}")
    reviews = page.locator("section#reviews")
    expect(reviews.locator(".rv-count")).to_have_text("(1)")
    mine = reviews.locator(".rv-item").filter(has_text=text)
    expect(mine).to_have_count(1)
    expect(mine.locator(".rv-photos img")).to_have_count(2)
    expect(reviews.get_by_role("link", name=f"{t('With photos', locale)} (1)")).to_be_visible()
    assert_no_sideways_scroll(page)
