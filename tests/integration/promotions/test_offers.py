"""Offers from real rows: the window and status decide, a shop's promotion covers only its lines, the platform's
campaign spans shops; gift stock under concurrent takes; the end sweep; statistics from paid orders; the product
page's fragment."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.promotions import offers, services
from app.promotions.context import Member
from tests.factories import make_user
from tests.integration.promotions._setup import EN, ctx_for, promotion, shop_with_skus, values_of, window
from tests.order_factories import make_order_group


async def test_a_limited_time_price_applies_only_while_active_and_in_its_window() -> None:
    shop, (a, b) = await shop_with_skus([10000, 5000])
    pid = await promotion(shop, "limited_time", skus=f"{a} 79.90")
    ctx = await ctx_for([(a, 1), (b, 1)])
    (offer,) = await offers.price_offers(ctx)
    assert (offer.line_key, offer.unit_price_fen, offer.source, offer.bearer) == (str(a), 7990, f"promo:{pid}", "shop")

    await fetch("UPDATE promotion SET status = 'paused' WHERE id = {}", pid)
    assert await offers.price_offers(ctx) == []
    await fetch("UPDATE promotion SET status = 'active', starts_at = {} WHERE id = {}",
                clock.now() + timedelta(minutes=1), pid)  # fmt: skip
    assert await offers.price_offers(ctx) == []
    draft = await promotion(shop, "limited_time", skus=f"{b} 80%", activate=False)
    assert await offers.price_offers(ctx) == []
    await services.change_status(actor=services.Actor(user_id=None), shop_id=shop.id, promotion_id=draft,
                                 action="activate")  # fmt: skip
    assert [(o.line_key, o.unit_price_fen) for o in await offers.price_offers(ctx)] == [(str(b), 4000)]


async def test_member_price_by_rank_and_the_lower_price_wins() -> None:
    shop, (a,) = await shop_with_skus([10000])
    await promotion(shop, "limited_time", skus=f"{a} 90")
    await promotion(shop, "member_price", skus=f"{a} 85", min_level_rank="2")
    assert [o.unit_price_fen for o in await offers.price_offers(await ctx_for([(a, 1)]))] == [9000]
    silver = Member(user_id=1, level_rank=1)
    assert [o.unit_price_fen for o in await offers.price_offers(await ctx_for([(a, 1)], member=silver))] == [9000]
    gold = Member(user_id=1, level_rank=2)
    (o,) = await offers.price_offers(await ctx_for([(a, 1)], member=gold))
    assert (o.unit_price_fen, o.reason) == (8500, "Member price")


async def test_tiers_of_a_shop_count_its_lines_only_and_the_platform_campaign_spans_shops() -> None:
    shop, (a,) = await shop_with_skus([15000])
    _other, (b,) = await shop_with_skus([35000])
    man = await promotion(shop, "full_reduction", t1_threshold="199", t1_off="20", t2_threshold="399", t2_off="50")
    campaign = await promotion(None, "full_reduction", t1_threshold="500", t1_off="40")
    ctx = await ctx_for([(a, 1), (b, 1)])
    result = await offers.order_offers(ctx, values_of(ctx))
    assert [(d.source, d.amount_fen, d.bearer) for d in result.discounts] == [(f"promo:{campaign}", 4000, "platform")]
    hint = next(h for h in result.hints if h.source == f"promo:{man}")
    assert hint.params == {"more_fen": 4900, "off_fen": 2000} and hint.shop_id == shop.id

    ctx = await ctx_for([(a, 2), (b, 1)])  # 300 in the shop: the first tier, exactly reached at 199 or more
    result = await offers.order_offers(ctx, values_of(ctx))
    assert {d.source: d.amount_fen for d in result.discounts} == {f"promo:{man}": 2000, f"promo:{campaign}": 4000}


async def test_twenty_concurrent_takes_of_five_gifts_give_five() -> None:
    shop, (a, gift) = await shop_with_skus([5000, 100], stock=50)
    pid = await promotion(shop, "gift", skus=f"{a} 1", gift_sku=str(gift), gift_quantity="1", gift_stock="5")
    ctx = await ctx_for([(a, 3)])
    (g,) = (await offers.order_offers(ctx, values_of(ctx))).gifts
    assert (g.promotion_id, g.sku_id, g.quantity) == (pid, gift, 3)

    async def take() -> bool:
        async with engine().transaction():
            return await offers.take_gift_stock(promotion_id=pid, sku_id=gift, quantity=1)

    results = await asyncio.gather(*(take() for _ in range(20)))
    assert results.count(True) == 5
    assert (await fetchrow("SELECT gift_stock FROM promotion WHERE id = {}", pid))["gift_stock"] == 0
    assert (await offers.order_offers(ctx, values_of(ctx))).gifts == ()  # none left: no gift offered
    async with engine().transaction():
        await offers.return_gift_stock(promotion_id=pid, quantity=2)
    (g,) = (await offers.order_offers(ctx, values_of(ctx))).gifts
    assert g.quantity == 2


async def test_the_sweep_ends_promotions_past_their_end_once(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    shop, (a,) = await shop_with_skus([1000])
    pid = await promotion(shop, "limited_time", skus=f"{a} 9")
    later = clock.now() + timedelta(days=8)
    monkeypatch.setattr(clock, "_now", lambda: later)
    assert sorted(await asyncio.gather(services.end_due(), services.end_due())) == [0, 1]
    assert (await fetchrow("SELECT status FROM promotion WHERE id = {}", pid))["status"] == "ended"
    audit = await fetch("SELECT action FROM audit_log WHERE target_type = 'promotion' AND target_id = {}", str(pid))
    assert [r["action"] for r in audit] == ["promotion.create", "promotion.end"]


async def test_statistics_count_paid_orders_carrying_the_promotion() -> None:
    shop, (a, b) = await shop_with_skus([20000, 5000])
    pid = await promotion(shop, "full_reduction", t1_threshold="199", t1_off="20")
    buyer = await make_user()
    paid = await make_order_group(buyer, [(-a, 1)], status="paid")
    unpaid = await make_order_group(buyer, [(-a, 1), (-b, 1)])
    for group in (paid, unpaid):
        await fetch(
            'UPDATE order_item SET adjustments = {}::jsonb, paid_fen = paid_fen - 2000 WHERE "order" = {} AND sku = {}',
            json.dumps([{"reason": "Full reduction", "amount_fen": -2000, "bearer": "shop", "source": f"promo:{pid}"}]),
            group.order_ids[0],
            a,
        )
    stats = await services.promotion_stats(promotion_id=pid)
    assert (stats.orders, stats.cost_fen) == (1, 2000)
    assert stats.gmv_fen == 20000 and str(stats.roi) == "10.00"  # the order total as the factory wrote it


async def test_the_product_fragment_lists_what_the_product_is_in_and_is_empty_otherwise(client) -> None:  # type: ignore[no-untyped-def]
    shop, (a, b, gift) = await shop_with_skus([10000, 5000, 100])
    product = (await fetchrow("SELECT product FROM sku WHERE id = {}", a))["product"]
    assert (await client.get(f"/promotions/product/{product}", headers=EN)).text == ""
    await promotion(shop, "full_reduction", t1_threshold="199", t1_off="20", t2_threshold="399", t2_off="50")
    await promotion(shop, "limited_time", skus=f"{a} 79")
    await promotion(shop, "multi_piece", t1_pieces="2", t1_percent="90")
    await promotion(shop, "bundle", skus=f"{a} 1\n{b} 1", bundle_price="120")
    await promotion(shop, "gift", skus=f"{a} 1", gift_sku=str(gift), gift_quantity="1", gift_stock="3")
    await promotion(shop, "limited_time", skus=f"{b} 30", **window(start_days=1))  # not started: not shown
    html = (await client.get(f"/promotions/product/{product}", headers=EN)).text
    assert "Spend ¥199, save ¥20" in html and "Spend ¥399, save ¥50" in html
    assert "Limited-time price ¥79.00 until" in html
    assert "2 pieces: 10% off" in html
    assert "Bundle for ¥120.00 (worth ¥150.00)" in html
    assert "Buy 1, get" in html and "×1 free" in html
    assert "¥30.00" not in html
    zh = (await client.get(f"/promotions/product/{product}", headers={"Accept-Language": "zh-CN"})).text
    assert "promo-strip" in zh
