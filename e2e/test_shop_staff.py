"""Seller center on a desktop: the owner invites a warehouse clerk, who gets the seller center but not the
staff page; the owner edits the shop notice, previews and publishes it, and a shopper on a phone sees it."""

from __future__ import annotations

import re
import uuid

from playwright.sync_api import expect

from e2e.helpers import DEMO_SELLER, DEMO_SELLER_SHOP, log_in, submit, t


def test_owner_invites_warehouse_staff_and_publishes_a_notice(desktop, phone, make_account) -> None:
    locale = "zh_CN"
    clerk = make_account()
    owner = desktop(locale)
    log_in(owner, *DEMO_SELLER, next="/seller/staff/")
    expect(owner.locator("h1")).to_have_text(t("Staff", locale))

    invite = owner.locator("form.staff-invite")
    invite.locator("input[name=identifier]").fill(clerk.identifier)
    invite.locator("select[name=role]").select_option("warehouse")
    submit(owner, invite.locator("button[type=submit]"))
    row = owner.locator("#staff-table tr", has_text=clerk.identifier)
    expect(row).to_be_visible()
    expect(row.locator("select[name=role]")).to_have_value("warehouse")

    # the clerk reaches the seller center of the shop, but not its staff page
    staff = desktop(locale)
    log_in(staff, clerk.identifier, clerk.password, next="/seller/")
    expect(staff.locator("h1.page-title")).to_have_text(DEMO_SELLER_SHOP)
    expect(staff.locator("body")).to_contain_text(t("Warehouse", locale))
    forbidden = staff.goto("/seller/staff/")
    assert forbidden is not None and forbidden.status == 403
    expect(staff.locator("body")).to_contain_text(t("You don't have access to this page", locale))

    # the owner writes a notice: saved as a draft, shown by the preview, published from it
    notice = f"春季上新 {uuid.uuid4().hex[:6]}，满99包邮"
    owner.goto("/seller/")
    shop_path = owner.locator("a[href^='/s/']").first.get_attribute("href")
    assert shop_path and re.fullmatch(r"/s/\d+", shop_path)
    owner.goto("/seller/shop/")
    owner.locator("textarea[name=notice]").fill(notice)
    submit(owner, owner.locator("form[action='/seller/shop/texts'] button[type=submit]"))
    expect(owner.locator("textarea[name=notice]")).to_have_value(notice)

    shopper = phone(locale)
    shopper.goto(shop_path)
    expect(shopper.locator("h1")).to_have_text(DEMO_SELLER_SHOP)
    expect(shopper.locator("body")).not_to_contain_text(notice)

    owner.locator(".publish-bar a[href='/seller/shop/preview']").click()
    owner.wait_for_url(re.compile(r"/seller/shop/preview"))
    expect(owner.locator(".preview-bar")).to_contain_text(t("Preview", locale))
    expect(owner.locator(".shopnotice")).to_contain_text(notice)
    submit(owner, owner.locator(".preview-bar button[type=submit]"))
    expect(owner.locator(".alert--success")).to_contain_text(t("Your shop page has been published.", locale))

    shopper.goto(shop_path)
    expect(shopper.locator(".shopnotice")).to_contain_text(notice)
    expect(shopper.locator(".preview-bar")).to_have_count(0)
    assert shopper.evaluate("document.documentElement.scrollWidth") <= 360, "the shop page scrolls sideways"


def test_inviting_an_unknown_account_explains_what_to_do(desktop) -> None:
    locale = "en"
    owner = desktop(locale)
    log_in(owner, *DEMO_SELLER, next="/seller/staff/")
    unknown = f"nobody-{uuid.uuid4().hex[:8]}@jishi.test"
    invite = owner.locator("form.staff-invite")
    invite.locator("input[name=identifier]").fill(unknown)
    invite.locator("select[name=role]").select_option("finance")
    submit(owner, invite.locator("button[type=submit]"))
    message = t("No account uses this email or mobile number. Ask them to register on Jishi first.", locale)
    expect(owner.locator("#e-identifier")).to_have_text(message)
    expect(owner.locator("form.staff-invite input[name=identifier]")).to_have_value(unknown)
    expect(owner.locator("form.staff-invite select[name=role]")).to_have_value("finance")
    expect(owner.locator("#staff-table")).not_to_contain_text(unknown)
