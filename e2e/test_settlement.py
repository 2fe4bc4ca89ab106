"""Settlement on a phone, in Chinese and English: the demo seller (小米优选旗舰店) opens /seller/finance/, sees its
balances, opens the statement that holds a freshly settled order (seeded: one cup, completed past T+N) and
downloads it as CSV and as Excel; both files hold the order with its amounts. No page scrolls sideways at 360px."""

from __future__ import annotations

import csv
import io
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from e2e.helpers import DEMO_SELLER, log_in, t
from e2e.seed import ORDER_PRODUCTS

ROOT = Path(__file__).resolve().parent.parent
_, CUP, CUP_FEN = ORDER_PRODUCTS[0]
CUP_YUAN = f"{CUP_FEN // 100}.{CUP_FEN % 100:02d}"


def seed_settled_order(server_env: dict[str, str]) -> tuple[int, str]:
    done = subprocess.run(
        [sys.executable, "-m", "e2e.settlement_seed"],
        cwd=ROOT,
        env=server_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    statement_id, order_no = done.stdout.strip().splitlines()[-1].split()
    return int(statement_id), order_no


def no_sideways_scroll(page: Page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= 360, page.url


@pytest.mark.parametrize("locale", ["zh_CN", "en"])
def test_seller_downloads_a_statement_on_a_phone(phone, server_env, locale: str) -> None:  # type: ignore[no-untyped-def]
    statement_id, order_no = seed_settled_order(server_env)
    page = phone(locale)
    log_in(page, *DEMO_SELLER, next="/seller/finance/")
    expect(page.get_by_role("heading", name=t("Finance", locale), exact=True)).to_be_visible()
    expect(page.locator("#bal-available")).to_contain_text("¥")
    no_sideways_scroll(page)

    page.locator(f'a[href="/seller/finance/statements/{statement_id}"]').click()
    expect(page.locator(".page-title")).to_contain_text(t("Statement %(no)s", locale, no="").strip())
    expect(page.get_by_text(order_no)).to_be_visible()
    no_sideways_scroll(page)

    with page.expect_download() as csv_download:
        page.get_by_role("link", name=t("Download CSV", locale)).click()
    data = Path(csv_download.value.path()).read_bytes()
    assert data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))
    assert rows[1][4] == t("Sales", locale)
    line = next(r for r in rows if order_no in r)
    assert line[4] == CUP_YUAN  # the buyer paid the cup's price, no postage, no discount
    assert line[2] == t("Settled order", locale)

    with page.expect_download() as xlsx_download:
        page.get_by_role("link", name=t("Download Excel", locale)).click()
    xlsx = Path(xlsx_download.value.path()).read_bytes()
    with zipfile.ZipFile(io.BytesIO(xlsx)) as book:
        sheet = book.read("xl/worksheets/sheet1.xml").decode("utf-8")
        strings = book.read("xl/sharedStrings.xml").decode("utf-8") if "xl/sharedStrings.xml" in book.namelist() else ""
    assert order_no in sheet + strings
    assert CUP_YUAN.rstrip("0").rstrip(".") in sheet
