"""Paying through HTTP: /pay/{no} → the sandbox cashier → Pay → the signed notice delivered to our endpoint → the
group and all its orders paid; retries with backoff when delivery fails; the return page; who may pay what."""

from __future__ import annotations

import asyncio

from app.core.db import fetch, fetchrow
from app.orders import services as orders
from app.payments import sandbox
from app.payments.tasks import drain
from app.worker import SWEEPS
from tests.factories import login, make_user, post_form
from tests.integration.payments._helpers import (
    EN,
    buyer_with_group,
    group_status,
    open_cashier,
    paid_events,
    pay_group,
    payment_of,
    press_pay,
)
from tests.order_factories import TEST_ACTOR


async def test_a_buyer_pays_a_group_on_the_sandbox_and_every_order_is_paid(client, deliver_through_asgi) -> None:  # type: ignore[no-untyped-def]
    _, group = await buyer_with_group(client)
    cashier = await open_cashier(client, group)
    page = await client.get(cashier, headers=EN)
    payment = await payment_of(group)
    assert page.status_code == 200
    assert "¥35.00" in page.text and payment["no"] in page.text and group.no in page.text
    assert "Jishi Mall" in page.text and "Abandon and go back" in page.text
    response = await press_pay(client, cashier)
    assert response.status_code == 303
    assert response.headers["location"] == f"http://testserver/pay/{group.no}/return"
    assert deliver_through_asgi == [(200, "success")]  # one delivery, acknowledged as Alipay expects
    payment = await payment_of(group)
    assert payment["status"] == "paid" and payment["provider_txn_id"].startswith("SBX") and payment["paid_at"]
    assert payment["amount_fen"] == 3500
    assert await group_status(group) == ("paid", {"paid"})
    assert await paid_events() == 2
    notice = await fetchrow("SELECT status, attempts, delivered_at FROM sandbox_notice")
    assert (notice["status"], notice["attempts"]) == ("delivered", 1) and notice["delivered_at"]
    result = await client.get(f"/pay/{group.no}/return", headers=EN)
    assert "Payment received" in result.text and "¥35.00" in result.text
    assert 'hx-trigger="every 2s"' not in result.text
    assert "/me/orders" in result.text


async def test_pressing_pay_twice_takes_the_money_once(client, deliver_through_asgi) -> None:  # type: ignore[no-untyped-def]
    _, group = await buyer_with_group(client)
    cashier = await open_cashier(client, group)
    first, second = await asyncio.gather(press_pay(client, cashier, wait=False), press_pay(client, cashier))
    await drain()
    assert first.status_code == second.status_code == 303
    assert len(await fetch("SELECT id FROM sandbox_notice")) == 1
    assert await group_status(group) == ("paid", {"paid"})
    page = await client.get(cashier, headers=EN)
    assert "This trade has been paid." in page.text


async def test_opening_the_payment_again_reuses_the_open_payment(client) -> None:  # type: ignore[no-untyped-def]
    _, group = await buyer_with_group(client)
    urls = await asyncio.gather(*[open_cashier(client, group) for _ in range(5)])
    assert len(set(urls)) == 1
    assert len(await fetch('SELECT id FROM payment WHERE "group" = {}', group.id)) == 1
    assert len(await fetch("SELECT id FROM sandbox_charge")) == 1


async def test_a_failed_delivery_is_retried_with_backoff_until_acknowledged(client, frozen_clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _, group = await buyer_with_group(client)
    good = sandbox.sender
    calls: list[str] = []

    async def down(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        calls.append("500")
        return 500, "internal error"

    async def unreachable(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        calls.append("refused")
        raise ConnectionRefusedError("connection refused")

    monkeypatch.setattr(sandbox, "sender", down)
    start = frozen_clock.at
    await pay_group(client, group)
    notice = await fetchrow("SELECT status, attempts, next_attempt_at, last_error FROM sandbox_notice")
    assert (notice["status"], notice["attempts"], notice["last_error"]) == ("pending", 1, "HTTP 500: internal error")
    assert (notice["next_attempt_at"] - start).total_seconds() == 15
    assert await group_status(group) == ("pending_payment", {"pending_payment"})
    waiting = await client.get(f"/pay/{group.no}/return", headers=EN)
    assert "Waiting for the payment result" in waiting.text and 'hx-trigger="every 2s"' in waiting.text

    assert await sandbox.deliver_due_notices() == 0  # not due yet
    monkeypatch.setattr(sandbox, "sender", unreachable)
    frozen_clock.advance(seconds=15)
    assert await sandbox.deliver_due_notices() == 1
    notice = await fetchrow("SELECT attempts, next_attempt_at, last_error FROM sandbox_notice")
    assert notice["attempts"] == 2 and notice["last_error"].startswith("ConnectionRefusedError")
    assert (notice["next_attempt_at"] - frozen_clock.at).total_seconds() == 60

    monkeypatch.setattr(sandbox, "sender", good)
    frozen_clock.advance(seconds=30)
    assert await sandbox.deliver_due_notices() == 0
    frozen_clock.advance(seconds=30)
    assert await sandbox.deliver_due_notices() == 1
    assert calls == ["500", "refused"]
    notice = await fetchrow("SELECT status, attempts FROM sandbox_notice")
    assert (notice["status"], notice["attempts"]) == ("delivered", 3)
    assert await group_status(group) == ("paid", {"paid"})
    fragment = await client.get(f"/pay/{group.no}/return", headers={**EN, "HX-Request": "true"})
    assert fragment.text.lstrip().startswith(("{#", '<section id="pay-status"'))
    assert "Payment received" in fragment.text and "every 2s" not in fragment.text and "<html" not in fragment.text


async def test_several_workers_never_send_one_notice_at_the_same_time(client, frozen_clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _, group = await buyer_with_group(client)
    good = sandbox.sender

    async def down(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        return 503, ""

    monkeypatch.setattr(sandbox, "sender", down)
    await pay_group(client, group)
    sends: list[int] = []

    async def slow(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        sends.append(1)
        await asyncio.sleep(0.05)
        return await good(url, body, headers)

    monkeypatch.setattr(sandbox, "sender", slow)
    frozen_clock.advance(seconds=16)
    results = await asyncio.gather(*[sandbox.deliver_due_notices() for _ in range(5)])
    assert sum(results) == 1 and len(sends) == 1
    assert await group_status(group) == ("paid", {"paid"})


async def test_a_late_notice_is_replaced_by_asking_the_provider(client, frozen_clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    """The notice is stuck (our endpoint unreachable): after 30 s the return page asks the sandbox itself."""
    _, group = await buyer_with_group(client)

    async def down(url: str, body: bytes, headers: dict[str, str]) -> tuple[int, str]:
        raise TimeoutError("timed out")

    monkeypatch.setattr(sandbox, "sender", down)
    await pay_group(client, group)
    page = await client.get(f"/pay/{group.no}/return", headers=EN)
    assert "Waiting for the payment result" in page.text
    frozen_clock.advance(seconds=31)
    page = await client.get(f"/pay/{group.no}/return", headers=EN)
    assert "Payment received" in page.text
    assert await group_status(group) == ("paid", {"paid"})
    outcome = await fetchrow("SELECT event_id, outcome FROM payment_notice")
    assert outcome["event_id"].startswith("query:") and outcome["outcome"] == "paid"


async def test_another_buyer_cannot_pay_or_see_someone_elses_group(client, new_client) -> None:  # type: ignore[no-untyped-def]
    _, group = await buyer_with_group(client)
    async with new_client() as other:
        await login(other, await make_user())
        assert (await other.get(f"/pay/{group.no}", headers=EN)).status_code == 404
        assert (await other.get(f"/pay/{group.no}/return", headers=EN)).status_code == 404
        assert (await other.get("/pay/0000000000000000", headers=EN)).status_code == 404
    assert await fetch("SELECT id FROM payment") == []


async def test_a_visitor_is_sent_to_log_in(new_client) -> None:  # type: ignore[no-untyped-def]
    async with new_client() as visitor:
        response = await visitor.get("/pay/2611230000000000")
        assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


async def test_a_paid_cancelled_or_overdue_group_is_not_opened_again(client, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    _, group = await buyer_with_group(client)
    await pay_group(client, group)
    response = await client.get(f"/pay/{group.no}", headers=EN)
    assert response.headers["location"] == f"/pay/{group.no}/return"
    page = await client.get(response.headers["location"], headers=EN)
    assert "This order has been paid already." in page.text

    buyer, unpaid = await buyer_with_group(client, prices=(990,))
    await orders.cancel_unpaid(buyer_id=buyer.id, order_id=unpaid.order_ids[0], actor=TEST_ACTOR)
    response = await client.get(f"/pay/{unpaid.no}", headers=EN)
    page = await client.get(response.headers["location"], headers=EN)
    assert "This order was cancelled and can no longer be paid." in page.text
    assert "This order was cancelled" in page.text

    _, late = await buyer_with_group(client, prices=(990,))
    frozen_clock.advance(minutes=31)
    response = await client.get(f"/pay/{late.no}", headers=EN)
    page = await client.get(response.headers["location"], headers=EN)
    assert "The time to pay for this order has run out" in page.text
    assert "The time to pay has run out" in page.text
    assert await fetch('SELECT id FROM payment WHERE "group" = ANY({}::int[])', [unpaid.id, late.id]) == []


async def test_the_sandbox_fail_and_abandon_buttons_take_no_money(client, deliver_through_asgi) -> None:  # type: ignore[no-untyped-def]
    _, group = await buyer_with_group(client)
    cashier = await open_cashier(client, group)
    failed = await post_form(client, f"{cashier}/fail", headers=EN)
    assert failed.status_code == 200 and "Payment failed" in failed.text and "No money was taken" in failed.text
    assert f'href="{cashier}"' in failed.text  # try again
    page = await client.get(cashier, headers=EN)
    assert "1 attempt failed" in page.text
    abandon = f"http://testserver/pay/{group.no}/return?left=1"
    assert f'href="{abandon}"' in page.text
    left = await client.get(abandon, headers=EN)
    assert "Not paid yet" in left.text and "every 2s" not in left.text and f'href="/pay/{group.no}"' in left.text
    assert deliver_through_asgi == []
    assert await group_status(group) == ("pending_payment", {"pending_payment"})
    assert (await payment_of(group))["status"] == "created"


async def test_the_cashier_refuses_a_trade_past_its_deadline(client, frozen_clock) -> None:  # type: ignore[no-untyped-def]
    _, group = await buyer_with_group(client)
    cashier = await open_cashier(client, group)
    frozen_clock.advance(minutes=31)
    response = await press_pay(client, cashier)
    assert response.status_code == 409 and "This trade has expired" in response.text
    assert await fetch("SELECT id FROM sandbox_notice") == []
    assert (await client.get("/sandbox/pay/no-such-token", headers=EN)).status_code == 404


async def test_the_cashier_forms_need_a_csrf_token(client) -> None:  # type: ignore[no-untyped-def]
    _, group = await buyer_with_group(client)
    cashier = await open_cashier(client, group)
    response = await client.post(f"{cashier}/pay", headers=EN)
    assert response.status_code == 403
    assert await fetch("SELECT id FROM sandbox_notice") == []


def test_the_worker_retries_notices_and_sends_refunds() -> None:
    names = {sweep for _, sweep in SWEEPS}
    assert sandbox.deliver_due_notices in names
    from app.payments.services import process_refunds

    assert process_refunds in names


async def test_a_group_with_nothing_to_pay_is_paid_without_a_provider(client) -> None:  # type: ignore[no-untyped-def]
    _, group = await buyer_with_group(client, prices=(0,))
    response = await client.get(f"/pay/{group.no}", headers=EN)
    assert response.status_code == 303 and response.headers["location"] == f"/pay/{group.no}/return"
    assert await group_status(group) == ("paid", {"paid"})
    assert await fetch("SELECT id FROM payment") == []
    page = await client.get(response.headers["location"], headers=EN)
    assert "Payment received" in page.text
