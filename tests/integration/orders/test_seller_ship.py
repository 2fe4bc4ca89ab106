"""Shipping: one order from its page, a batch from the list (each row on its own), refusals with a message, the
sandbox carrier's tracking events shown as their time comes, and the sweep that marks parcels delivered."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.core import clock
from app.core.db import fetch
from app.orders import fulfilment
from tests.factories import post_form
from tests.integration.orders._seller import EN, events, order, order_row, signed_in_seller
from tests.integration.sellers.helpers import text_of


async def test_ship_one_order_records_carrier_tracking_events_and_tells_the_buyer(client) -> None:  # type: ignore[no-untyped-def]
    s = await signed_in_seller(client)
    order_id, _ = await order(s)
    before = datetime.now(UTC)
    response = await post_form(
        client, f"/seller/orders/{order_id}/ship", {"carrier": "sf", "tracking_no": " sf 1234-5678 90 "}, headers=EN
    )
    assert response.status_code == 303 and response.headers["location"] == f"/seller/orders/{order_id}"
    row = await order_row(order_id)
    assert (row["status"], row["carrier"], row["tracking_no"]) == ("shipped", "sf", "SF1234567890")
    assert timedelta(days=10) <= row["auto_confirm_at"] - before < timedelta(days=10, minutes=1)
    assert await events(order_id) == ["paid", "shipped"]

    tracking = await fetch('SELECT status, at FROM tracking_event WHERE "order" = {} ORDER BY at', order_id)
    assert [t["status"] for t in tracking] == ["collected", "in_transit", "in_transit", "out_for_delivery", "delivered"]
    assert tracking[-1]["at"] - row["shipped_at"] == timedelta(hours=44)

    page = await client.get(f"/seller/orders/{order_id}", headers=EN)
    text = text_of(page.text)
    assert "Order " in text and "has been shipped." in text  # the flash
    assert "SF Express" in text and "SF1234567890" in text
    assert "Collected by the courier" in text and "Out for delivery" not in text  # only events whose time has come
    assert "Ship this order" not in text and "Cancel and refund" not in text

    note = await fetch('SELECT kind, link, params FROM notification WHERE "user" = {}', row["buyer"])
    assert [(n["kind"], n["link"]) for n in note] == [("order_shipped", f"/me/orders/{order_id}")]
    audit = await fetch("SELECT action FROM audit_log WHERE target_type = 'order' AND target_id = {}", str(order_id))
    assert [a["action"] for a in audit] == ["order.ship"]


async def test_a_bad_tracking_number_is_refused_and_the_form_keeps_what_was_typed(client) -> None:  # type: ignore[no-untyped-def]
    s = await signed_in_seller(client)
    order_id, _ = await order(s)
    for typed, message in (("AB12", "6 to 30 letters or digits"), ("运单号123456", "6 to 30 letters or digits"),
                           ("", "Enter the tracking number")):  # fmt: skip
        response = await post_form(
            client, f"/seller/orders/{order_id}/ship", {"carrier": "yto", "tracking_no": typed}, headers=EN
        )
        assert response.status_code == 422
        assert message in response.text
        assert f'value="{typed}"' in response.text and '<option value="yto" selected>' in response.text
    no_carrier = await post_form(
        client, f"/seller/orders/{order_id}/ship", {"carrier": "ufo", "tracking_no": "YT1234567"}, headers=EN
    )
    assert no_carrier.status_code == 422 and "Choose the carrier." in no_carrier.text
    assert (await order_row(order_id))["status"] == "paid"


async def test_an_unpaid_order_cannot_be_shipped(client) -> None:  # type: ignore[no-untyped-def]
    s = await signed_in_seller(client)
    unpaid, _ = await order(s, status="pending_payment")
    response = await post_form(
        client, f"/seller/orders/{unpaid}/ship", {"carrier": "sf", "tracking_no": "SF1234567890"}, headers=EN
    )
    assert response.status_code == 422
    assert "This order has not been paid yet, so it cannot be shipped." in response.text
    row = await order_row(unpaid)
    assert (row["status"], row["tracking_no"]) == ("pending_payment", "")
    assert await fetch('SELECT id FROM tracking_event WHERE "order" = {}', unpaid) == []

    pickup, _ = await order(s, delivery="pickup")
    refused = await post_form(
        client, f"/seller/orders/{pickup}/ship", {"carrier": "sf", "tracking_no": "SF1234567890"}, headers=EN
    )
    assert refused.status_code == 422 and "handed over in the shop with its pickup code" in refused.text
    shipped_twice = await post_form(
        client,
        f"/seller/orders/{(await order(s, status='shipped'))[0]}/ship",
        {"carrier": "sf", "tracking_no": "SF1234567890"},
        headers={**EN, "HX-Request": "true"},
    )
    assert shipped_twice.status_code == 422 and "already been shipped" in shipped_twice.text
    assert shipped_twice.text.lstrip().startswith('<div id="order-detail"')


async def test_batch_ship_one_bad_row_does_not_block_the_others(client) -> None:  # type: ignore[no-untyped-def]
    s = await signed_in_seller(client)
    first, second, third = [(await order(s))[0] for _ in range(3)]
    form_page = await client.get(f"/seller/orders/ship?ids={first},{second}&ids={third}", headers=EN)
    assert form_page.status_code == 200 and form_page.text.count('name="order_id"') == 3
    data = {
        "order_id": [str(first), str(second), str(third)],
        f"carrier-{first}": "zto",
        f"tracking_no-{first}": "ZT0000000001",
        f"carrier-{second}": "zto",
        f"tracking_no-{second}": "bad!",
        f"carrier-{third}": "jd",
        f"tracking_no-{third}": "JD0000000003",
    }
    response = await post_form(client, "/seller/orders/ship", data, headers=EN)
    assert response.status_code == 422
    text = text_of(response.text)
    assert "2 orders have been shipped." in text and "1 order could not be shipped" in text
    assert "A tracking number is 6 to 30 letters or digits." in text
    assert 'value="bad!"' in response.text  # the failed row keeps what was typed
    assert response.text.count('name="order_id"') == 1  # only the failed row can be sent again
    statuses = [(await order_row(i))["status"] for i in (first, second, third)]
    assert statuses == ["shipped", "paid", "shipped"]
    assert (await order_row(third))["carrier"] == "jd"

    fixed = await post_form(
        client,
        "/seller/orders/ship",
        {"order_id": str(second), f"carrier-{second}": "ems", f"tracking_no-{second}": "EA123456789CN"},
        headers=EN,
    )
    assert fixed.status_code == 303 and fixed.headers["location"] == "/seller/orders/?tab=shipped"
    assert (await order_row(second))["tracking_no"] == "EA123456789CN"


async def test_batch_rows_that_are_not_awaiting_shipment_say_so(client) -> None:  # type: ignore[no-untyped-def]
    s = await signed_in_seller(client)
    unpaid, _ = await order(s, status="pending_payment")
    paid, _ = await order(s)
    data = {
        "order_id": [str(unpaid), str(paid)],
        f"carrier-{unpaid}": "sf",
        f"tracking_no-{unpaid}": "SF0000000001",
        f"carrier-{paid}": "sf",
        f"tracking_no-{paid}": "SF0000000002",
    }
    response = await post_form(client, "/seller/orders/ship", data, headers={**EN, "HX-Request": "true"})
    assert response.status_code == 422
    assert response.text.lstrip().startswith('<form method="post" action="/seller/orders/ship" id="batch-ship"')
    assert "This order has not been paid yet, so it cannot be shipped." in response.text
    assert (await order_row(paid))["status"] == "shipped"
    assert (await order_row(unpaid))["status"] == "pending_payment"


async def test_deliver_due_marks_parcels_delivered_once_the_carrier_says_so(client) -> None:  # type: ignore[no-untyped-def]
    s = await signed_in_seller(client)
    order_id, _ = await order(s)
    other_id, _ = await order(s)
    for oid in (order_id, other_id):
        await post_form(client, f"/seller/orders/{oid}/ship", {"carrier": "sf", "tracking_no": f"SF00000{oid:05d}"})
    shipped_at = (await order_row(order_id))["shipped_at"]
    original = clock._now
    try:
        clock.use_clock(lambda: shipped_at + timedelta(hours=43))
        assert await fulfilment.deliver_due() == 0
        page = await client.get(f"/seller/orders/{order_id}", headers=EN)
        assert "Out for delivery in 上海市" in page.text and "On the way to 上海市" in page.text
        assert "signed for" not in page.text

        clock.use_clock(lambda: shipped_at + timedelta(hours=45))
        assert await fulfilment.deliver_due() == 2
        assert await fulfilment.deliver_due() == 0  # idempotent
        row = await order_row(order_id)
        assert row["status"] == "delivered" and row["delivered_at"] == shipped_at + timedelta(hours=45)
        assert await events(order_id) == ["paid", "shipped", "delivered"]
        page = await client.get(f"/seller/orders/{order_id}", headers=EN)
        assert "Delivered in 上海市 and signed for" in page.text
    finally:
        clock.use_clock(original)
    kinds = await fetch('SELECT kind FROM notification WHERE "user" = {} ORDER BY id', row["buyer"])
    assert [k["kind"] for k in kinds] == ["order_shipped", "order_delivered"]
