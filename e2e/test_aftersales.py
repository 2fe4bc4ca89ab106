"""After-sales on a phone, in Chinese and English. A buyer with a delivered, paid order (seeded: one cup of the demo
shop 小米优选旗舰店) applies from the order page. (1) Return and refund: the seller approves with a return address,
the buyer ships the item back, the seller confirms receipt and the buyer sees the refund. (2) Dispute: the seller
rejects, the buyer escalates with a statement, an admin rules a full refund and the buyer sees the ruling.
No buyer page scrolls sideways at 360px."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from e2e.helpers import DEMO_ADMIN, DEMO_SELLER, log_in, t
from e2e.seed import ORDER_PRODUCTS

ROOT = Path(__file__).resolve().parent.parent
_, CUP, CUP_FEN = ORDER_PRODUCTS[0]
CUP_YUAN = f"{CUP_FEN // 100}.{CUP_FEN % 100:02d}"


def seed_delivered_order(server_env: dict[str, str], identifier: str) -> int:
    """A delivered and paid order for the buyer, in the server's database; returns the order id."""
    done = subprocess.run(
        [sys.executable, "-m", "e2e.aftersales_seed", identifier],
        cwd=ROOT,
        env=server_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return int(done.stdout.strip().splitlines()[-1])


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


def status_badge(page: Page):  # type: ignore[no-untyped-def]
    return page.locator(".as-head .badge").first


def summary(page: Page):  # type: ignore[no-untyped-def]
    """The request's facts (type, reason, amounts, addresses, shipment), above the timeline."""
    return page.locator(".as-dl").first


def apply_from_order(page: Page, locale: str, order_id: int, *, kind: str, reason: str) -> int:
    """On the order page, the lazy "Apply for after-sales" button, then the form; returns the request id."""
    page.goto(f"/me/orders/{order_id}")
    expect(page.get_by_text(CUP).first).to_be_visible()
    apply = page.get_by_role("link", name=t("Apply for after-sales", locale))
    expect(apply).to_be_visible()
    no_sideways_scroll(page)
    apply.click()
    page.wait_for_url(re.compile(r"/me/aftersales/apply\?item=\d+"))
    expect(page.get_by_role("heading", name=t("Apply for after-sales", locale))).to_be_visible()
    expect(page.locator("input[name=amount]")).to_have_value(CUP_YUAN)  # the whole line, by default
    no_sideways_scroll(page)
    page.get_by_label(t(kind, locale)).check()
    page.locator("select[name=reason]").select_option(label=t(reason, locale))
    page.locator("textarea[name=note]").fill("杯口有裂纹 cracked rim")
    page.locator("form[action='/me/aftersales/apply'] button[type=submit]").click()
    page.wait_for_url(re.compile(r"/me/aftersales/\d+$"))
    expect(status_badge(page)).to_have_text(t("Awaiting the seller", locale))
    expect(page.get_by_text(t("Request sent", locale))).to_be_visible()
    no_sideways_scroll(page)
    return int(page.url.rsplit("/", 1)[1])


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_return_and_refund(phone, desktop, make_account, server_env, locale: str) -> None:  # type: ignore[no-untyped-def]
    account = make_account()
    order_id = seed_delivered_order(server_env, account.identifier)
    buyer = phone(locale)
    log_in(buyer, account.identifier, account.password)
    request_id = apply_from_order(buyer, locale, order_id, kind="Return and refund", reason="Damaged or defective")
    buyer.goto(f"/me/orders/{order_id}")  # the order page now links to the open request instead
    in_progress = buyer.get_by_role("link", name=t("After-sales in progress", locale))
    expect(in_progress).to_have_attribute("href", f"/me/aftersales/{request_id}")
    in_progress.click()
    buyer.wait_for_url(re.compile(rf"/me/aftersales/{request_id}$"))

    # the seller approves with the address to send the item back to
    seller = desktop(locale)
    log_in(seller, *DEMO_SELLER, next=f"/seller/aftersales/{request_id}")
    expect(status_badge(seller)).to_have_text(t("Awaiting the seller", locale))
    seller.locator("input[name=return_name]").fill("退货组")
    seller.locator("input[name=return_phone]").fill("13800001111")
    seller.locator("input[name=return_address]").fill("北京市海淀区清河中街 68 号")
    seller.get_by_role("button", name=t("Approve", locale), exact=True).click()
    expect(status_badge(seller)).to_have_text(t("Approved", locale))

    # the buyer sees the address and ships the item back
    buyer.reload()
    expect(status_badge(buyer)).to_have_text(t("Approved", locale))
    expect(summary(buyer)).to_contain_text("北京市海淀区清河中街 68 号")
    no_sideways_scroll(buyer)
    tracking = f"SF{uuid.uuid4().int % 10**10:010d}"
    buyer.locator("select[name=carrier]").select_option(index=1)
    buyer.locator("input[name=tracking_no]").fill(tracking)
    buyer.get_by_role("button", name=t("I have shipped it", locale)).click()
    expect(status_badge(buyer)).to_have_text(t("Return shipped", locale))
    expect(summary(buyer)).to_contain_text(tracking)
    # the timeline names the carrier (the first of the list: SF Express), not its code
    expect(buyer.locator(".as-timeline")).to_contain_text(f"{t('SF Express', locale)} {tracking}")

    # the seller confirms receipt, which refunds the buyer
    seller.reload()
    expect(summary(seller)).to_contain_text(tracking)
    seller.get_by_role("button", name=t("Return received", locale)).click()
    expect(status_badge(seller)).to_have_text(t("Refunded", locale))

    buyer.reload()
    expect(status_badge(buyer)).to_have_text(t("Refunded", locale))
    expect(summary(buyer)).to_contain_text(t("Refunded", locale))
    expect(summary(buyer)).to_contain_text(CUP_YUAN)
    timeline = buyer.locator(".as-timeline")
    expect(timeline).to_contain_text(t("Return received", locale))
    expect(timeline.locator(".as-timeline__what").first).to_have_text(t("Refunded", locale))  # newest first
    no_sideways_scroll(buyer)

    # the order page offers no new application for the line refunded in full (the lazy button answers empty)
    buyer.goto(f"/me/orders/{order_id}")
    expect(buyer.get_by_text(CUP).first).to_be_visible()
    expect(buyer.locator("[hx-get^='/aftersales/items/']")).to_have_count(0)
    expect(buyer.locator("a.as-action")).to_have_count(0)
    no_sideways_scroll(buyer)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_rejected_request_escalated_and_ruled(phone, desktop, make_account, server_env, locale: str) -> None:  # type: ignore[no-untyped-def]
    account = make_account()
    order_id = seed_delivered_order(server_env, account.identifier)
    buyer = phone(locale)
    log_in(buyer, account.identifier, account.password)
    request_id = apply_from_order(buyer, locale, order_id, kind="Refund only", reason="Not as described")

    # the seller rejects it, with a reason the buyer reads
    seller = desktop(locale)
    log_in(seller, *DEMO_SELLER, next=f"/seller/aftersales/{request_id}")
    seller.locator("textarea[name=reason]").fill("商品与描述一致 as described")
    seller.get_by_role("button", name=t("Reject", locale), exact=True).click()
    expect(status_badge(seller)).to_have_text(t("Rejected", locale))

    buyer.reload()
    expect(status_badge(buyer)).to_have_text(t("Rejected", locale))
    expect(summary(buyer)).to_contain_text("商品与描述一致 as described")
    no_sideways_scroll(buyer)
    statement = f"颜色和图片完全不同 colour differs {uuid.uuid4().hex[:6]}"
    buyer.locator("textarea[name=statement]").fill(statement)
    buyer.get_by_role("button", name=t("Escalate", locale)).click()
    expect(status_badge(buyer)).to_have_text(t("Platform reviewing", locale))
    expect(buyer.locator(".as-dl").last).to_contain_text(statement)  # the platform review section
    no_sideways_scroll(buyer)

    # an admin finds the dispute and rules a full refund
    admin = desktop(locale)
    log_in(admin, *DEMO_ADMIN, next="/admin/aftersales/")
    admin.locator(f"a[href='/admin/aftersales/{request_id}']").click()
    admin.wait_for_url(re.compile(rf"/admin/aftersales/{request_id}$"))
    expect(admin.locator(".as-dl").last).to_contain_text(statement)
    admin.get_by_label(t("Refund in full", locale)).check()
    admin.locator("textarea[name=reason]").fill("图片与实物不符 photos differ")
    admin.get_by_role("button", name=t("Record the ruling", locale)).click()
    expect(status_badge(admin)).to_have_text(t("Ruled by the platform", locale))

    # the buyer sees the ruling, the reason and the money
    buyer.reload()
    expect(status_badge(buyer)).to_have_text(t("Ruled by the platform", locale))
    review = buyer.locator("section", has=buyer.get_by_role("heading", name=t("Platform review", locale)))
    expect(review).to_contain_text(t("Refund in full", locale))
    expect(review).to_contain_text("图片与实物不符 photos differ")
    expect(review).to_contain_text(CUP_YUAN)
    expect(buyer.locator(".as-timeline")).to_contain_text(t("Platform ruling: refund in full", locale))
    no_sideways_scroll(buyer)
