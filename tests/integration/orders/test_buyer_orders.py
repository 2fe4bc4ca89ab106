"""The buyer's order pages: tabs and counts, the detail's price breakdown, tracking, pickup code, invoice, and another
buyer's order being 404 everywhere."""

from __future__ import annotations

import json
import re
from datetime import timedelta

import httpx
import pytest

from app.core import clock
from app.core.db import fetch
from tests.factories import login, make_product, make_shop, make_user, post_form
from tests.order_factories import TEST_ACTOR, make_order_group

EN = {"Accept-Language": "en"}


def order_ids_on(html: str) -> set[int]:
    return {int(n) for n in re.findall(r'id="order-(\d+)"', html)}


def tab_count(html: str, tab: str) -> int:
    found = re.search(rf'\?tab={tab}"[^>]*>[^<]*<span class="otabs__n">(\d+)</span>', html)
    return int(found.group(1)) if found else 0


async def test_each_tab_shows_only_the_buyers_own_orders_in_that_state(client: httpx.AsyncClient) -> None:
    me, other = await make_user(), await make_user()
    product = await make_product(title="保温杯", skus=[{"price_fen": 5900, "stock": 50}])
    unpaid = await make_order_group(me, [(product, 1)])
    paid = await make_order_group(me, [(product, 1)], status="paid")
    shipped = await make_order_group(me, [(product, 1)], status="shipped")
    delivered = await make_order_group(me, [(product, 1)], status="delivered")
    completed = await make_order_group(me, [(product, 1)], status="completed")
    cancelled_unpaid = await make_order_group(me, [(product, 1)], status="cancelled")
    refunded = await make_order_group(me, [(product, 1)], status="paid")
    await fetch(  # a paid order cancelled with a refund (the seller side's path): cancelled, with paid_at kept
        "UPDATE shop_order SET status = 'cancelled', cancelled_at = now() WHERE id = {}", refunded.order_ids[0]
    )
    theirs = await make_order_group(other, [(product, 1)], status="paid")
    await login(client, me)

    expected = {
        "unpaid": {unpaid.order_ids[0]},
        "to_ship": {paid.order_ids[0]},
        "to_receive": {shipped.order_ids[0], delivered.order_ids[0]},
        "completed": {completed.order_ids[0]},
        "after_sales": {refunded.order_ids[0]},
    }
    everything = await client.get("/me/orders")
    assert everything.status_code == 200
    mine = set().union(*expected.values()) | {cancelled_unpaid.order_ids[0]}
    assert order_ids_on(everything.text) == mine
    assert theirs.order_ids[0] not in order_ids_on(everything.text)
    for tab, ids in expected.items():
        page = await client.get(f"/me/orders?tab={tab}")
        assert order_ids_on(page.text) == ids, tab
        assert tab_count(everything.text, tab) == len(ids), tab
    after_sales = await client.get("/me/orders?tab=after_sales", headers=EN)
    assert "Returns and refund requests after delivery are coming soon" in after_sales.text

    fragment = await client.get("/me/orders?tab=to_receive", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="orders"') and "<html" not in fragment.text
    assert order_ids_on(fragment.text) == expected["to_receive"]


async def test_the_me_page_shows_order_shortcuts_with_counts(client: httpx.AsyncClient) -> None:
    me = await make_user()
    product = await make_product(skus=[{"price_fen": 1000, "stock": 20}])
    await make_order_group(me, [(product, 1)])
    await make_order_group(me, [(product, 1)])
    await make_order_group(me, [(product, 1)], status="shipped")
    await login(client, me)
    page = (await client.get("/me")).text
    counts = dict(re.findall(r'href="/me/orders\?tab=(\w+)"><span class="oshortcuts__n[^"]*">(\d+)</span>', page))
    assert counts == {"unpaid": "2", "to_ship": "0", "to_receive": "1", "completed": "0", "after_sales": "0"}
    assert 'href="/me/orders"' in page


async def test_the_list_pages_by_twenty_and_an_unpaid_card_offers_pay_with_the_time_left(
    client: httpx.AsyncClient,
) -> None:
    me = await make_user()
    product = await make_product(skus=[{"price_fen": 1000, "stock": 100}])
    groups = [await make_order_group(me, [(product, 1)], status="paid") for _ in range(21)]
    unpaid = await make_order_group(me, [(product, 1)])
    await fetch(
        "UPDATE order_group SET pay_deadline_at = {} WHERE id = {}",
        clock.now() + timedelta(minutes=11, seconds=30),
        unpaid.id,
    )
    await fetch(
        "UPDATE shop_order SET pay_deadline_at = {} WHERE id = {}",
        clock.now() + timedelta(minutes=11, seconds=30),
        unpaid.order_ids[0],
    )
    await login(client, me)
    first = await client.get("/me/orders", headers=EN)
    ids = order_ids_on(first.text)
    assert len(ids) == 20 and unpaid.order_ids[0] in ids
    assert "12 minutes left to pay" in first.text  # 11 min 30 s, rounded up
    assert f'href="/pay/{unpaid.no}"' in first.text
    assert 'href="/me/orders?page=2"' in first.text
    second = await client.get("/me/orders?page=2")
    assert order_ids_on(second.text) == {groups[0].order_ids[0], groups[1].order_ids[0]}
    assert (await client.get("/me/orders?page=abc&tab=nonsense")).status_code == 200


async def test_the_detail_shows_the_price_breakdown_in_yuan(client: httpx.AsyncClient) -> None:
    me = await make_user()
    product = await make_product(
        title="羊毛围巾", skus=[{"spec_values": {"颜色": "灰"}, "price_fen": 12900, "stock": 9}]
    )
    group = await make_order_group(me, [(product, 2)], status="paid", shipping_fen=1000, note="请下午送")
    order_id = group.order_ids[0]
    # a shop discount of ¥20.00 as the pricing engine would have stored it: on the line, and on the order
    adjustments = [{"reason": "Shop discount", "amount_fen": -2000, "bearer": "shop", "source": "promo:1"}]
    await fetch(
        'UPDATE order_item SET adjustments = {}::jsonb, paid_fen = gross_fen - 2000 WHERE "order" = {}',
        json.dumps(adjustments),
        order_id,
    )
    await fetch(
        "UPDATE shop_order SET discount_fen = -2000, total_fen = goods_fen - 2000 + shipping_fen WHERE id = {}",
        order_id,
    )
    await login(client, me)
    page = await client.get(f"/me/orders/{order_id}", headers=EN)
    assert page.status_code == 200
    html = page.text
    assert "羊毛围巾" in html and "颜色: 灰" in html and "× 2" in html
    breakdown = html[html.index('class="oprice"') :]
    rows = re.findall(r"<dt>([^<]+)</dt><dd>([^<]+)</dd>", breakdown)
    assert rows[:4] == [
        ("Goods", "¥258.00"),
        ("Shop discount", "-¥20.00"),
        ("Delivery fee", "¥10.00"),
        ("Total paid", "¥248.00"),
    ]
    order_no = (await fetch("SELECT no FROM shop_order WHERE id = {}", order_id))[0]["no"]
    assert order_no in html
    assert "请下午送" in html
    assert "上海市 上海市 浦东新区 世纪大道 100 号" in html and "138****8000" in html


async def test_tracking_shows_only_events_that_have_happened_newest_first(client: httpx.AsyncClient) -> None:
    me = await make_user()
    product = await make_product()
    group = await make_order_group(me, [(product, 1)], status="shipped")
    order_id = group.order_ids[0]
    now = clock.now()
    for status, text, at in [
        ("collected", "Collected by the courier in %(city)s", now - timedelta(hours=5)),
        ("in_transit", "Arrived at the %(city)s sorting centre", now - timedelta(hours=1)),
        ("out_for_delivery", "Out for delivery in %(city)s", now + timedelta(hours=3)),
    ]:
        await fetch(
            'INSERT INTO tracking_event ("order", status, description, params, at) VALUES ({}, {}, {}, {}::jsonb, {})',
            order_id,
            status,
            text,
            json.dumps({"city": "杭州"}),
            at,
        )
    await login(client, me)
    html = (await client.get(f"/me/orders/{order_id}", headers=EN)).text
    assert f"SF{order_id:010d}" in html and "SF Express" in html
    arrived, collected = html.find("Arrived at the 杭州 sorting centre"), html.find("Collected by the courier in 杭州")
    assert 0 < arrived < collected  # newest first
    assert "Out for delivery" not in html  # still in the future
    listed = (await client.get("/me/orders?tab=to_receive")).text
    assert f'href="/me/orders/{order_id}#tracking"' in listed


async def test_a_paid_pickup_order_shows_its_pickup_code_large(client: httpx.AsyncClient) -> None:
    me = await make_user()
    product = await make_product()
    group = await make_order_group(me, [(product, 1)], status="paid", delivery="pickup")
    point = {"name": "徐汇门店", "address": "漕溪北路 1 号", "hours": "9:00-21:00", "phone": "021-12345678"}
    await fetch("UPDATE shop_order SET pickup_point = {}::jsonb WHERE id = {}", json.dumps(point), group.order_ids[0])
    await login(client, me)
    html = (await client.get(f"/me/orders/{group.order_ids[0]}")).text
    assert '<p class="opickup__code">1234 5678</p>' in html
    assert "徐汇门店" in html and "漕溪北路 1 号" in html and "9:00-21:00" in html


async def test_the_other_orders_of_the_same_checkout_are_listed(client: httpx.AsyncClient) -> None:
    me = await make_user()
    a = await make_product(shop=await make_shop(name="甲店"))
    b = await make_product(shop=await make_shop(name="乙店"))
    group = await make_order_group(me, [(a, 1), (b, 1)], status="paid")
    await login(client, me)
    html = (await client.get(f"/me/orders/{group.order_ids[0]}")).text
    siblings = html[html.index('class="osiblings"') :]
    assert f'href="/me/orders/{group.order_ids[1]}"' in siblings and "乙店" in siblings
    assert f'href="/me/orders/{group.order_ids[0]}"' not in siblings


async def test_the_invoice_link_appears_only_once_the_shop_uploaded_it(client: httpx.AsyncClient) -> None:
    me = await make_user()
    product = await make_product()
    invoice = {"kind": "company", "title": "上海某某科技有限公司", "tax_no": "91310000MA1FL8XQ30"}
    group = await make_order_group(me, [(product, 1)], status="shipped", invoice=invoice)
    order_id = group.order_ids[0]
    await login(client, me)
    html = (await client.get(f"/me/orders/{order_id}")).text
    assert "上海某某科技有限公司" in html and "91310000MA1FL8XQ30" in html
    assert f"/me/orders/{order_id}/invoice" not in html
    assert (await client.get(f"/me/orders/{order_id}/invoice")).status_code == 404
    invoices = pytest.importorskip("app.orders.invoices")  # the seller side's upload
    shop_id = (await fetch("SELECT shop FROM shop_order WHERE id = {}", order_id))[0]["shop"]
    pdf = b"%PDF-1.4\n% an issued invoice\n%%EOF\n"
    await invoices.upload_invoice(actor=TEST_ACTOR, shop_id=shop_id, order_id=order_id, data=pdf)
    assert f'href="/me/orders/{order_id}/invoice"' in (await client.get(f"/me/orders/{order_id}")).text
    download = await client.get(f"/me/orders/{order_id}/invoice")
    assert download.status_code == 200 and download.content == pdf
    assert download.headers["content-type"] == "application/pdf"
    assert "attachment" in download.headers["content-disposition"]


async def test_another_buyers_order_is_not_found_everywhere(client: httpx.AsyncClient) -> None:
    me, owner = await make_user(), await make_user()
    product = await make_product(skus=[{"price_fen": 1000, "stock": 10}])
    unpaid = await make_order_group(owner, [(product, 1)])
    shipped = await make_order_group(owner, [(product, 1)], status="shipped")
    await fetch("UPDATE shop_order SET invoice_key = 'invoices/x.pdf' WHERE id = {}", shipped.order_ids[0])
    await login(client, me)
    for order_id in (unpaid.order_ids[0], shipped.order_ids[0]):
        assert (await client.get(f"/me/orders/{order_id}")).status_code == 404
        assert (await client.get(f"/me/orders/{order_id}/invoice")).status_code == 404
    assert (await post_form(client, f"/me/orders/{unpaid.order_ids[0]}/cancel")).status_code == 404
    assert (await post_form(client, f"/me/orders/{shipped.order_ids[0]}/confirm")).status_code == 404
    assert (await client.get("/me/orders/999999")).status_code == 404
    rows = await fetch(
        "SELECT status FROM shop_order WHERE id = ANY({}::int[]) ORDER BY id",
        [unpaid.order_ids[0], shipped.order_ids[0]],
    )
    assert [r["status"] for r in rows] == ["pending_payment", "shipped"]


async def test_a_visitor_is_sent_to_log_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/me/orders")
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")
