"""The storefront shell: language switching, error pages, and the Content-Security-Policy."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import ConsoleMessage, expect

from e2e.helpers import DEMO_BUYER, HTML_LANG, log_in, t


def test_locale_switcher(phone) -> None:
    page = phone("zh_CN")
    page.goto("/")
    tabbar = page.locator("nav.tabbar")
    expect(tabbar).to_contain_text(t("Home", "zh_CN"))
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG["zh_CN"])

    page.locator("nav.locale").get_by_role("link", name="English").click()

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(tabbar.get_by_role("link", name="Home", exact=True)).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Welcome to Jishi", "en"))
    expect(page.locator("nav.locale .locale__item--current")).to_have_text("English")

    tabbar.get_by_role("link", name="Categories", exact=True).click()
    expect(page).to_have_url(re.compile(r"/categories$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(tabbar.get_by_role("link", name="Categories", exact=True)).to_have_attribute("aria-current", "page")

    page.locator("nav.locale").get_by_role("link", name="中文").click()
    expect(page).to_have_url(re.compile(r"/categories$"))
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG["zh_CN"])
    expect(tabbar).to_contain_text(t("Categories", "zh_CN"))


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_error_page_404_in_both_languages(phone, locale: str) -> None:
    page = phone(locale)

    response = page.goto("/does-not-exist")

    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", level=1)).to_have_text(t("Page not found", locale))
    expect(page.locator(".error-page")).to_contain_text(
        t("The page you are looking for does not exist or has been removed.", locale)
    )
    expect(page.locator("html")).to_have_attribute("lang", HTML_LANG[locale])
    expect(page.get_by_role("link", name=t("Go to the home page", locale))).to_have_attribute("href", "/")
    expect(page.locator("nav.tabbar")).to_be_visible()
    expect(page.locator("body")).not_to_contain_text("Traceback")


def test_no_inline_script_and_csp_header(phone) -> None:
    page = phone("zh_CN")
    violations: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text or "Content-Security-Policy" in message.text:
            violations.append(message.text)

    page.on("console", on_console)

    def check(path: str, status: int = 200) -> None:
        response = page.goto(path)
        assert response is not None and response.status == status, f"{path}: {response and response.status}"
        csp = response.headers.get("content-security-policy", "")
        assert "script-src 'self'" in csp, f"{path}: CSP header is {csp!r}"
        assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp, f"{path}: {csp}"
        page.wait_for_load_state("load")
        inline = page.evaluate(
            "[...document.querySelectorAll('script:not([src]):not([type=\"application/ld+json\"])')]"
            ".map(s => s.outerHTML)"
        )
        assert inline == [], f"{path} has inline script: {inline}"
        styled = page.evaluate("document.querySelectorAll('[style]').length")
        assert styled == 0, f"{path} has style attributes, which the CSP blocks"
        # htmx loaded and configured itself without tripping the policy
        assert page.evaluate("typeof window.htmx === 'object'"), f"{path}: htmx did not load"

    for path in ("/", "/login", "/register", "/me"):
        check(path)
    check("/does-not-exist", 404)
    log_in(page, *DEMO_BUYER)
    check("/me")
    check("/me/profile")

    assert violations == [], "CSP violations in the console:\n" + "\n".join(violations)
