"""Promotions on a phone, in Chinese and English: a new shopper (who got the welcome pack at sign-up) checks in for
points, claims a shop coupon in the coupon centre, fills the cart from two shops and sees how much more to spend
for the next tier, then checks out with the best coupons chosen for them plus points, pays once, and finds each
discount with its reason on the order."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from e2e.helpers import add_address_from_checkout, add_to_cart, htmx_idle, log_in, open_product, submit, t
from e2e.seed import ORDER_PRODUCTS

SHOP_COUPON = "小米优选满99减10"  # app/coupons/demo.py
WELCOME_COUPON = "新人红包 ¥10"


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_claim_a_coupon_see_the_tier_hint_and_pay_with_coupons_and_points(phone, make_account, locale: str) -> None:  # type: ignore[no-untyped-def]
    account = make_account()
    page = phone(locale)
    log_in(page, account.identifier, account.password)

    # points: today's check-in
    page.goto("/me/points")
    page.get_by_role("button", name=re.compile(re.escape(t("Check in today", locale)))).click()
    expect(page.get_by_role("button", name=re.compile(re.escape(t("Check in today", locale))))).to_have_count(0)

    # the coupon centre: claim the shop's coupon; the button turns into "claimed" without a reload
    page.goto("/coupons")
    ticket = page.locator(".coupon").filter(has_text=SHOP_COUPON).first
    htmx_idle(page)
    ticket.get_by_role("button", name=t("Claim", locale)).click()
    expect(ticket.get_by_text(t("Claimed", locale)).first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.goto("/me/coupons")
    expect(page.get_by_text(SHOP_COUPON).first).to_be_visible()
    expect(page.get_by_text(WELCOME_COUPON).first).to_be_visible()  # the welcome pack, granted at sign-up

    # two shops in the cart; four cups reach the coupon's threshold and show the next tier's hint
    (shop_a, cup, _), (_shop_b, tea, _) = ORDER_PRODUCTS
    open_product(page, cup)
    add_to_cart(page, locale)
    open_product(page, tea)
    add_to_cart(page, locale)
    page.goto("/cart")
    cup_line = page.locator(".cart-line").filter(has_text=cup)
    for _ in range(3):
        total = page.locator("#cart-total").inner_text()
        htmx_idle(page)
        cup_line.get_by_role("button", name=t("One more", locale)).click()
        expect(page.locator("#cart-total")).not_to_have_text(total)
    shop_section = page.locator("section.cart-shop").filter(has=page.get_by_role("link", name=shop_a)).first
    hint = shop_section.locator(".cart-hint").first
    expect(hint).to_be_visible()
    more = re.escape(t("Spend %(more)s more to save %(off)s", locale, more="MORE", off="OFF"))
    assert re.fullmatch(more.replace("MORE", ".+").replace("OFF", ".+"), hint.inner_text().strip())
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    # checkout: the best coupons are already chosen; points lower the total once ticked
    page.goto("/checkout")
    add_address_from_checkout(page, locale)
    expect(page.locator("label").filter(has_text=SHOP_COUPON).locator("input[type=radio]")).to_be_checked()
    expect(page.locator("label").filter(has_text=WELCOME_COUPON).locator("input[type=radio]")).to_be_checked()
    total = page.locator("#checkout-total").inner_text()
    htmx_idle(page)
    page.locator("input[name=use_points]").check()
    expect(page.locator("#checkout-total")).not_to_have_text(total)
    expect(page.locator(".co-row--off").filter(has_text=t("Points", locale))).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    htmx_idle(page)
    submit(page, page.get_by_role("button", name=t("Submit order", locale)))
    expect(page).to_have_url(re.compile(r"/sandbox/pay/"))
    submit(page, page.locator("button.sbx-pay"))
    expect(page.get_by_text(t("Payment received", locale))).to_be_visible(timeout=20_000)

    # the order keeps every discount with its reason
    page.goto("/me/orders?tab=to_ship")
    page.locator("a.ocard__body").filter(has_text=cup).first.click()
    breakdown = page.locator(".oprice__row--discount")
    expect(breakdown.filter(has_text=t("Coupon", locale)).first).to_be_visible()
    expect(breakdown.filter(has_text=t("Points", locale)).first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.goto("/me/coupons?tab=used")
    expect(page.get_by_text(SHOP_COUPON).first).to_be_visible()
