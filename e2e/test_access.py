"""Who may open the seller center and the platform admin, and what an admin's ban leaves behind."""

from __future__ import annotations

import re

from playwright.sync_api import expect

from e2e.helpers import (
    DEMO_ADMIN,
    DEMO_BUYER,
    DEMO_SELLER,
    DEMO_SELLER_SHOP,
    fill_login,
    log_in,
    submit,
    t,
)


def test_anonymous_seller_center_redirects_to_login_and_back(desktop) -> None:
    page = desktop("zh_CN")

    page.goto("/seller/")

    # Litestar hands handlers the path without its trailing slash; /seller and /seller/ are the same page.
    expect(page).to_have_url(re.compile(r"/login\?next=%2Fseller(%2F)?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Log in", "zh_CN"))
    expect(page.locator("input[name=next]")).to_have_value(re.compile(r"^/seller/?$"))

    fill_login(page, *DEMO_SELLER)

    expect(page).to_have_url(re.compile(r"/seller/?$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(DEMO_SELLER_SHOP)
    expect(page.locator(".console-bar__context")).to_have_text(DEMO_SELLER_SHOP)
    expect(page.locator(".console-bar .brand")).to_contain_text(t("Seller Center", "zh_CN"))


def test_buyer_gets_403_on_admin(desktop) -> None:
    page = desktop("zh_CN")
    log_in(page, *DEMO_BUYER)
    expect(page).to_have_url(re.compile(r"/me$"))

    response = page.goto("/admin/")

    assert response is not None and response.status == 403
    expect(page.get_by_role("heading", level=1)).to_have_text(t("You don't have access to this page", "zh_CN"))
    expect(page.locator(".error-page")).to_contain_text(
        t(
            "Your account does not have permission for this page. If you think it should, contact the platform.",
            "zh_CN",
        )
    )
    expect(page.locator(".error-page__code")).to_have_text("403")
    expect(page.locator("body")).not_to_contain_text("Traceback")


def test_admin_bans_user_and_audit_log_shows_it(desktop, phone, make_account) -> None:
    account = make_account()
    page = desktop("zh_CN")
    log_in(page, *DEMO_ADMIN, next="/admin/users/")
    expect(page).to_have_url(re.compile(r"/admin/users/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Users", "zh_CN"))

    page.locator("input[name=q]").fill(account.identifier)
    submit(page, page.get_by_role("button", name=t("Filter", "zh_CN"), exact=True))
    row = page.locator("tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text(account.identifier)
    expect(row).to_contain_text(account.nickname)
    expect(row.locator(".badge--active")).to_have_text(t("Active", "zh_CN"))
    user_id = (row.get_attribute("id") or "").removeprefix("user-")
    assert user_id.isdigit()

    row.locator("input[name=reason]").fill("spam")  # a ban needs a reason (issue 9)
    submit(page, row.get_by_role("button", name=t("Ban", "zh_CN"), exact=True))

    expect(page).to_have_url(re.compile(r"/admin/users/?\?q="))
    expect(page.locator("#flashes")).to_contain_text(t("The account status has been updated.", "zh_CN"))
    row = page.locator(f"tr#user-{user_id}")
    expect(row.locator(".badge--banned")).to_have_text(t("Banned", "zh_CN"))
    expect(row.get_by_role("button", name=t("Unban", "zh_CN"), exact=True)).to_be_visible()

    page.get_by_role("link", name=t("Audit log", "zh_CN"), exact=True).click()
    expect(page).to_have_url(re.compile(r"/admin/audit/$"))
    entry = page.locator("tbody tr").filter(has_text="user.ban").filter(has_text=f"user #{user_id}")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text(DEMO_ADMIN[0])
    expect(entry).to_contain_text('"banned"')

    # The banned person cannot log in any more, and is told why.
    banned = phone("zh_CN")
    banned.goto("/login")
    fill_login(banned, account.identifier, account.password)
    expect(banned.get_by_role("alert")).to_have_text(
        t("This account has been suspended. Contact customer service.", "zh_CN")
    )
