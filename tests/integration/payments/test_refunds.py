"""Refunds: requested in the caller's transaction, idempotent by key, never more than the order or the payment (even
when requested concurrently), sent through the gateway after commit or by the worker, retried when the provider is
unreachable and marked failed when it refuses."""

from __future__ import annotations

import asyncio

import pytest

from app.core.db import engine, fetch, fetchrow
from app.payments import sandbox, services
from app.payments.errors import RefundError
from app.payments.tasks import drain
from tests.integration.payments._helpers import buyer_with_group, pay_group


async def paid_group(client):  # type: ignore[no-untyped-def]
    buyer, group = await buyer_with_group(client)  # orders of ¥10.00 and ¥25.00
    await pay_group(client, group)
    return buyer, group


async def test_the_same_key_twice_gives_one_refund(client) -> None:  # type: ignore[no-untyped-def]
    _, group = await paid_group(client)
    order = group.order_ids[1]
    first = await services.request_refund(order_id=order, amount_fen=2500, reason="Out of stock", key=f"cancel:{order}")
    again = await services.request_refund(order_id=order, amount_fen=2500, reason="Out of stock", key=f"cancel:{order}")
    assert first == again
    concurrent = await asyncio.gather(
        *[services.request_refund(order_id=order, amount_fen=2500, reason="x", key=f"cancel:{order}") for _ in range(5)]
    )
    assert set(concurrent) == {first}
    assert await services.process_refunds() == 1
    assert await services.process_refunds() == 0
    row = await fetchrow("SELECT status, amount_fen, provider_refund_id, attempts FROM refund")
    assert (row["status"], row["amount_fen"], row["attempts"]) == ("succeeded", 2500, 1)
    assert row["provider_refund_id"].startswith("SBR")
    assert len(await fetch("SELECT id FROM sandbox_refund")) == 1


async def test_a_refund_joins_the_callers_transaction(client) -> None:  # type: ignore[no-untyped-def]
    _, group = await paid_group(client)

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        async with engine().transaction():
            await services.request_refund(order_id=group.order_ids[0], amount_fen=1000, reason="", key="k-rollback")
            raise Boom
    assert await fetch("SELECT id FROM refund") == []
    async with engine().transaction():
        await services.request_refund(order_id=group.order_ids[0], amount_fen=1000, reason="", key="k-commit")
    services.schedule_refunds()
    await drain()
    assert (await fetchrow("SELECT status FROM refund"))["status"] == "succeeded"


async def test_refunds_never_exceed_the_order_under_concurrency(client) -> None:  # type: ignore[no-untyped-def]
    _, group = await paid_group(client)
    order = group.order_ids[1]  # ¥25.00

    async def ask(i: int) -> str:
        try:
            await services.request_refund(order_id=order, amount_fen=600, reason="partial", key=f"part:{i}")
        except RefundError as exc:
            return exc.message
        return "ok"

    results = await asyncio.gather(*[ask(i) for i in range(10)])
    assert results.count("ok") == 4  # 4 × ¥6.00 fit in ¥25.00, a fifth does not
    assert set(results) - {"ok"} == {"At most %(left)s of this order can still be refunded."}
    total = await fetchrow("SELECT sum(amount_fen) AS n FROM refund")
    assert total["n"] == 2400
    with pytest.raises(RefundError) as caught:
        await services.request_refund(order_id=order, amount_fen=101, reason="", key="one-more")
    assert caught.value.params == {"left": "¥1.00"}
    await services.request_refund(order_id=order, amount_fen=100, reason="", key="last")
    await services.process_refunds()
    assert {r["status"] for r in await fetch("SELECT status FROM refund")} == {"succeeded"}
    assert (await fetchrow("SELECT sum(amount_fen) AS n FROM sandbox_refund"))["n"] == 2500


async def test_refunds_never_exceed_the_payment_under_concurrency(client) -> None:  # type: ignore[no-untyped-def]
    """Each order refunded whole and the whole payment refunded (as for a late payment), all at once, several
    times over: whatever wins, the refunds add up to at most the payment (¥35.00)."""
    _, group = await paid_group(client)
    a, b = group.order_ids
    payment = await fetchrow("SELECT id FROM payment WHERE status = 'paid'")

    async def whole(i: int) -> int:
        async with engine().transaction():
            await fetch("SELECT id FROM payment WHERE id = {} FOR UPDATE", payment["id"])
            return await services._insert_refund(
                payment_id=payment["id"], order_id=None, amount_fen=3500, reason="", key=f"whole:{i}"
            )

    attempts = []
    for i in range(3):
        attempts += [
            services.request_refund(order_id=a, amount_fen=1000, reason="", key=f"a:{i}"),
            services.request_refund(order_id=b, amount_fen=2500, reason="", key=f"b:{i}"),
            whole(i),
        ]
    results = await asyncio.gather(*attempts, return_exceptions=True)
    refused = [r for r in results if isinstance(r, RefundError)]
    assert len(refused) + len([r for r in results if isinstance(r, int)]) == len(results)
    total = (await fetchrow("SELECT sum(amount_fen) AS n FROM refund"))["n"]
    assert total == 3500  # both orders or the whole payment, never more
    await services.process_refunds()
    assert (await fetchrow("SELECT sum(amount_fen) AS n FROM sandbox_refund"))["n"] == 3500


async def test_bad_refund_requests_are_refused(client) -> None:  # type: ignore[no-untyped-def]
    _, unpaid = await buyer_with_group(client)
    with pytest.raises(RefundError) as caught:
        await services.request_refund(order_id=unpaid.order_ids[0], amount_fen=100, reason="", key="unpaid")
    assert caught.value.message == "This order has no payment to refund."
    with pytest.raises(RefundError):
        await services.request_refund(order_id=unpaid.order_ids[0], amount_fen=0, reason="", key="zero")
    with pytest.raises(RefundError):
        await services.request_refund(order_id=999999, amount_fen=100, reason="", key="missing")
    assert await fetch("SELECT id FROM refund") == []


async def test_an_unreachable_provider_is_retried_and_a_refusal_is_final(client, frozen_clock, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    _, group = await paid_group(client)
    monkeypatch.setattr(sandbox, "refund_fault", "unreachable")
    await services.request_refund(order_id=group.order_ids[0], amount_fen=1000, reason="", key="r1")
    assert await services.process_refunds() == 1
    row = await fetchrow("SELECT status, attempts, next_attempt_at, last_error FROM refund")
    assert (row["status"], row["attempts"]) == ("pending", 1) and "connection refused" in row["last_error"]
    assert (row["next_attempt_at"] - frozen_clock.at).total_seconds() == 60
    assert await services.process_refunds() == 0  # not due yet
    monkeypatch.setattr(sandbox, "refund_fault", None)
    frozen_clock.advance(seconds=60)
    assert await services.process_refunds() == 1
    assert (await fetchrow("SELECT status, attempts FROM refund"))["status"] == "succeeded"

    monkeypatch.setattr(sandbox, "refund_fault", "refused")
    await services.request_refund(order_id=group.order_ids[1], amount_fen=2500, reason="", key="r2")
    await services.process_refunds()
    row = await fetchrow("SELECT status, last_error FROM refund WHERE idempotency_key = 'r2'")
    assert row["status"] == "failed" and "refused" in row["last_error"]
    # a failed refund does not count against what is left: it can be asked again under a new key
    monkeypatch.setattr(sandbox, "refund_fault", None)
    await services.request_refund(order_id=group.order_ids[1], amount_fen=2500, reason="", key="r2-again")
    await services.process_refunds()
    assert (await fetchrow("SELECT status FROM refund WHERE idempotency_key = 'r2-again'"))["status"] == "succeeded"
