"""Product review against PostgreSQL: the queue, the diff against the last approved version, approve (revision,
audit, owner notified, searchable), reject (reason required), two moderators at once, and who may see it."""

from __future__ import annotations

import asyncio
import json

import pytest

from app.catalog.tables import Product, Sku
from app.core.db import fetch, fetchrow
from app.core.errors import ValidationFailed
from app.moderation import review_services
from app.moderation.review_services import AlreadyDecided, approve_product, reject_product
from app.moderation.sensitive import forget_words
from app.moderation.tables import AuditLog, ProductRevision, SensitiveWord
from tests.factories import SYSTEM, login, make_category, make_product, make_shop, make_user, post_form

EN = {"Accept-Language": "en"}


@pytest.fixture(autouse=True)
def _fresh_words():  # type: ignore[no-untyped-def]
    forget_words()
    yield
    forget_words()


async def _pending(title: str = "审核测试蓝牙耳机", **kw):  # type: ignore[no-untyped-def]
    shop = kw.pop("shop", None) or await make_shop()
    pid = await make_product(shop=shop, title=title, status="pending_review", **kw)
    return shop, pid


async def test_approving_puts_the_product_on_sale_with_a_revision_an_audit_row_and_a_notice(client):
    moderator = await make_user(roles=("moderator",), name="审核员")
    shop, pid = await _pending("审核测试蓝牙耳机")
    await login(client, moderator)

    queue = await client.get("/admin/products/review/", headers=EN)
    assert queue.status_code == 200
    assert "审核测试蓝牙耳机" in queue.text and "1 product waiting for review" in queue.text
    page = await client.get(f"/admin/products/review/{pid}", headers=EN)
    assert "New product: it has never been approved" in page.text

    r = await post_form(client, f"/admin/products/review/{pid}/approve")
    assert r.status_code == 303 and r.headers["location"] == "/admin/products/review/"
    assert (await Product.select(Product.status).where(Product.id == pid).first())["status"] == "active"
    revision = await ProductRevision.select().where(ProductRevision.product == pid).first()
    snapshot = json.loads(revision["snapshot"]) if isinstance(revision["snapshot"], str) else revision["snapshot"]
    assert revision["approved_by"] == moderator.id
    assert snapshot["title"] == "审核测试蓝牙耳机" and snapshot["skus"][0]["price_fen"] == 1990
    audit = await AuditLog.select().where(AuditLog.action == "product.approve").first()
    assert audit["target_id"] == str(pid) and audit["actor"] == moderator.id
    notes = await fetch('SELECT kind, params FROM notification WHERE "user" = {}', shop.owner.id)
    assert [n["kind"] for n in notes] == ["product.approved"]

    found = await client.get("/search?q=审核测试蓝牙耳机")
    assert f'href="/p/{pid}"' in found.text
    assert "0 products waiting for review" in (await client.get("/admin/products/review/", headers=EN)).text


async def test_a_pending_product_is_not_found_by_search_before_approval(client):
    _shop, pid = await _pending("审核测试降噪耳机")
    from app.catalog.search import reindex_products

    await reindex_products(product_ids=[pid])
    found = await client.get("/search?q=审核测试降噪耳机")
    assert f'href="/p/{pid}"' not in found.text


async def test_a_changed_product_shows_its_diff_against_the_approved_version(client):
    moderator = await make_user(roles=("moderator",))
    _shop, pid = await _pending("旧标题手机壳", skus=[{"price_fen": 1990}, {"price_fen": 2990}])
    await fetch("UPDATE product SET description_html = {} WHERE id = {}", "<p>耐摔 <b>硅胶</b></p>", pid)
    await approve_product(actor=SYSTEM, product_id=pid)
    # the seller edits and resubmits
    await Product.update(
        {
            Product.title: "新标题手机壳",
            Product.status: "pending_review",
            Product.description_html: "<p>耐摔 <b>液态硅胶</b> &lt;script&gt;</p>",
        }
    ).where(Product.id == pid)
    await Sku.update({Sku.price_fen: 2490}).where((Sku.product == pid) & (Sku.position == 1))
    await login(client, moderator)
    page = await client.get(f"/admin/products/review/{pid}", headers=EN)
    text = page.text
    assert "旧标题手机壳" in text and "新标题手机壳" in text
    assert '<ins class="diff-ins">液态</ins>' in text
    assert "&amp;lt;script&amp;gt;" in text or "&lt;script&gt;" in text
    assert "<script>" not in text.split("diff-description", 1)[1].split("</div>", 1)[0]
    assert "¥29.90" in text and "¥24.90" in text
    assert "New product" not in text


async def test_rejecting_needs_a_reason_and_stores_it(client):
    moderator = await make_user(roles=("moderator",))
    shop, pid = await _pending()
    await login(client, moderator)
    r = await post_form(client, f"/admin/products/review/{pid}/reject", {"reason": "   "}, headers=EN)
    assert r.status_code == 422
    assert "Enter the reason for the rejection" in r.text
    assert (await Product.select(Product.status).where(Product.id == pid).first())["status"] == "pending_review"

    r = await post_form(client, f"/admin/products/review/{pid}/reject", {"reason": "主图含有 水印"})
    assert r.status_code == 303
    row = await Product.select(Product.status, Product.review_note).where(Product.id == pid).first()
    assert row == {"status": "rejected", "review_note": "主图含有 水印"}
    audit = await AuditLog.select(AuditLog.after).where(AuditLog.action == "product.reject").first()
    assert "主图含有 水印" in audit["after"]
    note = await fetchrow('SELECT kind, params FROM notification WHERE "user" = {}', shop.owner.id)
    assert note["kind"] == "product.rejected" and "水印" in str(note["params"])
    assert not await ProductRevision.exists().where(ProductRevision.product == pid)


async def test_the_second_decision_is_refused(client):
    moderator = await make_user(roles=("moderator",))
    _shop, pid = await _pending()
    results = await asyncio.gather(
        approve_product(actor=SYSTEM, product_id=pid),
        reject_product(actor=SYSTEM, product_id=pid, reason="重复"),
        approve_product(actor=SYSTEM, product_id=pid),
        return_exceptions=True,
    )
    assert sum(not isinstance(r, Exception) for r in results) == 1
    assert all(isinstance(r, AlreadyDecided) for r in results if isinstance(r, Exception))
    assert await AuditLog.count().where(AuditLog.target_type == "product") == 1

    await login(client, moderator)
    r = await post_form(client, f"/admin/products/review/{pid}/approve", headers=EN)
    assert r.status_code == 303 and r.headers["location"] == f"/admin/products/review/{pid}"
    page = await client.get(r.headers["location"], headers=EN)
    assert "This product has already been decided" in page.text
    assert 'id="approve-form"' not in page.text


async def test_reject_reason_is_validated_in_the_service():
    _shop, pid = await _pending()
    with pytest.raises(ValidationFailed):
        await reject_product(actor=SYSTEM, product_id=pid, reason="x" * 501)


async def test_the_queue_is_oldest_first_and_filters_by_shop_and_category(client):
    root = await make_category(name="数码")
    leaf = await make_category(name="耳机", parent=root)
    other = await make_category(name="服饰")
    shop_a, first = await _pending("最早的商品", category=leaf)
    _shop_b, second = await _pending("第二个商品", category=other)
    _, third = await _pending("第三个商品", shop=shop_a, category=other)
    await fetch("UPDATE product SET updated_at = now() - make_interval(mins => 10) WHERE id = {}", first)
    await fetch("UPDATE product SET updated_at = now() - make_interval(mins => 5) WHERE id = {}", second)
    queue = await review_services.review_queue()
    assert [i.id for i in queue.items] == [first, second, third] and queue.total == 3
    assert [i.id for i in (await review_services.review_queue(shop_id=shop_a.id)).items] == [first, third]
    assert [i.id for i in (await review_services.review_queue(category_id=root)).items] == [first]
    moderator = await make_user(roles=("moderator",))
    await login(client, moderator)
    page = await client.get(f"/admin/products/review/?shop={shop_a.id}&category={other}", headers=EN)
    assert "第三个商品" in page.text and "最早的商品" not in page.text and "1 product waiting" in page.text


async def test_flagged_words_are_marked_in_the_queue_and_the_detail(client):
    await SensitiveWord.insert(SensitiveWord(word="最便宜", level="flag"))
    _shop, pid = await _pending("全网最便宜的<充电器>")
    moderator = await make_user(roles=("moderator",))
    await login(client, moderator)
    queue = await client.get("/admin/products/review/", headers=EN)
    assert '全网<mark class="word-flag">最便宜</mark>的&lt;充电器&gt;' in queue.text
    page = await client.get(f"/admin/products/review/{pid}", headers=EN)
    assert '<mark class="word-flag">最便宜</mark>' in page.text and "Words flagged for attention" in page.text


async def test_buyers_sellers_and_other_staff_get_403_on_review_and_word_routes(client):
    seller = await make_user()
    await make_shop(owner=seller)
    finance = await make_user(roles=("finance",))
    _shop, pid = await _pending()
    paths = [
        ("GET", "/admin/products/review/"),
        ("GET", f"/admin/products/review/{pid}"),
        ("POST", f"/admin/products/review/{pid}/approve"),
        ("POST", f"/admin/products/review/{pid}/reject"),
        ("GET", "/admin/sensitive-words/"),
        ("POST", "/admin/sensitive-words/"),
        ("POST", "/admin/sensitive-words/1/level"),
        ("POST", "/admin/sensitive-words/1/delete"),
    ]
    for user in (await make_user(), seller, finance):
        await login(client, user)
        for method, path in paths:
            r = await (client.get(path) if method == "GET" else post_form(client, path, {"reason": "x"}))
            assert r.status_code == 403, (user, method, path, r.status_code)
    assert (await Product.select(Product.status).where(Product.id == pid).first())["status"] == "pending_review"


async def test_the_demo_loader_fills_the_queue_once_with_diffs_and_a_word_list():
    from app.moderation.demo import load_demo

    ids = [await make_product(title=f"演示商品{i}") for i in range(3)]
    await load_demo()
    await load_demo()
    queue = await review_services.review_queue()
    assert sorted(i.id for i in queue.items) == sorted(ids)
    assert sum(not i.is_new for i in queue.items) == 2
    changed = await review_services.review_detail(product_id=ids[0])
    assert {f.name for f in changed.diff.fields} == {"title", "subtitle"} and changed.diff.description_changed
    assert changed.flagged == ["最便宜"]
    assert await SensitiveWord.count() == 11 and await ProductRevision.count() == 2
