"""The notify endpoint: a notice is acted on once (duplicates, replays and ten concurrent copies change nothing
more), a wrong amount or a bad signature changes nothing at all, and a payment that lands on a cancelled or already
paid group is refunded whole."""

from __future__ import annotations

import asyncio

from app.core.db import fetch, fetchrow
from app.orders import services as orders
from app.payments import sandbox, services
from app.payments.gateway import SIGNATURE_HEADER, notify_key, sign
from app.payments.tasks import drain
from tests.integration.payments._helpers import (
    EN,
    buyer_with_group,
    group_status,
    open_cashier,
    paid_events,
    pay_group,
    payment_of,
    post_notice,
    press_pay,
    signed_notice,
)
from tests.order_factories import TEST_ACTOR


async def test_a_replayed_or_duplicated_notice_changes_nothing(client) -> None:  # type: ignore[no-untyped-def]
    _, group = await buyer_with_group(client)
    await pay_group(client, group)
    payment = await payment_of(group)
    delivered = await fetchrow("SELECT body FROM sandbox_notice")
    body = delivered["body"].encode()
    headers = {SIGNATURE_HEADER: sign(body, notify_key())}
    for _ in range(3):  # the same event again (a provider retry, an attacker's replay)
        response = await post_notice(client, body, headers)
        assert (response.status_code, response.text) == (200, "success")
    # the same payment under a new event id (a provider that re-sends with fresh ids)
    again, again_headers = signed_notice(payment["no"], 3500, txn_id=payment["provider_txn_id"])
    assert (await post_notice(client, again, again_headers)).text == "success"
    assert await paid_events() == 2
    assert await group_status(group) == ("paid", {"paid"})
    rows = await fetch("SELECT outcome FROM payment_notice ORDER BY id")
    assert [r["outcome"] for r in rows] == ["paid", "duplicate"]
    assert (await payment_of(group))["paid_at"] == payment["paid_at"]


async def test_ten_concurrent_copies_of_one_notice_make_one_payment(client, new_client) -> None:  # type: ignore[no-untyped-def]
    _, group = await buyer_with_group(client)
    await open_cashier(client, group)
    payment = await payment_of(group)
    body, headers = signed_notice(payment["no"], 3500, txn_id="SBXCONCURRENT")
    clients = [new_client() for _ in range(10)]
    try:
        responses = await asyncio.gather(*[post_notice(c, body, headers) for c in clients])
    finally:
        for c in clients:
            await c.aclose()
    assert [(r.status_code, r.text) for r in responses] == [(200, "success")] * 10
    paid = await fetch("SELECT id, provider_txn_id FROM payment WHERE status = 'paid'")
    assert len(paid) == 1 and paid[0]["provider_txn_id"] == "SBXCONCURRENT"
    assert len(await fetch("SELECT id FROM payment_notice")) == 1
    assert await paid_events() == 2
    assert await group_status(group) == ("paid", {"paid"})


async def test_ten_concurrent_notices_with_different_event_ids_make_one_payment(client, new_client) -> None:  # type: ignore[no-untyped-def]
    _, group = await buyer_with_group(client)
    await open_cashier(client, group)
    payment = await payment_of(group)
    notices = [signed_notice(payment["no"], 3500, txn_id="SBXSAME") for _ in range(10)]
    clients = [new_client() for _ in range(10)]
    try:
        responses = await asyncio.gather(*[post_notice(c, b, h) for c, (b, h) in zip(clients, notices, strict=True)])
    finally:
        for c in clients:
            await c.aclose()
    assert {r.text for r in responses} == {"success"}
    outcomes = sorted(r["outcome"] for r in await fetch("SELECT outcome FROM payment_notice"))
    assert outcomes == ["duplicate"] * 9 + ["paid"]
    assert await paid_events() == 2
    assert await fetch("SELECT id FROM refund") == []


async def test_a_wrong_amount_is_refused_and_the_group_stays_unpaid(client) -> None:  # type: ignore[no-untyped-def]
    _, group = await buyer_with_group(client)
    await open_cashier(client, group)
    payment = await payment_of(group)
    for amount in (3499, 3501, 1):
        body, headers = signed_notice(payment["no"], amount, event_id="evt-wrong")
        response = await post_notice(client, body, headers)
        assert (response.status_code, response.text) == (400, "fail")
    assert await group_status(group) == ("pending_payment", {"pending_payment"})
    assert (await payment_of(group))["status"] == "created"
    assert await fetch("SELECT id FROM payment_notice") == []  # nothing recorded: the event id is not used up
    # the group's total changed under the payment (it never should): refused as well
    await fetch("UPDATE order_group SET total_fen = 3000 WHERE id = {}", group.id)
    body, headers = signed_notice(payment["no"], 3500)
    assert (await post_notice(client, body, headers)).status_code == 400
    assert await group_status(group) == ("pending_payment", {"pending_payment"})


async def test_a_notice_for_an_unknown_payment_or_provider_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    body, headers = signed_notice("P000000000000000000", 100)
    assert (await post_notice(client, body, headers)).status_code == 400
    response = await client.post("/payments/notify/alipay", content=body, headers=headers)
    assert response.status_code == 400
    assert await fetch("SELECT id FROM payment_notice") == []


async def test_a_bad_signature_is_rejected_and_does_not_reserve_the_event(client) -> None:  # type: ignore[no-untyped-def]
    _, group = await buyer_with_group(client)
    await open_cashier(client, group)
    payment = await payment_of(group)
    body, headers = signed_notice(payment["no"], 3500, event_id="evt-1")
    forged = {SIGNATURE_HEADER: "sha256=" + "0" * 64}
    tampered = body.replace(b'"SBXTEST1"', b'"SBXEVIL01"')
    for b, h in ((body, forged), (body, {}), (tampered, headers), (b"{}", headers)):
        response = await post_notice(client, b, h)
        assert (response.status_code, response.text) == (400, "fail")
    assert await group_status(group) == ("pending_payment", {"pending_payment"})
    assert await fetch("SELECT id FROM payment_notice") == []
    response = await post_notice(client, body, headers)  # the real notice with that event id still works
    assert response.text == "success"
    assert await group_status(group) == ("paid", {"paid"})


async def test_the_notify_endpoint_needs_no_csrf_token_or_session(new_client) -> None:  # type: ignore[no-untyped-def]
    async with new_client() as provider:
        response = await provider.post("/payments/notify/sandbox", content=b"{}")
        assert response.status_code == 400  # refused for its signature, not for a missing CSRF token
        assert "set-cookie" not in {k.lower() for k in response.headers}


async def test_a_payment_after_the_group_was_cancelled_is_refunded_whole(client) -> None:  # type: ignore[no-untyped-def]
    """The cashier was open when the group was cancelled (the deadline sweep, or the buyer in another tab)."""
    buyer, group = await buyer_with_group(client)
    cashier = await open_cashier(client, group)
    payment = await payment_of(group)
    await orders.cancel_unpaid(buyer_id=buyer.id, order_id=group.order_ids[0], actor=TEST_ACTOR)
    await press_pay(client, cashier)
    assert await group_status(group) == ("cancelled", {"cancelled"})
    assert (await payment_of(group))["status"] == "paid"
    refund = await fetchrow('SELECT amount_fen, status, idempotency_key, provider_refund_id, "order" FROM refund')
    assert refund["amount_fen"] == 3500 and refund["status"] == "succeeded" and refund["order"] is None
    assert refund["idempotency_key"] == f"late:{payment['no']}" and refund["provider_refund_id"].startswith("SBR")
    assert len(await fetch("SELECT id FROM sandbox_refund")) == 1
    delivered = await fetchrow("SELECT body FROM sandbox_notice")
    body = delivered["body"].encode()
    headers = {SIGNATURE_HEADER: sign(body, notify_key())}
    assert (await post_notice(client, body, headers)).text == "success"  # the provider's retry: no second refund
    await drain()
    assert len(await fetch("SELECT id FROM refund")) == 1
    page = await client.get(f"/pay/{group.no}/return", headers=EN)
    assert "This order was cancelled" in page.text and "It has been refunded" in page.text and "¥35.00" in page.text
    note = await fetchrow('SELECT kind FROM notification WHERE "user" = {}', buyer.id)
    assert note["kind"] == "refund_succeeded"


async def test_a_second_payment_of_a_paid_group_is_refunded(client, frozen_clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The buyer paid, the notice was stuck, the open payment was closed (the provider was switched in the config)
    and the buyer paid again: the first payment's notice, when it arrives, is refunded."""
    _, group = await buyer_with_group(client)
    good = sandbox.sender

    async def down(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        return 502, "bad gateway"

    monkeypatch.setattr(sandbox, "sender", down)
    await pay_group(client, group)
    first = await payment_of(group)
    await fetch("UPDATE payment SET status = 'closed' WHERE id = {}", first["id"])
    monkeypatch.setattr(sandbox, "sender", good)
    await pay_group(client, group)
    second = await payment_of(group)
    assert second["id"] != first["id"] and second["status"] == "paid"
    frozen_clock.advance(seconds=15)
    assert await sandbox.deliver_due_notices() == 1
    await drain()
    assert await group_status(group) == ("paid", {"paid"})
    refunds = await fetch("SELECT payment, amount_fen, status, idempotency_key FROM refund")
    assert [(r["payment"], r["amount_fen"], r["status"]) for r in refunds] == [(first["id"], 3500, "succeeded")]
    assert refunds[0]["idempotency_key"] == f"twice:{first['no']}"
    assert await paid_events() == 2


async def test_handle_notice_as_a_service(client) -> None:  # type: ignore[no-untyped-def]
    _, group = await buyer_with_group(client)
    await open_cashier(client, group)
    payment = await payment_of(group)
    body, headers = signed_notice(payment["no"], 3500)
    assert await services.handle_notice(provider="sandbox", headers=headers, body=body) is True
    assert await services.handle_notice(provider="sandbox", headers=headers, body=body) is True
    assert await services.handle_notice(provider="sandbox", headers={}, body=body) is False
    assert await services.handle_notice(provider="nope", headers=headers, body=body) is False
