"""A seller lists a product: two specs (颜色 × 尺码) make the SKU table, bulk fill, an uploaded image, submit
for review; and a form error (a missing price) keeps everything else typed."""

from __future__ import annotations

import asyncio
import io
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from e2e.conftest import ROOT
from e2e.helpers import DEMO_SELLER, log_in, submit, t


@pytest.fixture(scope="module", autouse=True)
def granted_categories(server_env: dict[str, str]) -> None:
    """Until app.demo runs app.catalog.seller_demo.load_demo(), run it here; and make sure seller1's shop may
    sell in at least one category even if it sells nothing yet."""
    done = subprocess.run(
        [sys.executable, "-m", "app.catalog.seller_demo"], cwd=ROOT, env=server_env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr

    async def grant() -> None:
        import asyncpg

        conn = await asyncpg.connect(server_env["DATABASE_URL"])
        try:
            await conn.execute(
                "INSERT INTO shop_category_grant (shop, category, created_at) "
                "SELECT s.id, (SELECT min(id) FROM category WHERE level = 1), now() FROM shop s "
                "WHERE NOT EXISTS (SELECT 1 FROM shop_category_grant g WHERE g.shop = s.id) "
                "ON CONFLICT DO NOTHING"
            )
        finally:
            await conn.close()

    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, grant()).result()


def _png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (320, 240), (200, 40, 40)).save(buf, "PNG")
    return buf.getvalue()


def _spec(page: Page, index: int, name: str, values: str) -> None:
    page.locator(f"#spec-{index}-name").fill(name)
    page.locator(f"#spec-{index}-values").fill(values)
    page.locator(f"#spec-{index}-values").press("Tab")  # leaving the field fires "change": htmx asks for the table


def test_seller_lists_a_product_with_two_specs_and_an_image(desktop) -> None:
    locale = "zh_CN"
    page = desktop(locale)
    log_in(page, *DEMO_SELLER, next="/seller/products/new")
    page.wait_for_url(re.compile(r"/seller/products/new"))
    page.locator("#f-title").fill("集市测试 双规格T恤")
    page.locator("#f-category_id").select_option(index=1)

    _spec(page, 0, "颜色", "红, 蓝")
    expect(page.locator(".sku-row")).to_have_count(2)  # htmx rebuilt the table
    _spec(page, 1, "尺码", "S, M")
    expect(page.locator(".sku-row")).to_have_count(4)
    expect(page.locator(".sku-row th").nth(3)).to_contain_text("蓝 / M")

    page.locator("#fill-price").fill("99")
    page.locator("#fill-stock").fill("20")
    page.get_by_role("button", name=t("Fill all rows", locale)).click()
    expect(page.locator("#sku-3-price")).to_have_value("99")
    expect(page.locator("#sku-0-stock")).to_have_value("20")
    page.locator("#sku-0-price").fill("89.50")

    page.locator("#f-upload").set_input_files([{"name": "shirt.png", "mimeType": "image/png", "buffer": _png()}])
    submit(page, page.get_by_role("button", name=t("Save and submit for review", locale)))
    expect(page).to_have_url(re.compile(r"/seller/products/\d+$"))
    expect(page.locator(".alert--success")).to_contain_text(
        t("Saved and sent for review. It goes on sale once a moderator approves it.", locale)
    )
    expect(page.locator("h1 .badge")).to_have_text(t("Pending review", locale))
    expect(page.locator(".sku-row")).to_have_count(4)
    expect(page.locator("#sku-0-price")).to_have_value("89.50")
    expect(page.locator(".image-list__item")).to_have_count(1)

    page.goto("/seller/products/?tab=pending")
    expect(page.locator(".row__title", has_text="集市测试 双规格T恤")).to_be_visible()


def test_a_missing_price_keeps_everything_typed(desktop) -> None:
    locale = "en"
    page = desktop(locale)
    log_in(page, *DEMO_SELLER, next="/seller/products/new")
    page.wait_for_url(re.compile(r"/seller/products/new"))
    page.locator("#f-title").fill("E2E shirt with a gap")
    page.locator("#f-category_id").select_option(index=1)
    _spec(page, 0, "颜色", "红, 蓝")
    expect(page.locator(".sku-row")).to_have_count(2)
    page.locator("#sku-0-price").fill("19.90")
    page.locator("#sku-0-stock").fill("5")
    page.locator("#sku-1-stock").fill("7")
    page.locator("#sku-1-code").fill("BLUE-1")
    page.locator("#f-description").fill("<p>Soft cotton</p>")
    submit(page, page.get_by_role("button", name=t("Save", locale), exact=True))

    expect(page.locator("#e-sku-1-price")).to_have_text(t("Enter a price.", locale))
    expect(page.locator("#f-title")).to_have_value("E2E shirt with a gap")
    expect(page.locator("#spec-0-values")).to_have_value("红, 蓝")
    expect(page.locator("#sku-0-price")).to_have_value("19.90")
    expect(page.locator("#sku-1-stock")).to_have_value("7")
    expect(page.locator("#sku-1-code")).to_have_value("BLUE-1")
    expect(page.locator("#f-description")).to_have_value("<p>Soft cotton</p>")
    assert page.locator("#f-category_id").input_value() != ""


def test_the_product_pages_fit_a_phone(phone) -> None:
    page = phone("zh_CN")
    log_in(page, *DEMO_SELLER, next="/seller/products/new")
    page.wait_for_url(re.compile(r"/seller/products/new"))
    _spec(page, 0, "颜色", "红, 蓝")
    expect(page.locator(".sku-row")).to_have_count(2)
    for url in ("/seller/products/new", "/seller/products/?tab=all", "/seller/images/", "/seller/products/import"):
        if url != "/seller/products/new":
            page.goto(url)
        assert page.evaluate("document.documentElement.scrollWidth") <= 360, f"{url} scrolls sideways"
