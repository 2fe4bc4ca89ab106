"""A flash sale on a phone, in Chinese and English: the shopper opens /flash a minute before the session starts
and sees the countdown and a disabled button; the server's clock moves past the start (the test hook), and the
button enables itself without a reload (htmx polls the session's state with the server's time); one tap places the
order and lands on payment."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from datetime import datetime, timedelta

import pytest
from playwright.sync_api import expect

from e2e.conftest import ROOT
from e2e.helpers import log_in, t


def seed_flash(server_env: dict[str, str], identifier: str, starts_at: datetime, title: str) -> tuple[int, int]:
    """(flash item id, session id)"""
    done = subprocess.run(
        [sys.executable, "-m", "e2e.flash_seed", identifier, starts_at.isoformat(), title],
        cwd=ROOT,
        env=server_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    item, session = done.stdout.strip().splitlines()[-1].split()
    return int(item), int(session)


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_a_flash_session_starts_on_the_servers_clock_and_the_shopper_buys(  # type: ignore[no-untyped-def]
    phone, make_account, server_env, locale: str
) -> None:
    account = make_account()
    page = phone(locale)
    log_in(page, account.identifier, account.password)
    server_now = datetime.fromisoformat(page.request.post("/_test/clock", form={"advance_seconds": "0"}).json()["now"])
    title = f"秒杀测试 {uuid.uuid4().hex[:6]}"
    item, session = seed_flash(server_env, account.identifier, server_now + timedelta(seconds=60), title)

    page.goto("/flash/")
    page.locator(f'a[href="/flash/?session={session}"]').click()  # its tab (another session may be on now)
    card = page.locator(f"#flash-item-{item}")
    expect(card.get_by_text(title)).to_be_visible()
    expect(page.locator("#flash-countdown")).to_contain_text(t("Starts in", locale))
    countdown = page.locator("#flash-countdown time")
    expect(countdown).to_have_text(re.compile(r"^00:0[01]:\d\d$"))
    first = countdown.inner_text()
    expect(countdown).not_to_have_text(first, timeout=3_000)  # it ticks
    button = card.get_by_role("button", name=t("Starts soon", locale))
    expect(button).to_be_disabled()
    expect(card.locator("progress")).to_have_attribute("value", "0")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.evaluate("window.__not_reloaded = true")
    moved = page.request.post("/_test/clock", form={"advance_seconds": "120"})
    assert moved.ok
    buy = card.get_by_role("button", name=t("Buy now", locale))
    expect(buy).to_be_enabled(timeout=12_000)  # the next poll (every 5 s) brings the server's new state
    assert page.evaluate("window.__not_reloaded === true")  # no full reload happened
    expect(page.locator("#flash-countdown")).to_contain_text(t("Ends in", locale))
    assert page.evaluate("document.documentElement.scrollWidth") <= 360

    page.wait_for_function("!document.querySelector('.htmx-request, .htmx-settling, .htmx-swapping')")
    buy.click()
    expect(page).to_have_url(re.compile(r"/(sandbox/)?pay/"), timeout=10_000)
