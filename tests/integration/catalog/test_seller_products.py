"""Seller center products over HTTP against PostgreSQL: the editor (specs × SKUs), review rules, sensitive
words, isolation between shops, roles, the image library, bulk import/export."""

from __future__ import annotations

import io
import re

import httpx
from PIL import Image

from app.catalog import bulk, merchant
from app.catalog.merchant import ProductForm, sku_key
from app.core.db import fetch, fetchrow
from app.moderation.sensitive import forget_words
from tests.factories import TestShop, login, make_category, make_product, make_shop, make_user, post_form

COMBOS = [("红", "S"), ("红", "M"), ("蓝", "S"), ("蓝", "M")]


async def _seller(client: httpx.AsyncClient, *, role: str = "owner") -> tuple[TestShop, int]:
    """A shop granted a level-1 category, its level-3 leaf, and `client` logged in as the owner (or a staff role)."""
    shop = await make_shop()
    root = await make_category(name="服饰")
    leaf = await make_category(name="T恤", parent=await make_category(name="男装", parent=root))
    await fetch("INSERT INTO shop_category_grant (shop, category) VALUES ({}, {})", shop.id, root)
    if role == "owner":
        await login(client, shop.owner)
    else:
        staff = await make_user()
        await fetch('INSERT INTO shop_staff (shop, "user", role) VALUES ({}, {}, {})', shop.id, staff.id, role)
        await login(client, staff)
    return shop, leaf


def _png(color: str = "red") -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), color).save(buf, "PNG")
    return buf.getvalue()


def _fields(leaf: int, **extra: str) -> dict[str, str]:
    data = {
        "title": "纯棉T恤",
        "subtitle": "夏季新款",
        "category_id": str(leaf),
        "description": "<p>好<script>alert(1)</script></p>",
        "low_stock_threshold": "5",
        "spec-0-name": "颜色",
        "spec-0-values": "红, 蓝",
        "spec-1-name": "尺码",
        "spec-1-values": "S, M",
    }
    for i, (color, size) in enumerate(COMBOS):
        data[f"sku-{i}-key"] = sku_key({"颜色": color, "尺码": size})
        data[f"sku-{i}-price"] = f"{59 + i}.90"
        data[f"sku-{i}-stock"] = str(10 + i)
    data.update(extra)
    return data


def _as_fields(form: ProductForm) -> dict[str, str | list[str]]:
    data: dict[str, str | list[str]] = {
        "title": form.title,
        "subtitle": form.subtitle,
        "category_id": form.category_id,
        "brand": form.brand,
        "description": form.description,
        "low_stock_threshold": form.low_stock_threshold,
        "image": form.images,
    }
    for i, spec in enumerate(form.specs):
        data[f"spec-{i}-name"], data[f"spec-{i}-values"] = spec.name, spec.values_text
    for i, row in enumerate(form.rows):
        data[f"sku-{i}-key"] = row.key
        for name in ("id", "price", "list_price", "stock", "code", "weight"):
            data[f"sku-{i}-{name}"] = getattr(row, name)
    return data


async def _create(client: httpx.AsyncClient, leaf: int, action: str = "save", **extra: str) -> int:
    response = await post_form(
        client, "/seller/products/new", {**_fields(leaf, **extra), "action": action},
        files={"upload": ("shirt.png", _png(), "image/png")},
    )  # fmt: skip
    assert response.status_code == 303, response.text[:2000]
    return int(response.headers["location"].rsplit("/", 1)[1])


async def test_creating_with_two_specs_of_two_values_makes_four_skus(client: httpx.AsyncClient) -> None:
    shop, leaf = await _seller(client)
    pid = await _create(client, leaf)
    product = await fetchrow("SELECT * FROM product WHERE id = {}", pid)
    assert product is not None
    assert (product["shop"], product["status"], product["sku_count"]) == (shop.id, "draft", 4)
    assert (product["price_min_fen"], product["price_max_fen"], product["stock_total"]) == (5990, 6290, 46)
    assert "<script>" not in product["description_html"]
    skus = await fetch("SELECT spec_values, price_fen FROM sku WHERE product = {} ORDER BY position", pid)
    assert [s["price_fen"] for s in skus] == [5990, 6090, 6190, 6290]
    images = await fetch("SELECT key FROM product_image WHERE product = {}", pid)
    library = await fetch("SELECT key FROM shop_image WHERE shop = {}", shop.id)
    assert [i["key"] for i in images] == [i["key"] for i in library]
    assert await fetchrow("SELECT 1 AS ok FROM audit_log WHERE action = 'product.create' AND target_id = {}", str(pid))
    page = await client.get(f"/seller/products/{pid}")
    assert page.status_code == 200 and "纯棉T恤" in page.text
    listing = await client.get("/seller/products/?tab=warehouse&q=纯棉")
    assert f"/seller/products/{pid}" in listing.text


async def test_the_matrix_fragment_keeps_typed_rows_when_a_spec_value_is_added(client: httpx.AsyncClient) -> None:
    _shop, leaf = await _seller(client)
    data = _fields(leaf, **{"spec-1-values": "S, M, L"})
    response = await post_form(client, "/seller/products/matrix", data, headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.text.count('class="sku-row"') == 6
    assert 'value="60.90"' in response.text  # 红/M as typed
    filled = await post_form(
        client,
        "/seller/products/matrix",
        {**data, "action": "fill", "fill-price": "88"},
        headers={"HX-Request": "true"},
    )
    assert filled.text.count('value="88"') == 6


async def test_price_changes_apply_at_once_but_a_new_title_goes_to_review(client: httpx.AsyncClient) -> None:
    _shop, leaf = await _seller(client)
    pid = await _create(client, leaf, action="submit")
    await fetch("UPDATE product SET status = 'active' WHERE id = {}", pid)  # the moderator approved it
    form, _meta = await merchant.editor(shop_id=_shop.id, product_id=pid)
    data = _as_fields(form)
    data["sku-0-price"] = "49.90"
    response = await post_form(client, f"/seller/products/{pid}", {**data, "action": "save"})
    assert response.status_code == 303, response.text[:1000]
    row = await fetchrow("SELECT status, price_min_fen FROM product WHERE id = {}", pid)
    assert dict(row) == {"status": "active", "price_min_fen": 4990}
    response = await post_form(client, f"/seller/products/{pid}", {**data, "title": "纯棉T恤 升级版", "action": "save"})
    assert response.status_code == 303
    row = await fetchrow("SELECT status, title FROM product WHERE id = {}", pid)
    assert dict(row) == {"status": "pending_review", "title": "纯棉T恤 升级版"}


async def test_a_blocked_word_is_named_nothing_is_saved_and_nothing_typed_is_lost(client: httpx.AsyncClient) -> None:
    _shop, leaf = await _seller(client)
    await fetch("INSERT INTO sensitive_word (word, level) VALUES ('假货', 'block'), ('最便宜', 'flag')")
    forget_words()
    response = await post_form(
        client, "/seller/products/new", {**_fields(leaf, title="假货T恤"), "sku-2-code": "BLUE-S", "action": "save"}
    )
    assert response.status_code == 422
    assert "假货" in response.text and 'value="假货T恤"' in response.text
    assert 'value="61.90"' in response.text and 'value="BLUE-S"' in response.text and 'value="S, M"' in response.text
    assert (await fetchrow("SELECT count(*) AS n FROM product"))["n"] == 0
    # a flagged word is saved; the seller is told moderators will look at it
    pid = await _create(client, leaf, title="最便宜的T恤")
    assert (await fetchrow("SELECT title FROM product WHERE id = {}", pid))["title"] == "最便宜的T恤"
    forget_words()


async def test_another_shops_product_is_not_found(client: httpx.AsyncClient) -> None:
    _shop, leaf = await _seller(client)
    other = await make_product(shop=await make_shop(), status="active")
    assert (await client.get(f"/seller/products/{other}")).status_code == 404
    assert (await client.get(f"/seller/products/{other}/stock")).status_code == 404
    edit = await post_form(client, f"/seller/products/{other}", {**_fields(leaf), "action": "save"})
    assert edit.status_code == 404
    delist = await post_form(client, f"/seller/products/{other}/status", {"action": "delist"})
    assert delist.status_code == 404
    bulk_delist = await post_form(client, "/seller/products/bulk", {"ids": str(other), "action": "delist"})
    assert bulk_delist.status_code == 404
    assert (await fetchrow("SELECT status FROM product WHERE id = {}", other))["status"] == "active"
    # a SKU id of another product in the form is not found either
    mine = await _create(client, leaf)
    foreign_sku = (await fetchrow("SELECT id FROM sku WHERE product = {}", other))["id"]
    response = await post_form(client, f"/seller/products/{mine}", {**_fields(leaf), "sku-0-id": str(foreign_sku)})
    assert response.status_code == 404


async def test_warehouse_staff_change_stock_but_not_prices_or_titles(client: httpx.AsyncClient, new_client) -> None:
    shop, leaf = await _seller(client, role="warehouse")
    pid = await make_product(shop=shop, category=leaf, skus=[{"price_fen": 1990, "stock": 3}])
    sku = (await fetchrow("SELECT id FROM sku WHERE product = {}", pid))["id"]
    page = await client.get(f"/seller/products/{pid}")
    assert page.status_code == 200 and "disabled" in page.text  # read-only editor, with a link to the stock page
    assert (await client.get(f"/seller/products/{pid}/stock")).status_code == 200
    refused = await post_form(
        client, f"/seller/products/{pid}", {**_fields(leaf, title="改了"), "sku-0-id": str(sku), "action": "save"}
    )
    assert refused.status_code == 403
    saved = await post_form(client, f"/seller/products/{pid}/stock", {f"stock-{sku}": "42", "low_stock_threshold": "2"})
    assert saved.status_code == 303
    row = await fetchrow(
        "SELECT title, price_min_fen, stock_total, low_stock_threshold FROM product WHERE id = {}", pid
    )
    assert dict(row) == {"title": "测试商品", "price_min_fen": 1990, "stock_total": 42, "low_stock_threshold": 2}
    bad = await post_form(client, f"/seller/products/{pid}/stock", {f"stock-{sku}": "-1", "low_stock_threshold": "2"})
    assert bad.status_code == 422 and 'value="-1"' in bad.text


async def test_delisting_and_relisting_follow_the_review_rules(client: httpx.AsyncClient) -> None:
    shop, leaf = await _seller(client)
    pid = await _create(client, leaf, action="submit")
    assert (await fetchrow("SELECT status FROM product WHERE id = {}", pid))["status"] == "pending_review"
    await fetch("UPDATE product SET status = 'active' WHERE id = {}", pid)
    await post_form(client, "/seller/products/bulk", {"ids": str(pid), "action": "delist"})
    assert (await fetchrow("SELECT status FROM product WHERE id = {}", pid))["status"] == "delisted"
    await post_form(client, f"/seller/products/{pid}/status", {"action": "relist"})
    assert (await fetchrow("SELECT status FROM product WHERE id = {}", pid))["status"] == "active"  # unchanged
    await post_form(client, f"/seller/products/{pid}/status", {"action": "delist"})
    form, _meta = await merchant.editor(shop_id=shop.id, product_id=pid)
    await post_form(client, f"/seller/products/{pid}", {**_as_fields(form), "subtitle": "新副标题", "action": "save"})
    await post_form(client, f"/seller/products/{pid}/status", {"action": "relist"})
    assert (await fetchrow("SELECT status FROM product WHERE id = {}", pid))["status"] == "pending_review"
    assert await merchant.product_counts(shop.id) == {
        "draft": 0, "pending_review": 1, "active": 0, "rejected": 0, "delisted": 0,
    }  # fmt: skip
    assert await merchant.low_stock_count(shop.id) == 0
    await fetch("UPDATE sku SET stock = 1 WHERE product = {} AND position = 0", pid)
    assert await merchant.low_stock_count(shop.id) == 1


async def test_a_shop_under_rectification_cannot_submit(client: httpx.AsyncClient) -> None:
    shop, leaf = await _seller(client)
    await fetch("UPDATE shop SET rectification_since = now() WHERE id = {}", shop.id)
    response = await post_form(client, "/seller/products/new", {**_fields(leaf), "action": "submit"},
                               files={"upload": ("a.png", _png(), "image/png")})  # fmt: skip
    assert response.status_code == 403
    assert "rectification" in response.text or "整改" in response.text
    assert 'value="纯棉T恤"' in response.text
    assert (await fetchrow("SELECT count(*) AS n FROM product"))["n"] == 0


async def test_an_image_in_use_cannot_be_deleted(client: httpx.AsyncClient) -> None:
    shop, leaf = await _seller(client)
    response = await post_form(
        client, "/seller/images/upload", files=[("upload", ("a.png", _png("red"), "image/png")),
                                               ("upload", ("b.png", _png("blue"), "image/png"))],
    )  # fmt: skip
    assert response.status_code == 303
    images = await fetch("SELECT id, key FROM shop_image WHERE shop = {} ORDER BY id", shop.id)
    assert len(images) == 2
    await post_form(client, "/seller/products/new", {**_fields(leaf), "image": images[0]["key"], "action": "save"})
    refused = await post_form(client, f"/seller/images/{images[0]['id']}/delete", follow_redirects=True)
    assert "纯棉T恤" in refused.text
    assert await fetchrow("SELECT 1 AS ok FROM shop_image WHERE id = {}", images[0]["id"])
    await post_form(client, f"/seller/images/{images[1]['id']}/delete")
    assert not await fetchrow("SELECT 1 AS ok FROM shop_image WHERE id = {}", images[1]["id"])
    page = await client.get("/seller/images/")
    assert page.status_code == 200 and "纯棉T恤" in page.text
    other = await make_shop()
    await fetch("INSERT INTO shop_image (shop, key, width, height) VALUES ({}, 'p/zz/x', 1, 1)", other.id)
    theirs = (await fetchrow("SELECT id FROM shop_image WHERE shop = {}", other.id))["id"]
    assert (await post_form(client, f"/seller/images/{theirs}/delete")).status_code == 404


async def test_an_import_with_an_error_row_creates_nothing(client: httpx.AsyncClient) -> None:
    _shop, leaf = await _seller(client)
    lines = [",".join(bulk.COLUMNS), f"A,好T恤,,{leaf},,,,5,颜色=红,A1,19.9,,3,", "A,,,,,,,,颜色=蓝,A2,abc,,3,",
             f"B,另一件,,{leaf},,,,5,,B1,10,,1,"]  # fmt: skip
    response = await post_form(
        client, "/seller/products/import", files={"file": ("p.csv", "\n".join(lines).encode(), "text/csv")}
    )
    assert response.status_code == 422
    cells = re.findall(r"<tr><td>(\d+)</td><td><code>(\w+)</code>", response.text)
    assert cells == [("3", "price")]
    assert (await fetchrow("SELECT count(*) AS n FROM product"))["n"] == 0


async def test_export_then_import_creates_equivalent_drafts(client: httpx.AsyncClient) -> None:
    shop, leaf = await _seller(client)
    pid = await _create(client, leaf, **{"sku-0-list_price": "99", "sku-1-code": "RM"})
    for fmt in ("csv", "xlsx"):
        exported = await client.get(f"/seller/products/export/{fmt}")
        assert exported.status_code == 200
        response = await post_form(client, "/seller/products/import", files={"file": (f"p.{fmt}", exported.content)})
        assert response.status_code == 303, response.text[:3000]
    rows = await fetch("SELECT id FROM product WHERE shop = {} ORDER BY id", shop.id)
    assert len(rows) == 4  # 1, its CSV copy, then the XLSX export holds both
    original = await merchant.editor(shop_id=shop.id, product_id=pid)
    for copy in rows[1:]:
        form, meta = await merchant.editor(shop_id=shop.id, product_id=copy["id"])
        assert meta.status == "draft"
        assert (form.title, form.subtitle, form.category_id, form.description, form.images, form.specs) == (
            original[0].title, original[0].subtitle, original[0].category_id, original[0].description,
            original[0].images, original[0].specs,
        )  # fmt: skip
        strip = [(r.spec_values, r.price, r.list_price, r.stock, r.code) for r in form.rows]
        assert strip == [(r.spec_values, r.price, r.list_price, r.stock, r.code) for r in original[0].rows]
    template = await client.get("/seller/products/import/template/xlsx")
    assert template.status_code == 200 and template.content[:2] == b"PK"
