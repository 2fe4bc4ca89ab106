"""The promotions engine's stage order, with every provider replaced by a fake (no database): who sees which lines
at which value, what stacks and what does not, and that the result always adds up and refunds exactly."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.promotions import engine, pricing
from app.promotions.context import (
    CouponPick,
    Gift,
    Hint,
    LineInfo,
    Member,
    OrderOffers,
    PointsOffer,
    PriceOffer,
    PricingContext,
)

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
BUYER = Member(user_id=7)


def line(key: str, shop: int, price: int, qty: int = 1, flash: int | None = None) -> LineInfo:
    sku = int(key) if key.isdigit() else 900 + (flash or 0)
    return LineInfo(
        key=key,
        sku_id=sku,
        product_id=sku,
        shop_id=shop,
        category_ids=(1,),
        unit_price_fen=price,
        quantity=qty,
        flash_item_id=flash,
    )


class Fakes:
    """Replaces the four provider modules' functions and records what each was asked."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        from app.coupons import checkout as coupons
        from app.flash import checkout as flash
        from app.membership import checkout as membership
        from app.promotions import offers

        self.price: list[PriceOffer] = []
        self.flash: list[PriceOffer] = []
        self.order = OrderOffers()
        self.coupon: pricing.Discount | None = None
        self.points: PointsOffer | None = None
        self.seen: dict[str, object] = {}

        async def price_offers(ctx: PricingContext) -> list[PriceOffer]:
            return list(self.price)

        async def flash_offers(ctx: PricingContext) -> list[PriceOffer]:
            return list(self.flash)

        async def order_offers(ctx: PricingContext, values: dict[str, int]) -> OrderOffers:
            self.seen["order"] = dict(values)
            self.seen["order_keys"] = [ln.key for ln in ctx.lines]
            return self.order

        async def pick_coupons(ctx: PricingContext, values: dict[str, int], selected: object) -> CouponPick:
            self.seen["coupons"] = dict(values)
            self.seen["selected"] = selected
            if self.coupon is None:
                return CouponPick()
            return CouponPick(discounts=(self.coupon,), selected_ids=(1,))

        async def points_offer(*, user_id: int, payable_fen: int) -> PointsOffer | None:
            self.seen["payable"] = payable_fen
            return self.points

        monkeypatch.setattr(offers, "price_offers", price_offers)
        monkeypatch.setattr(offers, "order_offers", order_offers)
        monkeypatch.setattr(flash, "flash_offers", flash_offers)
        monkeypatch.setattr(coupons, "pick_coupons", pick_coupons)
        monkeypatch.setattr(membership, "points_offer", points_offer)


@pytest.fixture
def fakes(monkeypatch: pytest.MonkeyPatch) -> Fakes:
    return Fakes(monkeypatch)


def paid(result: engine.Priced) -> dict[str, int]:
    return {lp.key: lp.paid_fen for shop in result.quote.shops for lp in shop.lines}


async def test_the_lowest_unit_price_wins_and_price_offers_never_stack(fakes: Fakes) -> None:
    fakes.price = [
        PriceOffer("1", 9_000, "Limited-time discount", "promo:1"),
        PriceOffer("1", 8_500, "Member price", "promo:2"),
        PriceOffer("1", 12_000, "Not lower", "promo:3"),  # above the list price: ignored
    ]
    result = await engine.price(member=BUYER, lines=[line("1", 1, 10_000, qty=2)], now=NOW)
    assert paid(result) == {"1": 17_000}
    (adj,) = result.quote.shops[0].lines[0].adjustments
    assert (adj.reason, adj.amount_fen, adj.source) == ("Member price", -3_000, "promo:2")


async def test_a_flash_line_takes_only_its_flash_price_and_nothing_else(fakes: Fakes) -> None:
    fakes.flash = [PriceOffer("flash:5", 4_900, "Flash sale", "flash:5", exclusive=True)]
    fakes.price = [PriceOffer("flash:5", 100, "Limited-time discount", "promo:1")]  # not for a flash line
    fakes.order = OrderOffers(discounts=(pricing.Discount("Full reduction", 1_000, shop_id=1),))
    lines = [line("flash:5", 1, 9_900, flash=5), line("2", 1, 20_000)]
    result = await engine.price(member=BUYER, lines=lines, now=NOW)
    assert fakes.seen["order_keys"] == ["2"]  # stage B never sees the flash line
    assert paid(result) == {"flash:5": 4_900, "2": 19_000}
    assert result.flash_refused == ()


async def test_a_flash_line_without_a_running_sale_is_refused(fakes: Fakes) -> None:
    result = await engine.price(member=BUYER, lines=[line("flash:5", 1, 9_900, flash=5)], now=NOW)
    assert result.flash_refused == ("flash:5",)


async def test_each_stage_sees_what_the_earlier_ones_left(fakes: Fakes) -> None:
    fakes.price = [PriceOffer("1", 8_000, "Limited-time discount", "promo:1")]
    fakes.order = OrderOffers(
        discounts=(pricing.Discount("Full reduction", 2_000, shop_id=1, source="promo:9"),),
        hints=(Hint(1, "Spend %(more)s more to save %(off)s", {"more_fen": 2_300, "off_fen": 2_000}),),
    )
    fakes.coupon = pricing.Discount("Coupon", 1_000, shop_id=None, bearer="platform", source="coupon:1")
    fakes.points = PointsOffer(balance=5_000, max_points=1_000, points_per_yuan=100)
    member = Member(user_id=7, level_rank=2, extra_discount_pct=5)
    lines = [line("1", 1, 10_000), line("2", 1, 10_000)]
    result = await engine.price(member=member, lines=lines, coupon_ids=None, points=10**9, now=NOW)
    assert fakes.seen["order"] == {"1": 8_000, "2": 10_000}
    # member 5% of 16,000 = 800, then the coupon sees 15,200 in all
    assert sum(fakes.seen["coupons"].values()) == 15_200  # type: ignore[union-attr]
    assert fakes.seen["selected"] is None  # the best coupons
    assert fakes.seen["payable"] == 14_200
    assert (result.points_used, result.points_fen) == (1_000, 1_000)
    assert result.quote.total_fen == 20_000 - 2_000 - 2_000 - 800 - 1_000 - 1_000
    reasons = {a.reason for shop in result.quote.shops for lp in shop.lines for a in lp.adjustments}
    assert reasons == {"Limited-time discount", "Full reduction", "Member discount", "Coupon", "Points"}
    assert [h.message for h in result.hints_for(1)] == ["Spend %(more)s more to save %(off)s"]


async def test_points_are_rounded_down_to_whole_fen_and_never_above_the_cap(fakes: Fakes) -> None:
    fakes.points = PointsOffer(balance=999, max_points=999, points_per_yuan=300)  # 3 points per fen
    result = await engine.price(member=BUYER, lines=[line("1", 1, 10_000)], points=500, now=NOW)
    assert (result.points_used, result.points_fen) == (498, 166)
    assert result.quote.total_fen == 10_000 - 166


async def test_the_cart_asks_for_no_coupons_or_points(fakes: Fakes) -> None:
    fakes.points = PointsOffer(balance=999, max_points=999, points_per_yuan=100)
    result = await engine.price(member=BUYER, lines=[line("1", 1, 10_000)], with_coupons=False, points=500, now=NOW)
    assert "coupons" not in fakes.seen and "payable" not in fakes.seen
    assert result.quote.total_fen == 10_000


async def test_a_member_with_free_shipping_pays_no_postage(fakes: Fakes) -> None:
    shipping = {1: pricing.ShippingTemplate(flat_fen=800)}
    plain = await engine.price(member=BUYER, lines=[line("1", 1, 10_000)], shipping=shipping, now=NOW)
    gold = await engine.price(
        member=Member(user_id=7, free_shipping=True), lines=[line("1", 1, 10_000)], shipping=shipping, now=NOW
    )
    assert (plain.quote.shipping_fen, gold.quote.shipping_fen) == (800, 0)


async def test_gifts_pass_through(fakes: Fakes) -> None:
    fakes.order = OrderOffers(gifts=(Gift(promotion_id=3, shop_id=1, sku_id=44, quantity=1),))
    result = await engine.price(member=BUYER, lines=[line("1", 1, 10_000)], now=NOW)
    assert result.gifts == (Gift(3, 1, 44, 1),)


def test_a_hint_is_shown_with_its_money_formatted() -> None:
    from app.core.i18n import set_locale

    set_locale("en")
    hint = Hint(1, "Spend %(more)s more to save %(off)s", {"more_fen": 2_300, "off_fen": 2_000})
    assert engine.hint_text(hint) == "Spend ¥23.00 more to save ¥20.00"


_lines = st.lists(st.tuples(st.integers(1, 3), st.integers(0, 50_000), st.integers(1, 5)), min_size=1, max_size=6).map(
    lambda rows: [line(str(i + 1), shop, price, qty) for i, (shop, price, qty) in enumerate(rows)]
)


@settings(max_examples=60, deadline=None)
@given(
    lines=_lines,
    cut=st.integers(0, 100),
    tier=st.integers(0, 80_000),
    member_pct=st.integers(0, 30),
    coupon=st.integers(0, 60_000),
    points=st.integers(0, 100_000),
)
async def test_whatever_applies_totals_are_never_negative_and_refunds_are_exact(
    lines: list[LineInfo], cut: int, tier: int, member_pct: int, coupon: int, points: int
) -> None:
    with pytest.MonkeyPatch.context() as monkeypatch:
        await _check_totals(Fakes(monkeypatch), lines, cut, tier, member_pct, coupon, points)


async def _check_totals(
    fakes: Fakes, lines: list[LineInfo], cut: int, tier: int, member_pct: int, coupon: int, points: int
) -> None:
    fakes.price = [PriceOffer(ln.key, ln.unit_price_fen * cut // 100, "Limited-time discount", "p") for ln in lines]
    fakes.order = OrderOffers(discounts=(pricing.Discount("Full reduction", tier, shop_id=1),))
    fakes.coupon = pricing.Discount("Coupon", coupon, bearer="platform")
    fakes.points = PointsOffer(balance=points, max_points=points, points_per_yuan=100)
    member = Member(user_id=1, extra_discount_pct=member_pct)
    result = await engine.price(member=member, lines=lines, points=points, now=NOW)
    q = result.quote
    assert q.total_fen >= 0
    for shop in q.shops:
        for lp in shop.lines:
            assert 0 <= lp.paid_fen <= lp.gross_fen
            assert lp.gross_fen + sum(a.amount_fen for a in lp.adjustments) == lp.paid_fen  # refund = paid, exactly
        assert shop.goods_fen + shop.discount_fen + shop.shipping_fen == shop.total_fen
    assert sum(lp.paid_fen for s in q.shops for lp in s.lines) + q.shipping_fen == q.total_fen
