"""Product review in the browser: a moderator on a desktop sees what a seller changed since the last approval,
approves it, and a shopper on a phone then finds it by its new title; a rejection needs a reason."""

from __future__ import annotations

import re
import subprocess
import sys
import uuid
from pathlib import Path

from playwright.sync_api import expect

from e2e.helpers import DEMO_ADMIN, log_in, t

ROOT = Path(__file__).resolve().parent.parent

# Run in the server's database (DATABASE_URL of server_env): take an active demo product, record its current state
# as the approved revision, then change its title and put it back into review, as a seller's edit would.
_PENDING = """
import asyncio, json, sys
from app.core.db import close_pool, fetch, fetchrow, start_pool
from app.catalog.services import refresh_product_summaries
from app.catalog.search import reindex_products
from app.moderation.review_services import product_snapshot

async def main(title, approved_before, skip):
    await start_pool(min_size=1, max_size=2)
    try:
        row = await fetchrow(
            "SELECT id, title FROM product WHERE status = 'active' ORDER BY id OFFSET {} LIMIT 1", int(skip))
        pid = row["id"]
        if approved_before == "1":
            snap = await product_snapshot(pid)
            await fetch("INSERT INTO product_revision (product, snapshot, approved_at) VALUES ({}, {}::jsonb, now())",
                        pid, json.dumps(snap, ensure_ascii=False, default=str))
        await fetch("UPDATE product SET title = {}, status = 'pending_review' WHERE id = {}", title, pid)
        await refresh_product_summaries(product_ids=[pid])
        await reindex_products(product_ids=[pid])
        print(json.dumps({"id": pid, "old_title": row["title"]}, ensure_ascii=False))
    finally:
        await close_pool()

asyncio.run(main(*sys.argv[1:]))
"""


def _make_pending(server_env: dict[str, str], title: str, *, approved_before: bool, skip: int) -> dict:  # type: ignore[type-arg]
    import json

    done = subprocess.run(
        [sys.executable, "-c", _PENDING, title, "1" if approved_before else "0", str(skip)],
        cwd=ROOT,
        env=server_env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_a_moderator_approves_a_changed_product_and_a_shopper_finds_it(desktop, phone, server_env) -> None:
    title = f"星河审核样品 mod{uuid.uuid4().hex[:6]}"
    product = _make_pending(server_env, title, approved_before=True, skip=3)

    page = desktop("zh_CN")
    log_in(page, *DEMO_ADMIN, next="/admin/products/review/")
    item = page.locator(f"#review-{product['id']}")
    expect(item).to_contain_text(title)
    item.get_by_role("link", name=title).click()
    page.wait_for_url(re.compile(rf"/admin/products/review/{product['id']}$"))
    diff = page.locator("#diff-fields")
    expect(diff.locator("del")).to_have_text(product["old_title"])
    expect(diff.locator("ins")).to_have_text(title)
    expect(page.locator("#diff-new")).to_have_count(0)

    page.locator("#approve-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/products/review/$"))
    expect(page.locator(".flashes")).to_contain_text(t("Approved: the product is now on sale.", "zh_CN"))
    expect(page.locator(f"#review-{product['id']}")).to_have_count(0)

    shopper = phone("zh_CN")
    shopper.goto("/")
    shopper.locator("form.searchbox input[name=q]").fill(title)
    shopper.locator("form.searchbox button[type=submit]").click()
    shopper.wait_for_url(re.compile(r"/search\?q="))
    card = shopper.locator("#results .pcard__title", has_text=title)
    expect(card).to_be_visible()
    card.click()
    shopper.wait_for_url(re.compile(rf"/p/{product['id']}"))
    expect(shopper.locator("h1")).to_contain_text(title)


def test_rejecting_without_a_reason_shows_the_error(desktop, server_env) -> None:
    title = f"星河退回样品 rej{uuid.uuid4().hex[:6]}"
    product = _make_pending(server_env, title, approved_before=False, skip=4)
    page = desktop("en")
    log_in(page, *DEMO_ADMIN, next=f"/admin/products/review/{product['id']}")
    expect(page.locator("#diff-new")).to_be_visible()  # never approved: a new product
    page.locator("#reject-form button[type=submit]").click()
    error = page.locator("#e-reason")
    expect(error).to_have_text(t("Enter the reason for the rejection: the seller needs it to fix the product.", "en"))
    expect(page.locator("#review-status")).to_have_text(t("Waiting for review", "en"))

    page.locator("#f-reason").fill("The main picture carries another shop's watermark.")
    page.locator("#reject-form button[type=submit]").click()
    page.wait_for_url(re.compile(r"/admin/products/review/$"))
    expect(page.locator(".flashes")).to_contain_text(t("Rejected: the seller has been told why.", "en"))
    page.goto(f"/admin/products/review/{product['id']}")
    expect(page.locator("#review-status")).to_have_text(t("Rejected", "en"))
    expect(page.locator(".decision")).to_contain_text("watermark")
