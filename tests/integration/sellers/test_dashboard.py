"""The seller dashboard at /seller/: the shop's status first, product counts for those who may see products,
order cards that say they are coming rather than show made-up numbers."""

from __future__ import annotations

from datetime import UTC, datetime

from app.catalog.tables import Sku
from app.sellers.tables import Shop
from tests.factories import login, make_product, make_shop
from tests.integration.sellers.helpers import EN, signed_in, text_of


async def test_counts_products_on_sale_waiting_for_review_and_low_on_stock(client):
    shop = await make_shop()
    low = await make_product(shop=shop, skus=[{"price_fen": 100, "stock": 3}])
    await make_product(shop=shop, skus=[{"price_fen": 100, "stock": 50}])
    await make_product(shop=shop, status="pending_review", skus=[{"price_fen": 100, "stock": 50}])
    await make_product(shop=shop, status="draft", skus=[{"price_fen": 100, "stock": 60}])
    await login(client, shop.owner)
    page = await client.get("/seller/", headers=EN)
    assert page.status_code == 200
    assert 'id="count-on-sale">2<' in page.text
    assert 'id="count-pending-review">1<' in page.text
    assert 'id="count-low-stock">1<' in page.text and "Stock alert" in page.text
    assert "Coming with orders" in page.text and "Your shop is open to shoppers." in page.text
    await Sku.update({Sku.stock: 40}).where(Sku.product == low)
    page = await client.get("/seller/", headers=EN)
    assert 'id="count-low-stock">0<' in page.text and "Stock alert" not in page.text


async def test_finance_sees_the_dashboard_without_product_numbers(client):
    await signed_in(client, "finance")
    page = await client.get("/seller/", headers=EN)
    assert page.status_code == 200 and "count-on-sale" not in page.text and "Manage staff" not in page.text


async def test_the_shop_status_is_shown_with_its_reason(client):
    shop = await make_shop()
    await login(client, shop.owner)
    await Shop.update({Shop.status: "suspended", Shop.status_reason: "售假投诉核实"}).where(Shop.id == shop.id)
    page = text_of((await client.get("/seller/", headers=EN)).text)
    assert "Suspended" in page and "Reason: 售假投诉核实" in page
    await Shop.update({Shop.status: "pending", Shop.status_reason: ""}).where(Shop.id == shop.id)
    assert "Waiting for the fees to be settled" in (await client.get("/seller/", headers=EN)).text
    await Shop.update({Shop.status: "active", Shop.rectification_since: datetime.now(UTC)}).where(Shop.id == shop.id)
    assert "Rectification required" in (await client.get("/seller/", headers=EN)).text
