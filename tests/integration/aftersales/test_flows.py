"""After-sales flows at the service level: apply, approve/reject, return, refund, disputes, sweeps, concurrency."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest

from app.aftersales import rules, services, sweeps
from app.core import clock
from app.core.db import fetch, fetchrow
from app.core.errors import ValidationFailed
from app.core.principal import Actor
from app.operations.settings import REGISTRY
from tests.factories import make_user
from tests.integration.aftersales._setup import actions, bought, refunds, status_of
from tests.integration.orders._seller import stock_of

ADDRESS = {"name": "退货仓", "phone": "13800000000", "address": "上海市浦东新区1号"}
MOD = Actor(user_id=None, label="moderator")


async def test_refund_only_approved_refunds_once_with_the_asked_amount():
    b = await bought(adjustments=(-500, -180))  # a coupon and points: paid 39.80 - 6.80 = 33.00
    assert b.paid_fen == 3300
    a = await services.apply(actor=b.buyer_actor, buyer_id=b.buyer.id, order_item_id=b.item_id,
                             kind="refund_only", reason="not_received", amount_fen=1000)  # fmt: skip
    await services.approve(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=a)
    assert await status_of(a) == "refunded"
    assert [(r["amount_fen"], r["key"]) for r in await refunds(b.order_id)] == [(1000, f"aftersale:{a}")]
    assert await actions(a) == ["requested", "approved", "refunded"]
    # a second request may take exactly the rest, not one fen more
    with pytest.raises(rules.AmountError) as err:
        await services.apply(actor=b.buyer_actor, buyer_id=b.buyer.id, order_item_id=b.item_id,
                             kind="refund_only", reason="other", amount_fen=2301)  # fmt: skip
    assert err.value.params == {"amount": "¥23.00"}
    a2 = await services.apply(actor=b.buyer_actor, buyer_id=b.buyer.id, order_item_id=b.item_id,
                              kind="refund_only", reason="other", amount_fen=2300)  # fmt: skip
    await services.approve(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=a2)
    assert sum(r["amount_fen"] for r in await refunds(b.order_id)) == 3300
    assert await services.item_action(buyer_id=b.buyer.id, order_item_id=b.item_id) is None  # nothing left


async def test_return_flow_gives_stock_back_and_refunds():
    b = await bought(qty=2)
    stock = await stock_of(b.s.product)
    a = await services.apply(actor=b.buyer_actor, buyer_id=b.buyer.id, order_item_id=b.item_id,
                             kind="return_refund", reason="damaged", amount_fen=b.paid_fen,
                             note="屏幕裂了")  # fmt: skip
    with pytest.raises(ValidationFailed):
        await services.approve(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=a, return_address={})
    await services.approve(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=a, return_address=ADDRESS)
    assert await refunds(b.order_id) == []
    await services.ship_return(actor=b.buyer_actor, buyer_id=b.buyer.id, after_sale_id=a, carrier="sf",
                               tracking_no="SF123456789")  # fmt: skip
    await services.confirm_received(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=a)
    assert await status_of(a) == "refunded"
    assert await stock_of(b.s.product) == stock + 2
    assert [r["amount_fen"] for r in await refunds(b.order_id)] == [3980]
    assert await actions(a) == ["requested", "approved", "shipped", "received", "refunded"]
    with pytest.raises(rules.IllegalAfterSaleTransition):
        await services.confirm_received(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=a)
    assert len(await refunds(b.order_id)) == 1


async def test_another_shop_or_buyer_gets_not_found():
    b = await bought()
    other = await bought()
    a = await services.apply(actor=b.buyer_actor, buyer_id=b.buyer.id, order_item_id=b.item_id,
                             kind="refund_only", reason="other", amount_fen=100)  # fmt: skip
    with pytest.raises(services.AfterSaleNotFound):
        await services.buyer_request(buyer_id=other.buyer.id, after_sale_id=a)
    with pytest.raises(services.AfterSaleNotFound):
        await services.approve(actor=other.seller_actor, shop_id=other.s.shop.id, after_sale_id=a)
    with pytest.raises(services.AfterSaleNotFound):
        await services.apply(actor=other.buyer_actor, buyer_id=other.buyer.id, order_item_id=b.item_id,
                             kind="refund_only", reason="other", amount_fen=100)  # fmt: skip
    assert await services.item_action(buyer_id=other.buyer.id, order_item_id=b.item_id) is None
    assert await status_of(a) == "requested"


async def test_unpaid_order_cannot_apply():
    b = await bought(status="pending_payment")
    assert await services.item_action(buyer_id=b.buyer.id, order_item_id=b.item_id) is None
    with pytest.raises(services.AfterSaleError):
        await services.apply(actor=b.buyer_actor, buyer_id=b.buyer.id, order_item_id=b.item_id,
                             kind="refund_only", reason="other", amount_fen=100)  # fmt: skip


async def test_two_concurrent_requests_for_one_item_make_one():
    b = await bought()

    async def one() -> object:
        try:
            return await services.apply(actor=b.buyer_actor, buyer_id=b.buyer.id, order_item_id=b.item_id,
                                        kind="refund_only", reason="other", amount_fen=100)  # fmt: skip
        except services.AfterSaleError as exc:
            return exc

    results = await asyncio.gather(*[one() for _ in range(4)])
    assert sum(isinstance(r, int) for r in results) == 1
    row = await fetchrow("SELECT count(*) AS n FROM after_sale WHERE order_item = {}", b.item_id)
    assert row["n"] == 1


async def test_rejected_then_escalated_and_ruled_against_the_seller():
    b = await bought()
    a = await services.apply(actor=b.buyer_actor, buyer_id=b.buyer.id, order_item_id=b.item_id,
                             kind="refund_only", reason="not_as_described", amount_fen=2000)  # fmt: skip
    with pytest.raises(ValidationFailed):
        await services.reject(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=a, reason=" ")
    await services.reject(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=a, reason="商品无质量问题")
    await services.escalate(actor=b.buyer_actor, buyer_id=b.buyer.id, after_sale_id=a, statement="颜色与图片不符")
    await services.seller_statement(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=a, statement="实物一致")
    queue = await services.disputes()
    assert [d["id"] for d in queue] == [a]
    with pytest.raises(rules.AmountError):
        await services.rule(actor=MOD, after_sale_id=a, ruling="refund_partial", amount_fen=5000, reason="部分支持")
    await services.rule(actor=MOD, after_sale_id=a, ruling="refund_partial", amount_fen=1500, reason="部分支持")
    assert await status_of(a) == "arbitrated"
    assert [r["amount_fen"] for r in await refunds(b.order_id)] == [1500]
    d = await services.dispute_of(after_sale_id=a)
    assert (d["ruling"], d["amount_fen"], d["seller_statement"]) == ("refund_partial", 1500, "实物一致")
    audit = await fetch("SELECT action FROM audit_log WHERE target_type = 'after_sale' AND target_id = {}", str(a))
    assert {r["action"] for r in audit} >= {"aftersale.reject", "aftersale.rule"}
    with pytest.raises(rules.IllegalAfterSaleTransition):
        await services.rule(actor=MOD, after_sale_id=a, ruling="refund_full", amount_fen=None, reason="again")
    assert len(await refunds(b.order_id)) == 1
    assert await services.disputes() == []


async def test_full_refund_before_shipping_restocks_and_returns_points():
    b = await bought(qty=1, status="paid")
    stock = await stock_of(b.s.product)
    a = await services.apply(actor=b.buyer_actor, buyer_id=b.buyer.id, order_item_id=b.item_id,
                             kind="refund_only", reason="no_longer_wanted", amount_fen=b.paid_fen)  # fmt: skip
    await services.approve(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=a)
    assert await stock_of(b.s.product) == stock + 1
    order = await fetchrow("SELECT status FROM shop_order WHERE id = {}", b.order_id)
    assert order["status"] == "cancelled"  # nothing left to ship
    note = await fetchrow('SELECT kind FROM notification WHERE "user" = {} ORDER BY id DESC LIMIT 1', b.buyer.id)
    assert note["kind"] == "aftersale_approved"


async def _later(days: float):  # type: ignore[no-untyped-def]
    later = clock.now() + timedelta(days=days)
    clock.use_clock(lambda: later)


@pytest.fixture
def restore_clock():  # type: ignore[no-untyped-def]
    original = clock._now
    yield
    clock.use_clock(original)


async def test_sweeps_time_out_each_step_once(restore_clock):
    silent = await bought()
    unshipped = await bought()
    unconfirmed = await bought()
    s1 = await services.apply(actor=silent.buyer_actor, buyer_id=silent.buyer.id, order_item_id=silent.item_id,
                              kind="refund_only", reason="other", amount_fen=500)  # fmt: skip
    s2 = await services.apply(actor=unshipped.buyer_actor, buyer_id=unshipped.buyer.id,
                              order_item_id=unshipped.item_id, kind="return_refund", reason="other",
                              amount_fen=500)  # fmt: skip
    await services.approve(actor=unshipped.seller_actor, shop_id=unshipped.s.shop.id, after_sale_id=s2,
                           return_address=ADDRESS)  # fmt: skip
    s3 = await services.apply(actor=unconfirmed.buyer_actor, buyer_id=unconfirmed.buyer.id,
                              order_item_id=unconfirmed.item_id, kind="return_refund", reason="other",
                              amount_fen=700)  # fmt: skip
    await services.approve(actor=unconfirmed.seller_actor, shop_id=unconfirmed.s.shop.id, after_sale_id=s3,
                           return_address=ADDRESS)  # fmt: skip
    await services.ship_return(actor=unconfirmed.buyer_actor, buyer_id=unconfirmed.buyer.id, after_sale_id=s3,
                               carrier="zto", tracking_no="ZT0001")  # fmt: skip
    # nothing is due yet
    assert (await sweeps.auto_approve(), await sweeps.close_unshipped(), await sweeps.auto_refund()) == (0, 0, 0)
    await _later(REGISTRY["aftersales.seller_confirm_days"].default + 1)
    counts = await asyncio.gather(sweeps.auto_approve(), sweeps.auto_approve())
    assert sum(counts) == 1
    assert await status_of(s1) == "refunded"
    assert await sweeps.close_unshipped() == 1
    assert await status_of(s2) == "closed"
    assert sum(await asyncio.gather(sweeps.auto_refund(), sweeps.auto_refund())) == 1
    assert await status_of(s3) == "refunded"
    assert [r["amount_fen"] for r in await refunds(unconfirmed.order_id)] == [700]
    assert [r["amount_fen"] for r in await refunds(silent.order_id)] == [500]
    assert (await sweeps.auto_approve(), await sweeps.close_unshipped(), await sweeps.auto_refund()) == (0, 0, 0)
    assert "auto_approved" in await actions(s1)


async def test_buyer_cancel_and_bad_input():
    b = await bought()
    with pytest.raises(ValidationFailed) as err:
        await services.apply(actor=b.buyer_actor, buyer_id=b.buyer.id, order_item_id=b.item_id,
                             kind="gift", reason="?", amount_fen=1)  # fmt: skip
    assert set(err.value.errors) == {"kind", "reason"}
    a = await services.apply(actor=b.buyer_actor, buyer_id=b.buyer.id, order_item_id=b.item_id,
                             kind="return_refund", reason="other", amount_fen=1)  # fmt: skip
    stranger = await make_user()
    with pytest.raises(services.AfterSaleNotFound):
        await services.cancel(actor=b.buyer_actor, buyer_id=stranger.id, after_sale_id=a)
    await services.cancel(actor=b.buyer_actor, buyer_id=b.buyer.id, after_sale_id=a)
    assert await status_of(a) == "closed"
    action = await services.item_action(buyer_id=b.buyer.id, order_item_id=b.item_id)
    assert action is not None and action.kind == "apply"


async def test_points_come_back_once_the_whole_order_is_refunded(monkeypatch):
    from app.membership import checkout

    calls: list[int] = []

    async def fake(*, order_id: int) -> int:
        calls.append(order_id)
        return 0

    monkeypatch.setattr(checkout, "refund_order_points", fake)
    b = await bought(adjustments=(-200,))
    first = await services.apply(actor=b.buyer_actor, buyer_id=b.buyer.id, order_item_id=b.item_id,
                                 kind="refund_only", reason="other", amount_fen=1000)  # fmt: skip
    await services.approve(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=first)
    assert calls == []  # a part only
    rest = await services.apply(actor=b.buyer_actor, buyer_id=b.buyer.id, order_item_id=b.item_id,
                                kind="refund_only", reason="other", amount_fen=b.paid_fen - 1000)  # fmt: skip
    await services.approve(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=rest)
    assert calls == [b.order_id]


def test_the_worker_runs_the_sweeps():
    from app.worker import SWEEPS

    names = {name for name, _ in SWEEPS}
    assert {"aftersales.auto_approve", "aftersales.close_unshipped", "aftersales.auto_refund"} <= names


async def test_a_partial_refund_before_shipping_keeps_the_stock_and_the_order():
    b = await bought(qty=2, status="paid")
    stock = await stock_of(b.s.product)
    a = await services.apply(actor=b.buyer_actor, buyer_id=b.buyer.id, order_item_id=b.item_id,
                             kind="refund_only", reason="other", amount_fen=500)  # fmt: skip
    await services.approve(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=a)
    assert await stock_of(b.s.product) == stock
    order = await fetchrow("SELECT status FROM shop_order WHERE id = {}", b.order_id)
    assert order["status"] == "paid"


async def test_the_shop_is_told_of_a_new_request():
    b = await bought()
    a = await services.apply(actor=b.buyer_actor, buyer_id=b.buyer.id, order_item_id=b.item_id,
                             kind="refund_only", reason="other", amount_fen=100)  # fmt: skip
    note = await fetchrow('SELECT kind, link FROM notification WHERE "user" = {}', b.s.user.id)
    assert (note["kind"], note["link"]) == ("aftersale_requested", f"/seller/aftersales/{a}")


async def test_coupons_come_back_once_the_whole_order_is_refunded() -> None:
    from app.coupons import services as coupons
    from tests.integration.coupons._helpers import make_template

    b = await bought(qty=1)
    shop_coupon = await coupons.grant(template_id=await make_template(shop_id=b.s.shop.id), user_id=b.buyer.id)
    platform = await coupons.grant(template_id=await make_template(threshold_fen=0), user_id=b.buyer.id)
    await fetch(
        "UPDATE user_coupon SET status = 'used', used_group = {}, used_at = now() WHERE id = ANY({}::int[])",
        b.group.id,
        [shop_coupon, platform],
    )
    part = await services.apply(actor=b.buyer_actor, buyer_id=b.buyer.id, order_item_id=b.item_id,
                                kind="refund_only", reason="other", amount_fen=b.paid_fen - 100)  # fmt: skip
    await services.approve(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=part)
    used = await fetch("SELECT status FROM user_coupon WHERE id = ANY({}::int[])", [shop_coupon, platform])
    assert {r["status"] for r in used} == {"used"}  # a partial refund keeps them used
    rest = await services.apply(actor=b.buyer_actor, buyer_id=b.buyer.id, order_item_id=b.item_id,
                                kind="refund_only", reason="other", amount_fen=100)  # fmt: skip
    await services.approve(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=rest)
    back = await fetch("SELECT status FROM user_coupon WHERE id = ANY({}::int[])", [shop_coupon, platform])
    assert {r["status"] for r in back} == {"unused"}
