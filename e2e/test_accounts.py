"""Signing up, logging out and in on a phone, and what a person sees when logging in goes wrong."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from e2e.helpers import (
    HTML_LANG,
    RATE_WINDOW_MINUTES,
    fill_login,
    new_email,
    new_nickname,
    submit,
    t,
)

LOCALES = ["zh_CN", "en"]


@pytest.mark.parametrize("locale", LOCALES)
def test_register_logout_login_on_phone(phone, locale: str) -> None:
    page = phone(locale)
    email, password = new_email(), "long-enough-2026"
    nickname = new_nickname("小明" if locale == "zh_CN" else "Ming")

    page.goto("/register")
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[locale])
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Create an account", locale))
    expect(page.locator("label[for=f-identifier]")).to_have_text(t("Email or mobile number", locale))
    expect(page.locator("nav.tabbar")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the sign-up page scrolls sideways"

    page.locator("input[name=identifier]").fill(email)
    page.locator("input[name=display_name]").fill(nickname)
    page.locator("input[name=password]").fill(password)
    page.locator("input[name=password_confirm]").fill(password)
    submit(page, page.get_by_role("button", name=t("Create account", locale), exact=True))

    expect(page).to_have_url(re.compile(r"/me$"))
    expect(page.locator("#flashes")).to_contain_text(t("Welcome to Jishi! Your account is ready.", locale))
    expect(page.get_by_role("heading", level=1)).to_have_text(nickname)
    expect(page.locator(".profile-card")).to_contain_text(email)
    tabbar = page.locator("nav.tabbar")
    expect(tabbar).to_be_visible()
    expect(tabbar.get_by_role("link", name=t("Me", locale), exact=True)).to_have_attribute("aria-current", "page")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "/me scrolls sideways on a phone"

    submit(page, page.get_by_role("button", name=t("Log out", locale), exact=True))
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("#flashes")).to_contain_text(t("You have logged out.", locale))

    tabbar.get_by_role("link", name=t("Me", locale), exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Welcome to Jishi", locale))
    page.locator("main").get_by_role("link", name=t("Log in", locale), exact=True).click()
    expect(page).to_have_url(re.compile(r"/login\?next=/me$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Log in", locale))

    fill_login(page, email, password)
    expect(page).to_have_url(re.compile(r"/me$"))
    expect(page.locator("#flashes")).to_contain_text(t("You are logged in.", locale))
    expect(page.get_by_role("heading", level=1)).to_have_text(nickname)
    assert page.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.parametrize("locale", LOCALES)
def test_wrong_password_keeps_email_and_shows_message(phone, make_account, locale: str) -> None:
    account = make_account()
    page = phone(locale)
    page.goto("/login")

    response = fill_login(page, account.identifier, "not-the-password")

    assert response is not None and response.status == 422
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("alert")).to_have_text(t("Wrong email/mobile number or password.", locale))
    expect(page.locator("input[name=identifier]")).to_have_value(account.identifier)
    expect(page.locator("input[name=password]")).to_have_value("")
    assert account.password not in page.content()


def test_too_many_attempts_refused(phone, make_account) -> None:
    """The server runs with LOGIN_LIMIT_PER_ACCOUNT=3: the 4th try is refused even with the right password."""
    account = make_account()
    page = phone("zh_CN")
    page.goto("/login")
    wrong = t("Wrong email/mobile number or password.", "zh_CN")

    for attempt in range(3):
        fill_login(page, account.identifier, f"wrong-password-{attempt}")
        expect(page.get_by_role("alert")).to_have_text(wrong)

    response = fill_login(page, account.identifier, account.password)

    assert response is not None and response.status == 429
    refused = t(
        "Too many failed attempts for this account. Please try again in %(minutes)s minutes.",
        "zh_CN",
        minutes=RATE_WINDOW_MINUTES,
    )
    expect(page.get_by_role("alert")).to_have_text(refused)
    expect(page.locator("input[name=identifier]")).to_have_value(account.identifier)
    page.goto("/me")
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Welcome to Jishi", "zh_CN"))
