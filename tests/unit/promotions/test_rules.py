"""Promotion rules without a database: each kind at its boundaries, the stacking order inside stage B, member
prices by rank, the lowest price winning, rounding in fen; properties over random carts."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from app.promotions import rules
from app.promotions.context import LineInfo
from app.promotions.rules import Promo, PromoSku, Tier

NOW = datetime(2026, 11, 23, 12, tzinfo=UTC)
START, END = NOW - timedelta(days=1), NOW + timedelta(days=1)
SHOP, OTHER = 7, 8


def line(sku: int, price: int, qty: int = 1, *, shop: int = SHOP, product: int | None = None,
         cats: tuple[int, ...] = (1,), flash: int | None = None) -> LineInfo:  # fmt: skip
    return LineInfo(str(sku), sku, product or sku * 10, shop, cats, price, qty, flash)


def promo(pid: int = 1, kind: str = "full_reduction", *, shop: int | None = SHOP, **kw) -> Promo:  # type: ignore[no-untyped-def]
    return Promo(id=pid, kind=kind, name=f"P{pid}", shop_id=shop, starts_at=START, ends_at=END, **kw)


def values(lines: list[LineInfo]) -> dict[str, int]:
    return {x.key: x.unit_price_fen * x.quantity for x in lines}


def offers(promos: list[Promo], lines: list[LineInfo], vals: dict[str, int] | None = None):  # type: ignore[no-untyped-def]
    return rules.order_offers(promos, lines, vals or values(lines), now=NOW)


MAN = (Tier(threshold_fen=19900, off_fen=2000), Tier(threshold_fen=39900, off_fen=5000))


# ------------------------------------------------------------------ full reduction / full discount
def test_full_reduction_applies_exactly_at_the_threshold() -> None:
    result = offers([promo(tiers=MAN)], [line(1, 19900)])
    assert [d.amount_fen for d in result.discounts] == [2000]
    assert result.discounts[0].source == "promo:1" and result.discounts[0].bearer == "shop"
    assert result.discounts[0].shop_id == SHOP


def test_one_fen_below_the_threshold_gives_nothing_and_a_hint() -> None:
    result = offers([promo(tiers=MAN)], [line(1, 19899)])
    assert result.discounts == ()
    (hint,) = result.hints
    assert hint.message == "Spend %(more)s more to save %(off)s"
    assert hint.params == {"more_fen": 1, "off_fen": 2000}


def test_the_highest_tier_reached_wins_and_the_next_is_hinted() -> None:
    result = offers([promo(tiers=MAN)], [line(1, 20000), line(2, 20000)])
    assert [d.amount_fen for d in result.discounts] == [5000]
    assert [h.message for h in result.hints] == ["%(name)s: %(off)s off"]
    result = offers([promo(tiers=MAN)], [line(1, 30000)])
    assert [d.amount_fen for d in result.discounts] == [2000]
    assert {h.message: h.params for h in result.hints}["Spend %(more)s more to save %(off)s"] == {
        "more_fen": 9900,
        "off_fen": 5000,
    }


def test_full_discount_takes_the_percentage_rounded_down_to_the_fen() -> None:
    p = promo(kind="full_discount", tiers=(Tier(threshold_fen=39900, percent=90),))
    assert [d.amount_fen for d in offers([p], [line(1, 39999)]).discounts] == [3999]  # 10 % of 399.99
    below = offers([p], [line(1, 39899)])
    assert below.discounts == ()
    assert below.hints[0].params == {"more_fen": 1, "off_pct": 10, "rate": "9"}


def test_another_shops_lines_and_out_of_scope_lines_do_not_count() -> None:
    p = promo(tiers=MAN, scope="categories", scope_ids=frozenset({5}))
    lines = [line(1, 10000, cats=(5, 1)), line(2, 10000, cats=(6,)), line(3, 10000, shop=OTHER, cats=(5,))]
    assert offers([p], lines).discounts == ()
    lines.append(line(4, 9900, cats=(2, 5)))
    (d,) = offers([p], lines).discounts
    assert d.line_keys == frozenset({"1", "4"}) and d.amount_fen == 2000


def test_a_product_scope_covers_only_those_products() -> None:
    p = promo(tiers=MAN, scope="products", scope_ids=frozenset({10}))
    assert [d.line_keys for d in offers([p], [line(1, 19900), line(2, 19900)]).discounts] == [frozenset({"1"})]


def test_a_platform_campaign_spans_shops_and_is_paid_by_the_platform() -> None:
    p = promo(9, shop=None, tiers=(Tier(threshold_fen=50000, off_fen=4000),))
    (d,) = offers([p], [line(1, 25000), line(2, 25000, shop=OTHER)]).discounts
    assert (d.shop_id, d.bearer, d.amount_fen) == (None, "platform", 4000)


def test_paused_ended_or_out_of_window_promotions_do_nothing() -> None:
    lines = [line(1, 50000)]
    for p in (
        promo(tiers=MAN, status="paused"),
        promo(tiers=MAN, status="draft"),
        Promo(1, "full_reduction", "x", SHOP, NOW + timedelta(seconds=1), END, tiers=MAN),
        Promo(1, "full_reduction", "x", SHOP, START, NOW, tiers=MAN),  # ends_at is exclusive
    ):
        assert offers([p], lines) == rules.OrderOffers()


# ------------------------------------------------------------------ multi-piece and bundles, stacking
def test_multi_piece_counts_pieces_across_lines_in_scope() -> None:
    p = promo(kind="multi_piece", tiers=(Tier(pieces=2, percent=90), Tier(pieces=3, percent=80)))
    one = offers([p], [line(1, 1000)])
    assert one.discounts == () and one.hints[0].params["pieces"] == 1
    (d,) = offers([p], [line(1, 1000), line(2, 1001)]).discounts
    assert d.amount_fen == 200  # 10 % of 20.01, rounded down
    (d,) = offers([p], [line(1, 1000, 3)]).discounts
    assert d.amount_fen == 600


def test_a_bundle_takes_only_complete_sets() -> None:
    p = promo(kind="bundle", skus=(PromoSku(1, quantity=1), PromoSku(2, quantity=2)), bundle_price_fen=5000)
    assert offers([p], [line(1, 3000), line(2, 1500, 1)]).discounts == ()  # half a set
    assert offers([p], [line(1, 3000)]).discounts == ()
    (d,) = offers([p], [line(1, 3000, 3), line(2, 1500, 5)]).discounts  # 2 complete sets
    assert d.amount_fen == 2 * (3000 + 3000 - 5000)
    assert d.line_keys == frozenset({"1", "2"})


def test_a_bundle_above_the_set_value_gives_nothing() -> None:
    p = promo(kind="bundle", skus=(PromoSku(1), PromoSku(2)), bundle_price_fen=9000)
    assert offers([p], [line(1, 3000), line(2, 3000)]).discounts == ()


def test_full_reduction_counts_what_multi_piece_left() -> None:
    mp = promo(1, "multi_piece", tiers=(Tier(pieces=2, percent=90),))
    man = promo(2, tiers=MAN)
    result = offers([man, mp], [line(1, 10000), line(2, 10000)])  # 200 → 180 after 9折: below 199
    assert [(d.source, d.amount_fen) for d in result.discounts] == [("promo:1", 2000)]
    assert result.hints[-1].params == {"more_fen": 1900, "off_fen": 2000}


def test_a_discount_never_exceeds_the_value_it_covers() -> None:
    p = promo(tiers=(Tier(threshold_fen=100, off_fen=99),))
    (d,) = offers([p], [line(1, 5000)], {"1": 100}).discounts
    assert d.amount_fen == 99
    assert rules.tier_discount("full_reduction", Tier(threshold_fen=100, off_fen=500), 120) == 120


# ------------------------------------------------------------------ gifts
def test_buy_one_get_one_gives_one_gift_per_piece_while_stock_lasts() -> None:
    p = promo(kind="gift", skus=(PromoSku(1, quantity=1),), gift_sku_id=99, gift_quantity=1, gift_stock=2)
    (g,) = offers([p], [line(1, 1000, 3)]).gifts
    assert (g.sku_id, g.quantity, g.shop_id, g.promotion_id) == (99, 2, SHOP, 1)
    assert offers([p], [line(2, 1000, 3)]).gifts == ()
    empty = promo(kind="gift", skus=(PromoSku(1),), gift_sku_id=99, gift_stock=0)
    assert offers([empty], [line(1, 1000)]).gifts == ()


def test_a_spend_threshold_gift_starts_exactly_at_the_threshold() -> None:
    p = promo(kind="gift", threshold_fen=10000, gift_sku_id=99, gift_quantity=1, gift_stock=5)
    assert offers([p], [line(1, 9999)]).gifts == ()
    assert offers([p], [line(1, 9999)]).hints[0].params == {"more_fen": 1}
    assert len(offers([p], [line(1, 10000)]).gifts) == 1


# ------------------------------------------------------------------ stage A
def test_member_price_needs_the_rank() -> None:
    p = promo(kind="member_price", skus=(PromoSku(1, price_fen=900, min_level_rank=2),))
    assert rules.price_offers([p], [line(1, 1000)], member_rank=1, now=NOW) == []
    assert rules.price_offers([p], [line(1, 1000)], member_rank=0, now=NOW) == []
    (o,) = rules.price_offers([p], [line(1, 1000)], member_rank=2, now=NOW)
    assert (o.unit_price_fen, o.reason, o.source) == (900, "Member price", "promo:1")
    zero = promo(kind="member_price", skus=(PromoSku(1, price_fen=900, min_level_rank=0),))
    assert rules.price_offers([zero], [line(1, 1000)], member_rank=0, now=NOW) == []  # anonymous: no level


def test_the_lowest_price_wins_and_percent_prices_round_half_up() -> None:
    lt = promo(1, "limited_time", skus=(PromoSku(1, percent=85),))
    mp = promo(2, "member_price", skus=(PromoSku(1, price_fen=840, min_level_rank=1),))
    (o,) = rules.price_offers([lt, mp], [line(1, 999)], member_rank=1, now=NOW)
    assert (o.unit_price_fen, o.source) == (840, "promo:2")
    (o,) = rules.price_offers([lt, mp], [line(1, 999)], member_rank=0, now=NOW)
    assert (o.unit_price_fen, o.reason) == (849, "Limited-time discount")  # 849.15 → 849


def test_no_offer_at_or_above_the_price_nor_on_flash_lines_or_other_shops() -> None:
    lt = promo(kind="limited_time", skus=(PromoSku(1, price_fen=1000), PromoSku(2, price_fen=500)))
    lines = [line(1, 1000), line(2, 900, flash=4)]
    assert rules.price_offers([lt], lines, member_rank=0, now=NOW) == []
    assert rules.price_offers([lt], [line(2, 900, shop=OTHER)], member_rank=0, now=NOW) == []


# ------------------------------------------------------------------ form checks
def test_tier_checks() -> None:
    assert rules.check_tiers("full_reduction", MAN) is None
    assert rules.check_tiers("full_reduction", ()) == "Enter at least one tier."
    assert rules.check_tiers("full_reduction", (Tier(threshold_fen=100, off_fen=100),)) is not None
    assert rules.check_tiers("full_reduction", tuple(reversed(MAN))) == "Each tier must start above the one before."
    assert rules.check_tiers("full_reduction", (MAN[0], Tier(threshold_fen=30000, off_fen=2000))) is not None
    assert rules.check_tiers("full_discount", (Tier(threshold_fen=100, percent=100),)) is not None
    assert rules.check_tiers("full_discount", (Tier(threshold_fen=100, percent=0),)) is not None
    assert rules.check_tiers("multi_piece", (Tier(pieces=2, percent=90), Tier(pieces=3, percent=95))) is not None
    assert rules.check_tiers("multi_piece", (Tier(pieces=1, percent=90),)) is not None
    assert rules.check_window(NOW, NOW) == {"ends_at": "The end must be after the start."}
    assert rules.rate_text(85) == "8.5" and rules.rate_text(90) == "9"


# ------------------------------------------------------------------ properties
carts = st.lists(
    st.tuples(st.integers(1, 50000), st.integers(1, 5), st.sampled_from([SHOP, OTHER]), st.integers(0, 100)),
    min_size=1,
    max_size=6,
)


@settings(max_examples=150, deadline=None)
@given(carts, st.integers(1, 60000), st.integers(1, 60000), st.integers(1, 99), st.integers(0, 30000))
def test_discounts_never_exceed_the_values_nor_go_negative(cart, threshold, off, pct, bundle) -> None:  # type: ignore[no-untyped-def]
    lines = [line(i + 1, price, qty, shop=shop) for i, (price, qty, shop, _) in enumerate(cart)]
    vals = {x.key: x.unit_price_fen * x.quantity * (100 - cut) // 100 for x, (*_, cut) in zip(lines, cart, strict=True)}
    promos = [
        promo(1, "multi_piece", tiers=(Tier(pieces=2, percent=pct),)),
        promo(2, "bundle", skus=(PromoSku(1), PromoSku(2)), bundle_price_fen=bundle),
        promo(3, tiers=(Tier(threshold_fen=threshold, off_fen=off),)),
        promo(4, "full_discount", tiers=(Tier(threshold_fen=threshold, percent=pct),)),
        promo(5, shop=None, tiers=(Tier(threshold_fen=threshold, off_fen=off),)),
    ]
    result = offers(promos, lines, vals)
    left = dict(vals)
    for d in sorted(result.discounts, key=lambda d: d.shop_id is None):  # as the engine applies them
        covered = [k for k in sorted(d.line_keys or left, key=int) if left[k] > 0]
        assert 0 < d.amount_fen <= sum(left[k] for k in covered)
        for k, share in zip(covered, rules.allocate(d.amount_fen, [left[k] for k in covered]), strict=True):
            left[k] -= share
    assert all(v >= 0 for v in left.values())
    assert sum(d.amount_fen for d in result.discounts) <= sum(vals.values())
