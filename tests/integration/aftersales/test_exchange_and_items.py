"""Exchanges (the seller ships a replacement, the buyer confirms or a sweep does) and requests covering several items
of one order (per-item amounts and units, one open request per item, one refund row per item with its own key)."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx
import pytest

from app.aftersales import rules, services, sweeps
from app.core import clock
from app.core.db import fetch, fetchrow
from app.core.errors import ValidationFailed
from app.core.principal import Actor
from app.operations.settings import REGISTRY
from tests.factories import login, make_product, make_user, post_form
from tests.integration.aftersales._setup import Bought, actions, refunds, status_of
from tests.integration.orders._seller import paid_with_payment, stock_of
from tests.order_factories import make_order_group

ADDRESS = {"name": "退货仓", "phone": "13800000000", "address": "上海市浦东新区1号"}
EN = {"Accept-Language": "en"}
ZH = {"Accept-Language": "zh-CN"}
MOD = Actor(user_id=None, label="moderator")


async def _exchange_received(b: Bought) -> int:
    a = await services.apply(actor=b.buyer_actor, buyer_id=b.buyer.id, order_item_id=b.item_id,
                             kind="exchange", reason="wrong_item", amount_fen=0)  # fmt: skip
    await services.approve(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=a, return_address=ADDRESS)
    await services.ship_return(actor=b.buyer_actor, buyer_id=b.buyer.id, after_sale_id=a, carrier="sf",
                               tracking_no="SF1234567")  # fmt: skip
    await services.confirm_received(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=a)
    return a


async def _two_items(qty: tuple[int, int] = (2, 1)) -> tuple[Bought, int, int]:
    """A paid order of two products of one shop (19.90 and 30.00); returns the set-up and the two item ids."""
    from tests.integration.aftersales._setup import bought

    b = await bought(qty=qty[0], status="paid")  # the first order is only used for its shop
    other = await make_product(shop=b.s.shop, title="帆布包", skus=[{"price_fen": 3000, "stock": 5}])
    group = await make_order_group(b.buyer, [(b.s.product, qty[0]), (other, qty[1])], status="delivered")
    await paid_with_payment(group)
    rows = await fetch('SELECT id FROM order_item WHERE "order" = {} ORDER BY id', group.order_ids[0])
    b2 = Bought(b.s, b.buyer, group, group.order_ids[0], int(rows[0]["id"]), 1990 * qty[0])
    return b2, int(rows[0]["id"]), int(rows[1]["id"])


async def test_an_exchange_ships_a_replacement_and_closes_when_the_buyer_confirms(client: httpx.AsyncClient):
    from tests.integration.aftersales._setup import bought

    b = await bought()
    stock = await stock_of(b.s.product)
    a = await _exchange_received(b)
    assert await status_of(a) == "received"  # waiting for the replacement
    assert await stock_of(b.s.product) == stock  # the unit that came back replaces the one going out
    with pytest.raises(rules.IllegalAfterSaleTransition):  # no receipt before the replacement is shipped
        await services.confirm_replacement(actor=b.buyer_actor, buyer_id=b.buyer.id, after_sale_id=a)
    await login(client, b.s.user)
    page = await client.get(f"/seller/aftersales/{a}", headers=EN)
    assert "Ship the replacement" in page.text
    bad = await post_form(client, f"/seller/aftersales/{a}/reship", {"carrier": "", "tracking_no": "YT778899"},
                          headers=EN)  # fmt: skip
    assert bad.status_code == 422 and "Choose a carrier." in bad.text and "YT778899" in bad.text
    ok = await post_form(client, f"/seller/aftersales/{a}/reship", {"carrier": "yto", "tracking_no": "YT778899"},
                         headers=EN)  # fmt: skip
    assert ok.status_code == 303 and await status_of(a) == "reshipped"
    await login(client, b.buyer)
    detail = await client.get(f"/me/aftersales/{a}", headers=EN)
    assert "Replacement shipped" in detail.text and "YTO Express YT778899" in detail.text
    assert "I received the replacement" in detail.text
    done = await post_form(client, f"/me/aftersales/{a}/exchange-received", headers=EN)
    assert done.status_code == 303 and await status_of(a) == "closed"
    assert await actions(a) == ["requested", "approved", "shipped", "received", "reshipped", "exchange_received"]
    assert await refunds(b.order_id) == []  # no money back for an exchange
    audit = await fetch("SELECT action FROM audit_log WHERE target_type = 'after_sale' AND target_id = {}", str(a))
    assert "aftersale.reshipped" in {r["action"] for r in audit}
    # the item is free again: a later request is possible
    assert (await services.item_action(buyer_id=b.buyer.id, order_item_id=b.item_id)).kind == "apply"


async def test_an_unconfirmed_replacement_closes_after_the_auto_confirm_period(restore_clock):
    from tests.integration.aftersales._setup import bought

    b = await bought()
    a = await _exchange_received(b)
    await services.ship_replacement(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=a, carrier="jd",
                                    tracking_no="JD0001234")  # fmt: skip
    assert await sweeps.close_exchanges() == 0
    later = clock.now() + timedelta(days=REGISTRY["orders.auto_confirm_days"].default, minutes=1)
    clock.use_clock(lambda: later)
    assert sum(await asyncio.gather(sweeps.close_exchanges(), sweeps.close_exchanges())) == 1
    assert await status_of(a) == "closed" and (await actions(a))[-1] == "exchange_auto_confirmed"
    assert await sweeps.close_exchanges() == 0


async def test_the_timeline_shows_the_carriers_name_not_its_code(client: httpx.AsyncClient):
    from tests.integration.aftersales._setup import bought

    b = await bought()
    a = await services.apply(actor=b.buyer_actor, buyer_id=b.buyer.id, order_item_id=b.item_id,
                             kind="return_refund", reason="damaged", amount_fen=1990)  # fmt: skip
    await services.approve(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=a, return_address=ADDRESS)
    await services.ship_return(actor=b.buyer_actor, buyer_id=b.buyer.id, after_sale_id=a, carrier="sf",
                               tracking_no="SF99887766")  # fmt: skip
    await login(client, b.buyer)
    zh = await client.get(f"/me/aftersales/{a}", headers=ZH)
    timeline = zh.text.split('class="as-timeline"')[1]
    assert "SF99887766" in timeline and ">sf SF" not in timeline and "sf SF99887766" not in timeline
    en = await client.get(f"/me/aftersales/{a}", headers=EN)
    assert "SF Express SF99887766" in en.text.split('class="as-timeline"')[1]


async def test_one_request_for_several_items_refunds_each_item_with_its_own_key():
    b, first, second = await _two_items()
    stock = await stock_of(b.s.product)
    with pytest.raises(rules.AmountError) as err:  # each amount is capped by its own item's refundable amount
        asks = [services.ItemAsk(first, 1, 1990), services.ItemAsk(second, 1, 3001)]
        await services.apply_items(actor=b.buyer_actor, buyer_id=b.buyer.id, kind="return_refund", reason="damaged",
                                   items=asks)  # fmt: skip
    assert err.value.field == f"amount-{second}"
    asks = [services.ItemAsk(second, 1, 3000), services.ItemAsk(first, 1, 1990)]
    a = await services.apply_items(actor=b.buyer_actor, buyer_id=b.buyer.id, kind="return_refund", reason="damaged",
                                   items=asks)  # fmt: skip
    row = await fetchrow("SELECT order_item, amount_fen FROM after_sale WHERE id = {}", a)
    assert (row["order_item"], row["amount_fen"]) == (first, 4990)
    # each item is now blocked by this open request, alone or with another
    for item in (first, second):
        assert (await services.item_action(buyer_id=b.buyer.id, order_item_id=item)).after_sale_id == a
        with pytest.raises(services.AfterSaleError):
            await services.apply(actor=b.buyer_actor, buyer_id=b.buyer.id, order_item_id=item,
                                 kind="refund_only", reason="other", amount_fen=100)  # fmt: skip
    await services.approve(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=a, return_address=ADDRESS)
    await services.ship_return(actor=b.buyer_actor, buyer_id=b.buyer.id, after_sale_id=a, carrier="zto",
                               tracking_no="ZT0001")  # fmt: skip
    await services.confirm_received(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=a)
    assert await status_of(a) == "refunded"
    assert [(r["key"], r["amount_fen"]) for r in await refunds(b.order_id)] == [
        (f"aftersale_item:{a}:{first}", 1990),
        (f"aftersale_item:{a}:{second}", 3000),
    ]
    # the ledger charges each item's refund to that item (settlement reads the per-item key)
    shares = await fetch(
        'SELECT order_item, sum(amount_fen) AS n FROM settlement_refund_share WHERE "order" = {} '
        "GROUP BY order_item ORDER BY order_item",
        b.order_id,
    )
    assert sorted((r["order_item"], r["n"]) for r in shares) == sorted([(first, 1990), (second, 3000)])
    assert await stock_of(b.s.product) == stock + 1  # one of the two units came back
    items = await services.request_items(after_sale_id=a)
    assert [(x["order_item"], x["refunded_fen"], x["restocked_qty"]) for x in items] == [
        (first, 1990, 1),
        (second, 3000, 1),
    ]
    # the first item has one unit's worth left; the second nothing
    assert (await services.item_action(buyer_id=b.buyer.id, order_item_id=first)).kind == "apply"
    assert await services.item_action(buyer_id=b.buyer.id, order_item_id=second) is None


async def test_concurrent_requests_never_share_an_item_and_a_single_item_keeps_its_key():
    b, first, second = await _two_items()

    async def one(ids: list[int]) -> object:
        try:
            asks = [services.ItemAsk(i, None, 100) for i in ids]
            return await services.apply_items(actor=b.buyer_actor, buyer_id=b.buyer.id, kind="refund_only",
                                              reason="other", items=asks)  # fmt: skip
        except services.AfterSaleError as exc:
            return exc

    results = await asyncio.gather(one([first, second]), one([second]), one([second, first]), one([first]))
    made = [r for r in results if isinstance(r, int)]
    # [first] and [second] may both win, or one request for both: never one item in two open requests
    covered = [x["order_item"] for a in made for x in await services.request_items(after_sale_id=a)]
    assert sorted(covered) == sorted({first, second}) and len(covered) == 2
    refused = [r for r in results if isinstance(r, services.AfterSaleError)]
    assert len(made) + len(refused) == 4
    singles = [a for a in made if len(await services.request_items(after_sale_id=a)) == 1]
    if singles:
        single = singles[0]
        await services.approve(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=single)
        assert [r["key"] for r in await refunds(b.order_id)] == [f"aftersale:{single}"]


async def test_a_partial_ruling_over_several_items_fills_them_in_order():
    b, first, second = await _two_items(qty=(1, 1))
    asks = [services.ItemAsk(first, None, 1990), services.ItemAsk(second, None, 3000)]
    a = await services.apply_items(actor=b.buyer_actor, buyer_id=b.buyer.id, kind="refund_only", reason="damaged",
                                   items=asks)  # fmt: skip
    await services.reject(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=a, reason="无质量问题")
    await services.escalate(actor=b.buyer_actor, buyer_id=b.buyer.id, after_sale_id=a, statement="破损")
    with pytest.raises(rules.AmountError):
        await services.rule(actor=MOD, after_sale_id=a, ruling="refund_partial", amount_fen=4991, reason="部分")
    await services.rule(actor=MOD, after_sale_id=a, ruling="refund_partial", amount_fen=2500, reason="部分")
    assert [(r["key"], r["amount_fen"]) for r in await refunds(b.order_id)] == [
        (f"aftersale_item:{a}:{first}", 1990),
        (f"aftersale_item:{a}:{second}", 510),
    ]
    row = await fetchrow("SELECT refunded_fen FROM after_sale WHERE id = {}", a)
    assert row["refunded_fen"] == 2500


async def test_items_must_be_of_one_order_of_the_buyer_and_units_within_the_item():
    b, first, _ = await _two_items()
    elsewhere, *_ = await _two_items()
    with pytest.raises(services.AfterSaleNotFound):  # another buyer's item
        asks = [services.ItemAsk(first, None, 100), services.ItemAsk(elsewhere.item_id, None, 100)]
        await services.apply_items(actor=b.buyer_actor, buyer_id=b.buyer.id, kind="refund_only", reason="other",
                                   items=asks)  # fmt: skip
    with pytest.raises(services.AfterSaleError) as err:
        await services.apply_items(actor=b.buyer_actor, buyer_id=b.buyer.id, kind="return_refund", reason="other",
                                   items=[services.ItemAsk(first, 3, 100)])  # fmt: skip
    assert err.value.field == "quantity"
    with pytest.raises(ValidationFailed):
        await services.apply_items(actor=b.buyer_actor, buyer_id=b.buyer.id, kind="refund_only", reason="other",
                                   items=[])  # fmt: skip
    stranger = await make_user()
    with pytest.raises(services.AfterSaleNotFound):
        await services.apply_items(actor=Actor(user_id=stranger.id), buyer_id=stranger.id, kind="refund_only",
                                   reason="other", items=[services.ItemAsk(first, None, 100)])  # fmt: skip


async def test_the_form_applies_for_several_items_and_keeps_what_was_typed(client: httpx.AsyncClient):
    b, first, second = await _two_items()
    await login(client, b.buyer)
    form = await client.get(f"/me/aftersales/apply?item={first}", headers=EN)
    assert form.status_code == 200 and f'name="items" value="{second}"' in form.text and "帆布包" in form.text
    fields = {"item": first, "kind": "refund_only", "reason": "damaged", "quantity": "2", "amount": "39.80",
              "items": str(second), f"amount-{second}": "30.01"}  # fmt: skip
    bad = await post_form(client, "/me/aftersales/apply", fields, headers=EN)
    assert bad.status_code == 422 and "At most ¥30.00 can be refunded for this item." in bad.text
    assert 'value="30.01"' in bad.text and f'value="{second}" checked' in bad.text
    done = await post_form(client, "/me/aftersales/apply", {**fields, f"amount-{second}": "30.00"}, headers=EN)
    assert done.status_code == 303
    detail = await client.get(done.headers["location"], headers=EN)
    assert "帆布包" in detail.text and "纯棉T恤" in detail.text and "¥69.80" in detail.text
    listing = await client.get("/me/aftersales/", headers=EN)
    assert "and 1 more items" in listing.text
    await login(client, b.s.user)
    seller_list = await client.get("/seller/aftersales/", headers=EN)
    assert "and 1 more items" in seller_list.text


async def test_the_timeouts_are_read_from_the_system_settings(monkeypatch):
    """An operator's changed period applies to the next step (settings: app/operations/settings.py)."""
    from app.operations import settings
    from tests.integration.aftersales._setup import bought

    changed = {"aftersales.seller_reply_days": 5, "aftersales.buyer_ship_days": 2, "orders.auto_confirm_days": 4}
    real = settings.setting

    async def setting(key: str) -> int:
        return changed[key] if key in changed else await real(key)

    monkeypatch.setattr(settings, "setting", setting)
    b = await bought()
    a = await services.apply(actor=b.buyer_actor, buyer_id=b.buyer.id, order_item_id=b.item_id,
                             kind="exchange", reason="wrong_item", amount_fen=0)  # fmt: skip

    async def days_left() -> float:
        row = await fetchrow("SELECT deadline_at - updated_at AS d FROM after_sale WHERE id = {}", a)
        return row["d"].total_seconds() / 86400

    assert await days_left() == 5
    await services.approve(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=a, return_address=ADDRESS)
    assert await days_left() == 2
    await services.ship_return(actor=b.buyer_actor, buyer_id=b.buyer.id, after_sale_id=a, carrier="sf",
                               tracking_no="SF1234567")  # fmt: skip
    assert await days_left() == REGISTRY["aftersales.seller_confirm_days"].default
    await services.confirm_received(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=a)
    await services.ship_replacement(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=a, carrier="sf",
                                    tracking_no="SF7654321")  # fmt: skip
    assert await days_left() == 4


async def test_the_migration_turns_an_existing_request_into_one_item_row():
    """Requests made before after_sale_item existed: one item row each, open while the request is."""
    import importlib

    from tests.integration.aftersales._setup import bought

    migration = importlib.import_module("migrations.aftersales.aftersales_2026_11_23t19_07_30_000000")
    b = await bought(qty=3)
    old = await fetchrow(
        'INSERT INTO after_sale ("order", order_item, buyer, shop, kind, reason, amount_fen, refunded_fen, '
        "restocked_qty, status) VALUES ({}, {}, {}, {}, 'return_refund', 'other', 5970, 5970, 3, 'refunded') "
        "RETURNING id",
        b.order_id,
        b.item_id,
        b.buyer.id,
        b.s.shop.id,
    )
    await fetch(migration.FORWARDS[0])
    await fetch(migration.FORWARDS[0])  # only once per request
    items = await services.request_items(after_sale_id=old["id"])
    got = [(x["order_item"], x["quantity"], x["amount_fen"], x["refunded_fen"], x["restocked_qty"]) for x in items]
    assert got == [(b.item_id, 3, 5970, 5970, 3)]
    assert await services.refundable_of(await services.apply_context(buyer_id=b.buyer.id, order_item_id=b.item_id)) == 0
