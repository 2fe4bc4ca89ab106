"""Flash sale pages over HTTP: the storefront (tabs, countdown with the server's time, buttons by phase, the polled
state fragment, the home strip), the buy endpoint's admission control and refusals, the seller's nominations with
bad input and another shop's rows, and the admin's sessions and approvals behind the platform roles."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import httpx

from app.core import clock
from app.core.db import fetch, fetchrow
from app.core.i18n import translations
from app.flash.admission import GATE
from app.flash.rules import OVER_LIMIT
from tests.factories import login, make_product, make_shop, make_user, post_form
from tests.integration.flash._factories import item_row, make_flash_item, make_session, move_session
from tests.order_factories import first_sku


def english(client: httpx.AsyncClient) -> httpx.AsyncClient:
    client.headers["accept-language"] = "en"
    return client


async def test_the_flash_page_counts_down_with_the_server_time_and_the_button_waits_for_the_start(
    client: httpx.AsyncClient,
) -> None:
    english(client)
    flash = await make_flash_item(starts_in=90, title="秒杀茶壶")
    page = await client.get("/flash/")
    assert page.status_code == 200
    html = page.text
    assert "秒杀茶壶" in html and 'aria-current="page"' in html
    assert "Starts in" in html and "Starts soon" in html and "disabled" in html
    timer = re.search(r'data-target="(\d+)" data-now="(\d+)">(\d\d:\d\d:\d\d)<', html)
    assert timer is not None
    target, now = int(timer.group(1)), int(timer.group(2))
    assert 89_000 <= target - now <= 90_000 and timer.group(3) in {"00:01:30", "00:01:29"}
    assert f'hx-get="/flash/sessions/{flash.session_id}/state"' in html and "every 5s" in html
    assert "0 of 100 sold" in html
    assert f"/flash/items/{flash.item_id}/buy" not in html

    await move_session(flash.session_id, starts_in=-1)  # the server's clock says it has started
    state = await client.get(f"/flash/sessions/{flash.session_id}/state", headers={"HX-Request": "true"})
    assert state.status_code == 200 and "<html" not in state.text
    assert "Ends in" in state.text and "Sign in to buy" in state.text

    buyer = await make_user()
    await login(client, buyer)
    state = await client.get(f"/flash/sessions/{flash.session_id}/state")
    assert f'action="/flash/items/{flash.item_id}/buy"' in state.text and "Buy now" in state.text


async def test_tabs_show_ended_running_and_upcoming_sessions_of_today(client: httpx.AsyncClient) -> None:
    english(client)
    real = datetime.now(UTC)
    clock.use_clock(lambda: datetime(2026, 11, 23, 6, 0, tzinfo=UTC) + (datetime.now(UTC) - real))  # 14:00 Beijing
    try:
        await _tabs(client)
    finally:
        clock.use_clock(lambda: datetime.now(UTC))


async def _tabs(client: httpx.AsyncClient) -> None:
    ended = await make_flash_item(title="早场")
    await move_session(ended.session_id, starts_in=-7200, lasts=3600)
    running = await make_flash_item(title="正在抢")
    upcoming = await make_flash_item(title="下一场", starts_in=600)
    page = await client.get("/flash/")
    tabs = re.findall(r'href="/flash/\?session=(\d+)"', page.text)
    assert [int(t) for t in tabs] == [ended.session_id, running.session_id, upcoming.session_id]
    assert "正在抢" in page.text and "下一场" not in page.text  # the running session opens first
    other = await client.get(f"/flash/?session={upcoming.session_id}")
    assert "下一场" in other.text and "Starts soon" in other.text


async def test_the_home_strip_shows_the_running_session_or_nothing(client: httpx.AsyncClient) -> None:
    english(client)
    empty = await client.get("/flash/strip")
    assert empty.status_code == 200 and empty.text == ""
    await make_flash_item(title="条带商品", price_fen=2000, flash_price_fen=990)
    strip = await client.get("/flash/strip")
    assert "条带商品" in strip.text and "¥9.90" in strip.text and "¥20.00" in strip.text
    assert "Ends in" in strip.text and "data-countdown" in strip.text
    assert strip.headers["cache-control"] == "no-store"


async def test_buy_before_the_start_and_when_sold_out_says_why_without_an_order(client: httpx.AsyncClient) -> None:
    english(client)
    flash = await make_flash_item(starts_in=120, flash_stock=1)
    buyer = await make_user()
    await login(client, buyer)
    url = f"/flash/items/{flash.item_id}/buy"
    refused = await post_form(client, url, {"quantity": "1"}, headers={"HX-Request": "true"})
    assert refused.status_code == 422
    assert "This flash sale has not started yet." in refused.text and f'id="flash-buy-{flash.item_id}"' in refused.text
    plain = await post_form(client, url, {"quantity": "1"})
    assert plain.status_code == 303 and plain.headers["location"].startswith(f"/flash/?session={flash.session_id}")
    follow = await client.get(plain.headers["location"])
    assert "This flash sale has not started yet." in follow.text

    await move_session(flash.session_id, starts_in=-1)
    await fetch("UPDATE flash_item SET flash_stock = 0, sold = 1 WHERE id = {}", flash.item_id)
    GATE.clear(flash.item_id)
    sold_out = await post_form(client, url, {"quantity": "1"}, headers={"HX-Request": "true"})
    assert sold_out.status_code == 422 and "Sold out" in sold_out.text
    assert GATE.sold_out(flash.item_id)  # the next ones are answered without the database
    assert (await fetchrow("SELECT count(*) AS n FROM order_group"))["n"] == 0
    GATE.clear(flash.item_id)


async def test_buy_beyond_the_permits_is_told_to_try_again_at_once(client: httpx.AsyncClient) -> None:
    english(client)
    flash = await make_flash_item()
    buyer = await make_user()
    await login(client, buyer)
    for _ in range(GATE.permits):  # every permit of this item busy with other buyers
        assert GATE.try_enter(flash.item_id)
    try:
        busy = await post_form(
            client, f"/flash/items/{flash.item_id}/buy", {"quantity": "1"}, headers={"HX-Request": "true"}
        )
    finally:
        for _ in range(GATE.permits):
            GATE.leave(flash.item_id)
    assert busy.status_code == 429 and busy.headers["retry-after"] == "1"
    assert "Too many people are buying right now, try again." in busy.text
    assert (await item_row(flash.item_id))["sold"] == 0


async def test_buy_without_a_default_address_goes_to_checkout_and_anonymous_to_login(
    client: httpx.AsyncClient,
) -> None:
    flash = await make_flash_item()
    url = f"/flash/items/{flash.item_id}/buy"
    anonymous = await post_form(client, url, {"quantity": "1"})
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")
    buyer = await make_user()
    await login(client, buyer)
    to_checkout = await post_form(client, url, {"quantity": "1"})
    assert to_checkout.status_code == 303
    assert to_checkout.headers["location"] == f"/checkout?sku={flash.sku_id}&qty=1&flash={flash.item_id}"
    htmx = await post_form(client, url, {"quantity": "1"}, headers={"HX-Request": "true"})
    assert htmx.headers["hx-redirect"] == f"/checkout?sku={flash.sku_id}&qty=1&flash={flash.item_id}"
    over = await post_form(client, url, {"quantity": "2"}, headers={"HX-Request": "true"})
    assert over.status_code == 422 and translations("zh_CN").ugettext(OVER_LIMIT) in over.text  # the default locale


# ------------------------------------------------------------------ seller


async def test_a_seller_nominates_its_own_sku_and_bad_input_is_refused_with_what_was_typed(
    client: httpx.AsyncClient,
) -> None:
    english(client)
    shop = await make_shop()
    product = await make_product(shop=shop, title="自家商品", skus=[{"price_fen": 1000, "stock": 30}])
    sku = await first_sku(product)
    other = await make_product(title="别家商品", skus=[{"price_fen": 1000, "stock": 30}])
    other_sku = await first_sku(other)
    session = await make_session(starts_in=3600)
    await login(client, shop.owner)
    page = await client.get("/seller/flash/")
    assert page.status_code == 200 and "自家商品" in page.text and "别家商品" not in page.text

    good = {"session": str(session), "sku": str(sku), "flash_price": "6.90", "flash_stock": "10", "per_user_limit": "2"}
    cases = [
        ({"flash_price": "10.00"}, "The flash price must be lower than the current price."),
        ({"flash_stock": "31"}, "The SKU does not have that much stock."),
        ({"per_user_limit": "0"}, "Enter a limit per buyer between 1 and 99."),
        ({"sku": str(other_sku)}, "Choose one of your shop&#39;s products."),
        ({"flash_price": "abc"}, "Enter an amount such as 12.30"),
    ]
    for change, message in cases:
        refused = await post_form(client, "/seller/flash/nominate", {**good, **change})
        assert refused.status_code == 422, change
        assert message in refused.text, (change, refused.text[:2000])
        typed = next(iter(change.values()))
        if "price" in next(iter(change)):
            assert f'value="{typed}"' in refused.text
    assert (await fetchrow("SELECT count(*) AS n FROM flash_item"))["n"] == 0

    done = await post_form(client, "/seller/flash/nominate", good)
    assert done.status_code == 303
    item = await fetchrow("SELECT id, flash_price_fen, flash_stock, per_user_limit, status FROM flash_item")
    assert (item["flash_price_fen"], item["flash_stock"], item["per_user_limit"], item["status"]) == (
        690,
        10,
        2,
        "nominated",
    )
    again = await post_form(client, "/seller/flash/nominate", good)
    assert again.status_code == 422 and "already nominated" in again.text
    listed = await client.get("/seller/flash/")
    assert "Waiting for review" in listed.text and f"/seller/flash/items/{item['id']}/withdraw" in listed.text
    withdrawn = await post_form(client, f"/seller/flash/items/{item['id']}/withdraw")
    assert withdrawn.status_code == 303
    assert (await fetchrow("SELECT status FROM flash_item"))["status"] == "withdrawn"
    actions = [r["action"] for r in await fetch("SELECT action FROM audit_log ORDER BY id")]
    assert "flash.item_nominate" in actions and "flash.item_withdraw" in actions


async def test_another_shops_nomination_is_not_found_and_staff_without_the_permission_are_refused(
    client: httpx.AsyncClient,
) -> None:
    flash = await make_flash_item(approve=False, starts_in=3600)
    stranger = await make_shop()
    await login(client, stranger.owner)
    response = await post_form(client, f"/seller/flash/items/{flash.item_id}/withdraw")
    assert response.status_code == 404
    assert (await item_row(flash.item_id))["status"] == "nominated"
    assert flash.shop.name not in (await client.get("/seller/flash/")).text

    service = await make_user()
    await make_shop(staff=((service, "service"),))
    async with httpx.AsyncClient(transport=client._transport, base_url="http://testserver") as other:
        await login(other, service)
        assert (await other.get("/seller/flash/")).status_code == 403


# ------------------------------------------------------------------ admin


async def test_admin_pages_need_operations_or_admin(client: httpx.AsyncClient) -> None:
    user = await make_user()
    await login(client, user)
    assert (await client.get("/admin/flash/")).status_code == 403
    assert (await post_form(client, "/admin/flash/sessions", {"title": "x"})).status_code == 403
    ops = await make_user(roles=("operations",))
    await login(client, ops)
    assert (await client.get("/admin/flash/")).status_code == 200
    moderator = await make_user(roles=("moderator",))
    await login(client, moderator)
    assert (await client.get("/admin/flash/")).status_code == 403


async def test_admin_creates_a_session_approves_and_rejects_and_sees_results(client: httpx.AsyncClient) -> None:
    english(client)
    admin = await make_user(roles=("admin",))
    await login(client, admin)
    bad = await post_form(
        client, "/admin/flash/sessions", {"title": "", "starts_at": "2030-01-01T14:00", "ends_at": "2030-01-01T13:00"}
    )
    assert bad.status_code == 422 and "Enter a title." in bad.text and "The end must be after the start." in bad.text
    created = await post_form(
        client,
        "/admin/flash/sessions",
        {"title": "14点场", "starts_at": "2030-01-01T14:00", "ends_at": "2030-01-01T16:00"},
    )
    assert created.status_code == 303
    session = await fetchrow("SELECT id, starts_at, ends_at FROM flash_session")
    assert session["starts_at"].isoformat() == "2030-01-01T06:00:00+00:00"  # 14:00 in Beijing

    a = await make_flash_item(session_id=session["id"], approve=False, starts_in=3600, sku_stock=50, flash_stock=20)
    b = await make_flash_item(session_id=session["id"], approve=False, starts_in=3600, title="不合适的")
    detail = await client.get(f"/admin/flash/sessions/{session['id']}")
    assert "Waiting for review" in detail.text and "不合适的" in detail.text
    approved = await post_form(client, f"/admin/flash/items/{a.item_id}/approve")
    assert approved.status_code == 303
    assert (await item_row(a.item_id))["sku_stock"] == 30
    no_reason = await post_form(client, f"/admin/flash/items/{b.item_id}/reject", {"reason": " "})
    assert no_reason.status_code == 422 and "Tell the seller why." in no_reason.text
    rejected = await post_form(client, f"/admin/flash/items/{b.item_id}/reject", {"reason": "价格不够低"})
    assert rejected.status_code == 303
    assert dict(await fetchrow("SELECT status, reason FROM flash_item WHERE id = {}", b.item_id)) == {
        "status": "rejected",
        "reason": "价格不够低",
    }
    cancelled = await post_form(client, f"/admin/flash/sessions/{session['id']}/cancel")
    assert cancelled.status_code == 303
    assert (await item_row(a.item_id))["sku_stock"] == 50
    actions = [r["action"] for r in await fetch("SELECT action FROM audit_log WHERE action LIKE 'flash.%' ORDER BY id")]
    for wanted in ("flash.session_create", "flash.item_approve", "flash.item_reject", "flash.session_cancel"):
        assert wanted in actions


async def test_approval_without_enough_sku_stock_is_refused_with_a_message(client: httpx.AsyncClient) -> None:
    english(client)
    flash = await make_flash_item(approve=False, starts_in=3600, sku_stock=50, flash_stock=40)
    await fetch("UPDATE sku SET stock = 5 WHERE id = {}", flash.sku_id)
    admin = await make_user(roles=("operations",))
    await login(client, admin)
    response = await post_form(client, f"/admin/flash/items/{flash.item_id}/approve")
    page = await client.get(response.headers["location"])
    assert "The SKU has only 5 in stock: 40 cannot be reserved for the flash sale." in page.text
    assert (await item_row(flash.item_id))["status"] == "nominated"
