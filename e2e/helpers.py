"""Small helpers the journeys share: translated texts, unique accounts, logging in."""

from __future__ import annotations

import os
import re
import uuid
from dataclasses import dataclass
from urllib.parse import quote

from playwright.sync_api import APIRequestContext, Locator, Page, Response, expect

from app.core.i18n import translations

# The app's locale codes and the browser locale (Accept-Language) that selects each one.
BROWSER_LOCALE = {"zh_CN": "zh-CN", "en": "en-US"}
HTML_LANG = {"zh_CN": "zh-CN", "en": "en"}

# The server inherits RATE_LIMIT_WINDOW; messages about limits name it in minutes.
RATE_WINDOW_MINUTES = max(int(os.environ.get("RATE_LIMIT_WINDOW") or 900) // 60, 1)

DEMO_ADMIN = ("admin@jishi.test", "jishi-admin-2026")
DEMO_SELLER = ("seller1@jishi.test", "jishi-seller-2026")
DEMO_SELLER_SHOP = "小米优选旗舰店"
DEMO_BUYER = ("buyer@jishi.test", "jishi-buyer-2026")


def t(msgid: str, locale: str, /, **params: object) -> str:
    """What the server shows for `msgid` in `locale` (the same catalogs, read the same way)."""
    text = translations(locale).ugettext(msgid)
    return text % params if params else text


def new_email() -> str:
    return f"e2e-{uuid.uuid4().hex[:12]}@jishi.test"


def new_phone() -> str:
    return f"139{uuid.uuid4().int % 10**8:08d}"


def new_nickname(prefix: str = "e2e") -> str:
    return f"{prefix}{uuid.uuid4().hex[:8]}"


@dataclass(frozen=True)
class Account:
    identifier: str
    password: str
    nickname: str


def register_account(api: APIRequestContext, *, identifier: str | None = None) -> Account:
    """Sign up through the real form over HTTP (quick set-up for journeys that start with an account).
    `api` should be a fresh request context: it ends up signed in as the new account."""
    account = Account(identifier or new_email(), f"pw-{uuid.uuid4().hex[:12]}", new_nickname())
    page = api.get("/register")
    token = re.search(r'name="_csrf_token" value="([^"]+)"', page.text())
    assert token, "no CSRF token on /register"
    done = api.post(
        "/register",
        form={
            "_csrf_token": token.group(1),
            "identifier": account.identifier,
            "display_name": account.nickname,
            "password": account.password,
            "password_confirm": account.password,
        },
        max_redirects=0,
    )
    assert done.status == 303, f"registering {account.identifier} failed: {done.status} {done.text()[:500]}"
    return account


def submit(page: Page, button: Locator) -> Response | None:
    """Click a button that sends a form; returns the response of the page the browser lands on."""
    with page.expect_navigation() as navigation:
        button.click()
    return navigation.value


def fill_login(page: Page, identifier: str, password: str) -> Response | None:
    """Fill and send the login form on the page that shows it."""
    page.locator("input[name=identifier]").fill(identifier)
    page.locator("input[name=password]").fill(password)
    return submit(page, page.locator("form[action='/login'] button[type=submit]"))


def log_in(page: Page, identifier: str, password: str, *, next: str = "") -> Response | None:
    page.goto(f"/login?next={quote(next, safe='')}" if next else "/login")
    return fill_login(page, identifier, password)


# --- shopping steps shared by the journeys -------------------------------------------------------------------


def open_product(page: Page, title: str) -> None:
    page.goto(f"/search?q={title}")
    page.get_by_role("link", name=title).first.click()
    expect(page.get_by_role("heading", name=title)).to_be_visible()


def htmx_idle(page: Page) -> None:
    """Swapped-in elements get their htmx behaviour when the swap settles: wait for that before using them."""
    # polled from here: page.wait_for_function polls with eval() inside the page, which our CSP forbids
    busy = "!!document.querySelector('.htmx-request, .htmx-settling, .htmx-added, .htmx-swapping')"
    for _ in range(200):
        if not page.evaluate(busy):
            break
        page.wait_for_timeout(50)
    page.wait_for_timeout(50)


def add_to_cart(page: Page, locale: str) -> None:
    page.get_by_role("button", name=t("Add to cart", locale)).click()
    expect(page.locator("#buy-result")).not_to_be_empty()


def add_address_from_checkout(page: Page, locale: str, receiver: str = "李四") -> None:
    """On /checkout: add an address through the cascading selects and come back to checkout with it chosen."""
    submit(page, page.get_by_role("link", name=t("Add a new address", locale)))
    page.locator("input[name=receiver]").fill(receiver)
    page.locator("input[name=mobile]").fill("13912345678")
    page.locator("select[name=province]").select_option("310000")
    expect(page.locator("select[name=city] option[value='310100']")).to_be_attached()
    htmx_idle(page)
    page.locator("select[name=city]").select_option("310100")
    expect(page.locator("select[name=district] option[value='310115']")).to_be_attached()
    page.locator("select[name=district]").select_option("310115")
    page.locator("textarea[name=detail]").fill("世纪大道 100 号")
    submit(page, page.locator("#address-form button[type=submit]").last)
    expect(page).to_have_url(re.compile(r"/checkout"))
    expect(page.get_by_text(receiver)).to_be_visible()
