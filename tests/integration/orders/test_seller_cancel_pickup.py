"""Cancelling a paid order (stock back, a full refund, one transaction) and the self-pickup handover by code."""

from __future__ import annotations

import pytest

from app.core.db import fetch, fetchrow
from app.orders import fulfilment
from app.payments import services as payments
from tests.factories import post_form
from tests.integration.orders._seller import (
    EN,
    events,
    order,
    order_row,
    paid_with_payment,
    seller,
    signed_in_seller,
    stock_of,
)
from tests.integration.sellers.helpers import text_of


@pytest.fixture
def scheduled(monkeypatch) -> list[bool]:  # type: ignore[no-untyped-def]
    """Refunds are sent after commit by schedule_refunds(); here we only record that it was called."""
    calls: list[bool] = []
    monkeypatch.setattr(payments, "schedule_refunds", lambda: calls.append(True))
    return calls


async def test_cancel_a_paid_order_restocks_refunds_in_full_and_records_it(client, scheduled) -> None:  # type: ignore[no-untyped-def]
    s = await signed_in_seller(client)
    order_id, group = await order(s, qty=3, shipping_fen=600)
    await paid_with_payment(group)
    assert await stock_of(s.product) == 7
    response = await post_form(client, f"/seller/orders/{order_id}/cancel", {"reason": "  仓库 缺货  "}, headers=EN)
    assert response.status_code == 303
    row = await order_row(order_id)
    assert (row["status"], row["cancel_reason"]) == ("cancelled", "仓库 缺货")
    assert await stock_of(s.product) == 10
    refund = await fetchrow(
        'SELECT amount_fen, status, idempotency_key, reason FROM refund WHERE "order" = {}', order_id
    )
    assert dict(refund) == {"amount_fen": 1990 * 3 + 600, "status": "pending", "idempotency_key": f"cancel:{order_id}",
                      "reason": "仓库 缺货"}  # fmt: skip
    assert scheduled == [True]
    assert await events(order_id) == ["paid", "cancelled_by_shop"]
    audit = await fetch("SELECT action FROM audit_log WHERE target_type = 'order' AND target_id = {}", str(order_id))
    assert [a["action"] for a in audit] == ["order.cancel_paid"]
    note = await fetchrow('SELECT kind FROM notification WHERE "user" = {}', row["buyer"])
    assert note["kind"] == "order_cancelled_by_shop"
    page = text_of((await client.get(f"/seller/orders/{order_id}", headers=EN)).text)
    assert "has been cancelled; the buyer&#39;s payment is being refunded in full." in page
    assert "Cancelled by the shop" in page and "Cancellation reason: 仓库 缺货" in page


async def test_cancel_needs_a_reason_and_a_paid_order(client, scheduled) -> None:  # type: ignore[no-untyped-def]
    s = await signed_in_seller(client)
    order_id, group = await order(s)
    await paid_with_payment(group)
    empty = await post_form(client, f"/seller/orders/{order_id}/cancel", {"reason": "  "}, headers=EN)
    assert empty.status_code == 422 and "Tell the buyer why the order is cancelled." in empty.text
    shipped, _ = await order(s, status="shipped")
    refused = await post_form(client, f"/seller/orders/{shipped}/cancel", {"reason": "缺货"}, headers=EN)
    assert refused.status_code == 422 and "already been shipped" in refused.text
    assert [(await order_row(i))["status"] for i in (order_id, shipped)] == ["paid", "shipped"]
    assert scheduled == []


async def test_a_refund_that_cannot_be_made_leaves_the_order_as_it_was(client, scheduled) -> None:  # type: ignore[no-untyped-def]
    s = await signed_in_seller(client)
    order_id, _ = await order(s, qty=2)  # no payment row: the gateway has nothing to refund
    response = await post_form(client, f"/seller/orders/{order_id}/cancel", {"reason": "缺货"}, headers=EN)
    assert response.status_code == 422 and "This order has no payment to refund." in response.text
    assert (await order_row(order_id))["status"] == "paid"
    assert await stock_of(s.product) == 8  # nothing given back: the whole cancellation rolled back
    assert await events(order_id) == ["paid"]
    assert await fetch("SELECT id FROM refund") == []


async def test_pickup_code_finds_this_shops_order_and_hands_it_over(client) -> None:  # type: ignore[no-untyped-def]
    s = await signed_in_seller(client)
    order_id, _ = await order(s, delivery="pickup")  # the factory's pickup code: 12345678
    wrong = await post_form(client, "/seller/orders/pickup", {"code": "87654321"}, headers=EN)
    assert wrong.status_code == 422 and "No order of this shop is waiting for pickup with this code." in wrong.text
    short = await post_form(client, "/seller/orders/pickup", {"code": "1234"}, headers=EN)
    assert short.status_code == 422 and "A pickup code is 8 digits." in short.text

    found = await post_form(client, "/seller/orders/pickup", {"code": "1234 5678"}, headers=EN)
    assert found.status_code == 200
    assert (await order_row(order_id))["no"] in found.text and "Confirm handover" in found.text

    forged = await post_form(client, f"/seller/orders/pickup/{order_id}/hand-over", {"code": "00000000"}, headers=EN)
    assert forged.status_code == 422 and (await order_row(order_id))["status"] == "paid"

    done = await post_form(client, f"/seller/orders/pickup/{order_id}/hand-over", {"code": "12345678"}, headers=EN)
    assert done.status_code == 303
    row = await order_row(order_id)
    assert row["status"] == "completed" and row["delivered_at"] is not None and row["completed_at"] is not None
    assert await events(order_id) == ["paid", "picked_up", "completed"]
    again = await post_form(client, "/seller/orders/pickup", {"code": "12345678"}, headers=EN)
    assert again.status_code == 422 and "already been handed over" in again.text


async def test_another_shops_pickup_code_is_not_found(client) -> None:  # type: ignore[no-untyped-def]
    await signed_in_seller(client, "warehouse")
    other = await seller()
    theirs, _ = await order(other, delivery="pickup")
    response = await post_form(client, "/seller/orders/pickup", {"code": "12345678"}, headers=EN)
    assert response.status_code == 422 and "No order of this shop is waiting for pickup" in response.text
    assert (await order_row(theirs))["no"] not in response.text
    hand_over = await post_form(client, f"/seller/orders/pickup/{theirs}/hand-over", {"code": "12345678"})
    assert hand_over.status_code == 404
    assert (await order_row(theirs))["status"] == "paid"


async def test_pickup_codes_cannot_be_guessed_without_limit(client) -> None:  # type: ignore[no-untyped-def]
    s = await signed_in_seller(client)
    order_id, _ = await order(s, delivery="pickup")
    for guess in range(fulfilment.PICKUP_MAX_FAILURES):
        response = await post_form(client, "/seller/orders/pickup", {"code": f"{90000000 + guess}"}, headers=EN)
        assert response.status_code == 422
    blocked = await post_form(client, "/seller/orders/pickup", {"code": "12345678"}, headers=EN)
    assert blocked.status_code == 429 and "Too many wrong pickup codes." in blocked.text
    assert 'value="12345678"' in blocked.text  # the form keeps the code
    assert (await order_row(order_id))["status"] == "paid"
