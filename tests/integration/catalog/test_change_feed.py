"""The change feed (NOTIFY from catalog triggers) and the anonymous page cache it keeps honest."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from app.catalog import search as catalog_search
from app.catalog.services import refresh_product_summaries
from app.catalog.tables import SearchLog, Sku
from app.core import changes
from app.core.db import fetch
from app.sellers.tables import Shop
from app.web.pagecache import PageCacheMiddleware
from tests.factories import login, make_product, make_shop, make_user

EN = {"Accept-Language": "en"}


@pytest.fixture
def cache(litestar_app) -> PageCacheMiddleware:  # type: ignore[no-untyped-def]
    return PageCacheMiddleware(litestar_app)


def browser(app: PageCacheMiddleware) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://testserver", headers=EN)


async def until(condition, seconds: float = 3.0) -> None:  # type: ignore[no-untyped-def]
    for _ in range(int(seconds / 0.02)):
        if condition():
            return
        await asyncio.sleep(0.02)
    raise AssertionError("the change notification did not arrive")


async def test_a_price_change_reaches_every_cached_copy_at_once(feed: None, cache: PageCacheMiddleware) -> None:
    pid = await make_product(title="变更测试 保温杯", skus=[{"price_fen": 9900, "stock": 5}])
    async with browser(cache) as shopper:
        first = await shopper.get(f"/p/{pid}")
        assert first.status_code == 200 and "99.00" in first.text
        again = await shopper.get(f"/p/{pid}")
        assert again.text == first.text and cache.hits == 1
        before = changes.sequence()
        await Sku.update({Sku.price_fen: 12900}).where(Sku.product == pid)
        await refresh_product_summaries(product_ids=[pid])
        await until(lambda: changes.sequence() > before)
        after = await shopper.get(f"/p/{pid}")
        assert "129.00" in after.text and "99.00" not in after.text


async def test_suspending_a_shop_hides_its_cached_product_pages(feed: None, cache: PageCacheMiddleware) -> None:
    shop = await make_shop()
    pid = await make_product(shop=shop)
    async with browser(cache) as shopper:
        assert (await shopper.get(f"/p/{pid}")).status_code == 200
        before = changes.sequence()
        await Shop.update({Shop.status: "suspended"}).where(Shop.id == shop.id)
        await until(lambda: changes.sequence() > before)
        assert (await shopper.get(f"/p/{pid}")).status_code == 404


async def test_signed_in_shoppers_are_never_served_a_copy(feed: None, cache: PageCacheMiddleware) -> None:
    pid = await make_product()
    async with browser(cache) as shopper:
        await login(shopper, await make_user())
        await shopper.get(f"/p/{pid}")
        await shopper.get(f"/p/{pid}")
    assert cache.hits == 0


async def test_a_replayed_search_is_still_logged(cache: PageCacheMiddleware) -> None:
    pid = await make_product(title="测试 手机支架")
    await catalog_search.reindex_products(product_ids=[pid])
    catalog_search.enable_batched_log()
    try:
        async with browser(cache) as shopper:
            first = await shopper.get("/search?q=手机支架")
            assert "vid" in first.cookies
            await shopper.get("/search?q=手机支架")
        async with browser(cache) as other:  # a new visitor gets a visitor id from the replay too
            replay = await other.get("/search?q=手机支架")
            assert "vid" in replay.cookies
        assert cache.hits == 2
        await catalog_search.flush_search_log()
    finally:
        catalog_search.enable_batched_log(False)
    rows = await SearchLog.select(SearchLog.keyword, SearchLog.visitor, SearchLog.results)
    assert len(rows) == 3 and all(r["keyword"] == "手机支架" and r["results"] == 1 for r in rows)
    assert len({r["visitor"] for r in rows}) == 2


async def test_bulk_changes_send_one_notification_for_everything() -> None:
    from app.core.db import engine

    got: list[str] = []
    conn = await engine().get_new_connection()
    try:
        await conn.add_listener(changes.CHANNEL, lambda *args: got.append(args[3]))
        pids = [await make_product() for _ in range(3)]
        await asyncio.sleep(0.2)
        assert {f"p:{p}" for p in pids} <= set(got)
        got.clear()
        await fetch("UPDATE sku SET weight_g = weight_g + 1 WHERE product = {}", pids[0])
        await asyncio.sleep(0.2)
        assert got == [f"p:{pids[0]}"]
        got.clear()
        await fetch(
            "INSERT INTO product (shop, category, title, status) "
            "SELECT shop, category, title || n, status FROM product, generate_series(1, 60) AS n WHERE id = {}",
            pids[0],
        )
        await asyncio.sleep(0.2)
        assert got == ["*"]  # 60 new products: one notification that drops everything
    finally:
        await conn.close()


async def test_a_ban_ends_a_cached_signed_in_user_at_once(feed: None, client: httpx.AsyncClient) -> None:
    from app.accounts import services as accounts

    user = await make_user()
    await login(client, user)
    assert "Log in to see your orders" not in (await client.get("/me", headers=EN)).text
    assert user.id in accounts._principals  # the next request is answered without reading the user
    before = changes.sequence()
    await fetch("UPDATE app_user SET status = 'banned' WHERE id = {}", user.id)
    await until(lambda: changes.sequence() > before)
    assert user.id not in accounts._principals
    assert "Log in to see your orders" in (await client.get("/me", headers=EN)).text  # signed out
