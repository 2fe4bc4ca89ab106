"""Opening a shop, the whole journey of the sellers issue: a person applies on a phone through the wizard, the
platform approves on a desktop and confirms the fees, the new owner lists a product with two specs, a moderator
approves it and a shopper finds it in search (zh_CN); plus the form-error path (en)."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from datetime import date, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from app.onboarding.demo import QUESTIONS
from e2e.helpers import DEMO_ADMIN, log_in, submit, t
from e2e.test_seller_products import _png, _spec

ROOT = Path(__file__).resolve().parent.parent
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
CREDIT_CODE = "91350100M000100Y43"
COMPANY = "福州集市好物有限公司"


@pytest.fixture(scope="module", autouse=True)
def onboarding_demo(server_env: dict[str, str]) -> None:
    """The exam and fee rules (idempotent; app.demo may already have loaded them)."""
    done = subprocess.run(
        [sys.executable, "-m", "app.onboarding.demo"],
        cwd=ROOT,
        env=server_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr


def _fill_shop_step(page: Page, locale: str, name: str) -> None:
    page.locator("input[name=shop_type][value=specialty]").check()
    page.locator("input[name=shop_name]").fill(name)
    expect(page.locator("#name-check")).to_have_text(t("This name is available.", locale))  # htmx, live
    page.locator("input[name=categories]").nth(0).check()
    page.locator("input[name=categories]").nth(1).check()
    submit(page, page.get_by_role("button", name=t("Save and continue", locale)))


def _answer(page: Page, *, right: bool) -> None:
    for question in page.locator("fieldset.question").all():
        legend = question.locator("legend").inner_text()
        _zh, _en, choices, answer = next(q for q in QUESTIONS if q[0] in legend or q[1] in legend)
        index = answer - 1 if right else (answer % len(choices))
        question.locator("input[type=radio]").nth(index).check()


def test_apply_get_approved_list_a_product_and_a_shopper_finds_it(phone, desktop, make_account) -> None:
    locale = "zh_CN"
    account = make_account()
    shop_name = f"集市好物{uuid.uuid4().hex[:6]}"
    page = phone(locale)
    log_in(page, account.identifier, account.password, next="/me")
    submit(page, page.get_by_role("link", name=t("Open a shop", locale)))
    expect(page).to_have_url(re.compile(r"/seller/apply$"))

    # 1 shop: type, name (checked as typed), categories
    _fill_shop_step(page, locale, shop_name)
    expect(page).to_have_url(re.compile(r"/step/company$"))
    # 2 company
    page.locator("input[name=company_name]").fill(COMPANY)
    page.locator("input[name=credit_code]").fill(CREDIT_CODE)
    page.locator("input[name=contact_name]").fill("王芳")
    page.locator("input[name=contact_phone]").fill("13912345678")
    submit(page, page.get_by_role("button", name=t("Save and continue", locale)))
    expect(page).to_have_url(re.compile(r"/step/documents$"))
    # 3 documents
    page.locator("select[name=kind]").select_option("licence")
    page.locator("input[name=file]").set_input_files(
        {"name": "licence.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    page.locator("input[name=expires_on]").fill((date.today() + timedelta(days=400)).isoformat())
    submit(page, page.get_by_role("button", name=t("Upload", locale), exact=True))
    expect(page.locator(".docs")).to_contain_text(t("Business licence / identity card", locale))
    submit(page, page.get_by_role("button", name=t("Continue", locale), exact=True))
    expect(page).to_have_url(re.compile(r"/step/exam$"))
    # 4 exam: wrong first (marked), then right
    _answer(page, right=False)
    submit(page, page.get_by_role("button", name=t("Hand in the answers", locale)))
    expect(page.locator(".question--wrong").first).to_be_visible()
    expect(page.locator(".question__mark").first).to_have_text(t("Wrong answer", locale))
    _answer(page, right=True)
    submit(page, page.get_by_role("button", name=t("Hand in the answers", locale)))
    expect(page).to_have_url(re.compile(r"/step/agreement$"))
    # 5 agreement
    page.locator("input[name=signed_name]").fill(COMPANY)
    submit(page, page.get_by_role("button", name=t("I agree and sign", locale)))
    expect(page).to_have_url(re.compile(r"/step/review$"))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the wizard scrolls sideways"
    # 6 submit
    submit(page, page.get_by_role("button", name=t("Submit the application", locale)))
    expect(page).to_have_url(re.compile(r"/seller/apply/status$"))
    expect(page.locator("#application-status")).to_contain_text(t("Under review", locale))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, "the status page scrolls sideways"

    # the platform approves on a desktop and confirms both fees
    admin = desktop(locale)
    log_in(admin, *DEMO_ADMIN, next="/admin/sellers/applications")
    submit(admin, admin.get_by_role("link", name=shop_name))
    expect(admin.locator(".kv")).to_contain_text(CREDIT_CODE)
    submit(admin, admin.get_by_role("button", name=t("Approve and create the shop", locale)))
    expect(admin).to_have_url(re.compile(r"/admin/shops/\d+$"))
    expect(admin.locator("#shop-status")).to_have_text(t("Waiting for fees", locale))

    page.goto("/seller/apply/status")
    expect(page.locator("#fees")).to_contain_text("¥20,000.00")
    expect(page.locator("#fees")).to_contain_text("¥3,000.00")

    for number in (1, 2):
        form = admin.locator("#fees form").first
        form.locator("input[name=reference]").fill(f"BANK-{number}")
        submit(admin, form.get_by_role("button", name=t("Confirm payment", locale)))
    expect(admin.locator("#shop-status")).to_have_text(t("Open", locale))

    # the new owner: told in the notifications, and in the Seller Center
    page.goto("/me/notifications/")
    expect(page.locator("#notifications")).to_contain_text(t("Your shop is open", locale))
    page.goto("/seller/")
    expect(page.locator(".console-bar__context")).to_have_text(shop_name)

    # the owner lists a product with two specs (颜色 × 尺码) in a category the shop applied for
    title = f"{shop_name} 纯棉T恤"
    owner = desktop(locale)
    log_in(owner, account.identifier, account.password, next="/seller/products/new")
    owner.wait_for_url(re.compile(r"/seller/products/new"))
    owner.locator("#f-title").fill(title)
    owner.locator("#f-category_id").select_option(index=1)
    _spec(owner, 0, "颜色", "白, 黑")
    expect(owner.locator(".sku-row")).to_have_count(2)
    _spec(owner, 1, "尺码", "M, L")
    expect(owner.locator(".sku-row")).to_have_count(4)
    owner.locator("#fill-price").fill("59")
    owner.locator("#fill-stock").fill("30")
    owner.get_by_role("button", name=t("Fill all rows", locale)).click()
    expect(owner.locator("#sku-3-price")).to_have_value("59")
    owner.locator("#f-upload").set_input_files([{"name": "tee.png", "mimeType": "image/png", "buffer": _png()}])
    submit(owner, owner.get_by_role("button", name=t("Save and submit for review", locale)))
    expect(owner.locator("h1 .badge")).to_have_text(t("Pending review", locale))
    product_id = int(re.search(r"/seller/products/(\d+)$", owner.url).group(1))  # type: ignore[union-attr]

    # a moderator approves it
    admin.goto("/admin/products/review/")
    admin.locator(f"#review-{product_id}").get_by_role("link", name=title).click()
    admin.wait_for_url(re.compile(rf"/admin/products/review/{product_id}$"))
    expect(admin.locator("#diff-new")).to_be_visible()  # never approved before: a new product
    submit(admin, admin.locator("#approve-form button[type=submit]"))
    expect(admin.locator(".flashes")).to_contain_text(t("Approved: the product is now on sale.", locale))

    # a shopper on a phone finds it by searching, opens it and picks a SKU
    shopper = phone(locale)
    shopper.goto("/")
    shopper.locator("form.searchbox input[name=q]").fill(title)
    submit(shopper, shopper.locator("form.searchbox button[type=submit]"))
    card = shopper.locator("#results .pcard__title", has_text=title)
    expect(card).to_be_visible()
    submit(shopper, card)
    expect(shopper).to_have_url(re.compile(rf"/p/{product_id}"))
    expect(shopper.locator("h1")).to_contain_text(title)
    expect(shopper.locator("body")).to_contain_text("59.00")


def test_a_bad_credit_code_is_explained_and_nothing_typed_is_lost(phone, make_account) -> None:
    locale = "en"
    account = make_account()
    page = phone(locale)
    log_in(page, account.identifier, account.password, next="/seller/apply")
    _fill_shop_step(page, locale, f"Good Things {uuid.uuid4().hex[:6]}")
    page.locator("input[name=company_name]").fill(COMPANY)
    page.locator("input[name=credit_code]").fill("91350100M000100Y44")
    page.locator("input[name=contact_name]").fill("Wang Fang")
    page.locator("input[name=contact_phone]").fill("13912345678")
    submit(page, page.get_by_role("button", name=t("Save and continue", locale)))
    expect(page.locator("#e-credit_code")).to_have_text(
        t("This unified social credit code is not valid: its last character does not match. Check for a typo.", locale)
    )
    expect(page.locator("input[name=company_name]")).to_have_value(COMPANY)
    expect(page.locator("input[name=contact_name]")).to_have_value("Wang Fang")
    expect(page.locator("input[name=credit_code]")).to_have_value("91350100M000100Y44")
    # a letter that codes never use
    page.locator("input[name=credit_code]").fill("91350100M000100I43")
    submit(page, page.get_by_role("button", name=t("Save and continue", locale)))
    expect(page.locator("#e-credit_code")).to_contain_text("I, O, S, V and Z")
    page.locator("input[name=credit_code]").fill(CREDIT_CODE)
    submit(page, page.get_by_role("button", name=t("Save and continue", locale)))
    expect(page).to_have_url(re.compile(r"/step/documents$"))
