"""The promotions through the lead's engine (app/promotions/engine.py) with real rows: a limited-time price, then
2件9折 and 满199减20 on what is left, a platform campaign over both shops, a gift; every fen accounted for."""

from __future__ import annotations

from app.core.i18n import get_locale, set_locale
from app.promotions import engine
from app.promotions.context import ANONYMOUS
from tests.integration.promotions._setup import ctx_for, promotion, shop_with_skus


async def test_stage_a_then_multi_piece_then_tiers_add_up_to_the_quote() -> None:
    shop, (a, b, gift) = await shop_with_skus([10000, 6000, 100], stock=20)
    other, (c,) = await shop_with_skus([30000])
    lt = await promotion(shop, "limited_time", skus=f"{a} 90")  # 100 → 90
    mp = await promotion(shop, "multi_piece", t1_pieces="2", t1_percent="90")  # (90 + 60) → 10 % off: 15
    man = await promotion(shop, "full_reduction", t1_threshold="199", t1_off="20")  # 135 left: not reached
    campaign = await promotion(None, "full_reduction", t1_threshold="300", t1_off="30")
    present = await promotion(shop, "gift", skus=f"{a} 1", gift_sku=str(gift), gift_quantity="1", gift_stock="1")
    ctx = await ctx_for([(a, 1), (b, 1), (c, 1)])
    priced = await engine.price(member=ANONYMOUS, lines=ctx.lines, with_coupons=False)
    sources = {}
    for shop_price in priced.quote.shops:
        for line in shop_price.lines:
            for adj in line.adjustments:
                sources[adj.source] = sources.get(adj.source, 0) - adj.amount_fen
    assert sources[f"promo:{lt}"] == 1000
    assert sources[f"promo:{mp}"] == 1500
    assert sources[f"promo:{campaign}"] == 3000  # 135 + 300 left: over 300
    assert f"promo:{man}" not in sources
    (hint,) = [h for h in priced.hints if h.source == f"promo:{man}"]
    saved = get_locale()
    set_locale("en")
    try:
        assert engine.hint_text(hint) == "Spend ¥64.00 more to save ¥20.00"
    finally:
        set_locale(saved)
    assert [(g.promotion_id, g.sku_id, g.quantity) for g in priced.gifts] == [(present, gift, 1)]
    assert priced.quote.total_fen == 10000 + 6000 + 30000 - 1000 - 1500 - 3000
    assert _other_shop_untouched(priced, other.id)


def _other_shop_untouched(priced, shop_id: int) -> bool:  # type: ignore[no-untyped-def]
    (theirs,) = [s for s in priced.quote.shops if s.shop_id == shop_id]
    return all(adj.source.startswith("promo:") and adj.bearer == "platform" for line in theirs.lines
               for adj in line.adjustments)  # fmt: skip
