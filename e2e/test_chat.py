"""Buyer–seller chat on a phone, in Chinese and English. A buyer opens a product of the demo shop 小米优选旗舰店, taps
"Contact the seller" and sends a question; the seller (a second browser context) sees the conversation's unread
badge in /seller/messages/, opens it and answers with a quick reply (seeded: e2e/chat_seed.py); the buyer's open
thread shows the answer without a reload (the thread polls every 3 s, decision 0018). No buyer page scrolls
sideways at 360px."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from e2e.chat_seed import QUICK_REPLY
from e2e.helpers import DEMO_SELLER, DEMO_SELLER_SHOP, htmx_idle, log_in, open_product, t
from e2e.seed import ORDER_PRODUCTS

ROOT = Path(__file__).resolve().parent.parent
_, CUP, _ = ORDER_PRODUCTS[0]


def seed_quick_reply(server_env: dict[str, str]) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "e2e.chat_seed"], cwd=ROOT, env=server_env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr[-3000:]


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_buyer_asks_and_the_shop_replies_quickly(phone, desktop, make_account, server_env, locale: str) -> None:  # type: ignore[no-untyped-def]
    seed_quick_reply(server_env)
    account = make_account()
    buyer = phone(locale)
    log_in(buyer, account.identifier, account.password)
    open_product(buyer, CUP)
    no_sideways_scroll(buyer)
    buyer.get_by_role("link", name=t("Contact the seller", locale)).click()
    buyer.wait_for_url(re.compile(r"/me/messages/\d+$"))
    expect(buyer.locator(".chat-context")).to_contain_text(CUP)  # the product is the conversation's context
    no_sideways_scroll(buyer)
    question = f"这个杯子能用洗碗机吗？Dishwasher safe? {uuid.uuid4().hex[:6]}"
    buyer.locator("textarea[name=text]").fill(question)
    buyer.get_by_role("button", name=t("Send", locale)).click()
    expect(buyer.locator(".chat-msg--mine").last).to_contain_text(question)
    htmx_idle(buyer)
    thread_url = buyer.url
    buyer.evaluate("document.documentElement.dataset.e2eLoaded = 'yes'")  # gone if the page were reloaded
    no_sideways_scroll(buyer)

    # the seller's shared inbox shows the conversation with its unread badge
    seller = desktop(locale)
    log_in(seller, *DEMO_SELLER, next="/seller/messages/")
    conversation = seller.locator(".chat-list__item", has_text=account.nickname)
    expect(conversation).to_have_class(re.compile(r"chat-list__item--unread"))
    expect(conversation.locator(".badge--pending")).to_contain_text("1")
    expect(conversation).to_contain_text(question)
    conversation.get_by_role("link").first.click()
    seller.wait_for_url(re.compile(r"/seller/messages/\d+$"))
    expect(seller.locator(".chat-msg").last).to_contain_text(question)
    htmx_idle(seller)
    seller.get_by_role("button", name=QUICK_REPLY).click()
    expect(seller.locator(".chat-msg--mine").last).to_contain_text(QUICK_REPLY)

    # the buyer's open thread shows the answer by itself (polling), with no reload
    answer = buyer.locator(".chat-msg:not(.chat-msg--mine)").last
    expect(answer).to_contain_text(QUICK_REPLY, timeout=15_000)
    expect(answer).to_contain_text(DEMO_SELLER_SHOP)
    assert buyer.url == thread_url
    assert buyer.evaluate("document.documentElement.dataset.e2eLoaded") == "yes"
    no_sideways_scroll(buyer)

    # read on both sides: the seller's inbox no longer counts it as unread
    seller.goto("/seller/messages/")
    expect(conversation).to_be_visible()
    expect(conversation.locator(".badge--pending")).to_have_count(0)
