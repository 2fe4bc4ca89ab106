"""The order journey on a phone, in Chinese and English. A new shopper adds two products from two shops to the
cart, changes a quantity, adds an address on the way to checkout, and pays once on the sandbox cashier, which
creates two orders. The seller of one shop ships its order; the shopper sees the tracking and confirms receipt."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from e2e.helpers import DEMO_SELLER, add_address_from_checkout, add_to_cart, htmx_idle, log_in, open_product, submit, t
from e2e.seed import ORDER_PRODUCTS


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_two_shops_one_payment_two_orders_ship_and_confirm(phone, desktop, make_account, locale: str) -> None:  # type: ignore[no-untyped-def]
    account = make_account()
    page = phone(locale)
    log_in(page, account.identifier, account.password)

    (shop_a, cup, _), (shop_b, tea, _) = ORDER_PRODUCTS
    open_product(page, cup)
    add_to_cart(page, locale)
    open_product(page, tea)
    add_to_cart(page, locale)

    page.goto("/cart")
    expect(page.get_by_role("link", name=shop_a)).to_be_visible()
    expect(page.get_by_role("link", name=shop_b)).to_be_visible()
    total_before = page.locator("#cart-total").inner_text()
    htmx_idle(page)
    page.get_by_role("button", name=t("One more", locale)).first.click()
    expect(page.locator("#cart-total")).not_to_have_text(total_before)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.goto("/checkout")
    add_address_from_checkout(page, locale)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    submit(page, page.get_by_role("button", name=t("Submit order", locale)))
    expect(page).to_have_url(re.compile(r"/sandbox/pay/"))
    submit(page, page.locator("button.sbx-pay"))
    expect(page).to_have_url(re.compile(r"/pay/\d+/return"))
    expect(page.get_by_text(t("Payment received", locale))).to_be_visible(timeout=20_000)

    page.goto("/me/orders?tab=to_ship")
    expect(page.get_by_text(cup).first).to_be_visible()
    expect(page.get_by_text(tea).first).to_be_visible()
    assert page.locator("a.ocard__body").count() == 2

    # the seller of the cup's shop ships its order
    seller = desktop(locale)
    log_in(seller, *DEMO_SELLER)
    seller.goto(f"/seller/orders/?tab=paid&q={account.identifier}")
    seller.locator("a.so-order__no").first.click()
    expect(seller.get_by_text(cup).first).to_be_visible()
    seller.locator("select[name=carrier]").select_option(index=1)
    seller.locator("input[name=tracking_no]").fill("SF1234567890")
    seller.get_by_role("button", name=t("Ship", locale), exact=True).click()
    expect(seller.get_by_text("SF1234567890").first).to_be_visible()

    # the shopper sees the tracking and confirms receipt
    page.goto("/me/orders?tab=to_receive")
    page.locator("a.ocard__body").first.click()
    expect(page.get_by_text("SF1234567890")).to_be_visible()
    page.locator("details.oconfirm summary").last.click()
    submit(page, page.get_by_role("button", name=t("Yes, I received it", locale)))
    expect(page.locator(".obanner, .alert").first).to_be_visible()
    page.goto("/me/orders?tab=completed")
    expect(page.get_by_text(cup).first).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
