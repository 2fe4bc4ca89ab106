"""Membership rules without a database: levels at the boundaries, points value and cap rounding, what an order
earns, and the FIFO year-end expiry."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from app.membership import rules
from app.membership.rules import Entry
from app.membership.sweeps import birthday_days
from app.promotions.context import PointsOffer


@dataclass(frozen=True)
class Lv:
    rank: int
    growth_threshold: int
    active: bool = True


LEVELS = [Lv(1, 0), Lv(2, 500), Lv(3, 2000), Lv(4, 10000)]


def test_level_is_the_highest_reached_at_the_exact_threshold() -> None:
    assert rules.level_for(LEVELS, 0).rank == 1  # type: ignore[union-attr]
    assert rules.level_for(LEVELS, 499).rank == 1  # type: ignore[union-attr]
    assert rules.level_for(LEVELS, 500).rank == 2  # type: ignore[union-attr]
    assert rules.level_for(LEVELS, 1999).rank == 2  # type: ignore[union-attr]
    assert rules.level_for(LEVELS, 2000).rank == 3  # type: ignore[union-attr]
    assert rules.level_for(LEVELS, 10**9).rank == 4  # type: ignore[union-attr]


def test_inactive_levels_are_skipped_and_no_level_below_the_first_threshold() -> None:
    levels = [Lv(1, 100), Lv(2, 500, active=False)]
    assert rules.level_for(levels, 99) is None
    assert rules.level_for(levels, 600).rank == 1  # type: ignore[union-attr]
    assert rules.next_level(LEVELS, 600).rank == 3  # type: ignore[union-attr]
    assert rules.next_level(LEVELS, 10000) is None


def test_thresholds_must_increase_with_rank() -> None:
    assert rules.thresholds_increase([(1, 0), (2, 500), (3, 2000)])
    assert not rules.thresholds_increase([(1, 0), (2, 500), (3, 500)])
    assert not rules.thresholds_increase([(2, 100), (1, 200)])


def test_points_cap_is_a_share_of_the_payable_amount_rounded_down() -> None:
    # ¥99.99 payable, 20%: ¥19.99 (1999 fen, rounded down) = 1999 points at 100 points/¥1
    assert rules.points_cap(balance=100_000, payable_fen=9999, max_use_pct=20, points_per_yuan=100) == 1999
    # the balance caps it
    assert rules.points_cap(balance=300, payable_fen=9999, max_use_pct=20, points_per_yuan=100) == 300
    # 150 points/¥1: only multiples of 3 points buy whole fen; 1000 fen cap = 1500 points
    assert rules.points_cap(balance=1000, payable_fen=5000, max_use_pct=20, points_per_yuan=150) == 999
    assert rules.points_cap(balance=0, payable_fen=5000, max_use_pct=20, points_per_yuan=100) == 0
    assert rules.points_cap(balance=500, payable_fen=5000, max_use_pct=0, points_per_yuan=100) == 0


def test_the_cap_never_buys_more_than_the_allowed_share() -> None:
    for payable in (1, 7, 99, 101, 12345, 99999):
        for ppy in (1, 3, 7, 100, 150, 1000):
            cap = rules.points_cap(balance=10**9, payable_fen=payable, max_use_pct=20, points_per_yuan=ppy)
            assert rules.points_value_fen(cap, ppy) <= payable * 20 // 100
            assert cap % rules.points_step(ppy) == 0


def test_points_value_and_the_offer_agree() -> None:
    offer = PointsOffer(balance=1000, max_points=999, points_per_yuan=150)
    assert rules.points_value_fen(999, 150) == offer.value_fen(999) == 666
    assert offer.usable(1000) == 999


def test_order_earnings_round_down_and_follow_the_multiplier() -> None:
    assert rules.order_points(paid_fen=19999, earn_per_yuan=1, multiplier_pct=100) == 199
    assert rules.order_points(paid_fen=19999, earn_per_yuan=1, multiplier_pct=150) == 299
    assert rules.order_points(paid_fen=99, earn_per_yuan=1, multiplier_pct=200) == 1
    assert rules.order_points(paid_fen=0, earn_per_yuan=1, multiplier_pct=200) == 0
    assert rules.order_growth(paid_fen=19999) == 199


def test_points_expire_at_the_end_of_the_year_in_shanghai() -> None:
    # 2026-12-31 17:00 UTC is already 2027-01-01 01:00 in Shanghai: earned in 2027
    assert rules.year_end(datetime(2026, 12, 31, 15, 59, tzinfo=UTC)) == datetime(2026, 12, 31, 16, 0, tzinfo=UTC)
    assert rules.year_end(datetime(2026, 12, 31, 17, 0, tzinfo=UTC)) == datetime(2027, 12, 31, 16, 0, tzinfo=UTC)
    assert rules.expiry_year(datetime(2026, 12, 31, 16, 0, tzinfo=UTC)) == 2026


Y25 = rules.year_end(datetime(2025, 6, 1, tzinfo=UTC))
Y26 = rules.year_end(datetime(2026, 6, 1, tzinfo=UTC))
Y27 = rules.year_end(datetime(2027, 6, 1, tzinfo=UTC))


def test_spends_consume_the_oldest_points_first() -> None:
    # 2025: earned 500, 2026: earned 300; spent 600 (in 2026) -> 2025's points are gone, 200 of 2026's are left
    entries = [Entry(500, Y25), Entry(300, Y26), Entry(-600)]
    now = Y26 + timedelta(days=1)
    # 2025's bucket was used up by the spend; 2026's leftover 200 expires
    assert rules.due_expiries(entries, now) == [(Y26, 200)]
    assert rules.balance(entries, now) == 0


def test_what_is_left_of_last_year_expires_and_this_year_stays() -> None:
    entries = [Entry(500, Y25), Entry(300, Y26), Entry(-200)]
    now = Y25 + timedelta(hours=1)
    assert rules.due_expiries(entries, now) == [(Y25, 300)]
    assert rules.balance(entries, now) == 300
    # once the expiry is written, nothing more is due
    settled = [*entries, Entry(-300)]
    assert rules.due_expiries(settled, now) == []
    assert rules.balance(settled, now) == 300


def test_nothing_expires_before_the_end_of_the_year() -> None:
    entries = [Entry(500, Y26), Entry(-100)]
    assert rules.due_expiries(entries, Y26 - timedelta(seconds=1)) == []
    assert rules.expiring_by(entries, Y26 - timedelta(days=30), Y26) == 400


def test_several_years_expire_in_order() -> None:
    entries = [Entry(100, Y25), Entry(200, Y26), Entry(50, Y27), Entry(-150)]
    now = Y26 + timedelta(days=1)
    assert rules.due_expiries(entries, now) == [(Y26, 150)]  # 2025's 100 and 50 of 2026 were spent
    assert rules.balance(entries, now) == 50


def test_birthday_on_29_february_counts_on_28_february_in_other_years() -> None:
    assert birthday_days(date(2027, 2, 28)) == [(2, 28), (2, 29)]
    assert birthday_days(date(2028, 2, 28)) == [(2, 28)]
    assert birthday_days(date(2028, 2, 29)) == [(2, 29)]


def test_a_birthday_set_less_than_30_days_ahead_waits_a_year() -> None:
    today = date(2026, 5, 1)
    assert rules.first_gift_waits(date(1990, 5, 1), today) == 2026  # today: no instant gift
    assert rules.first_gift_waits(date(1990, 5, 31), today) == 2026
    assert rules.first_gift_waits(date(1990, 6, 1), today) == 0
    assert rules.first_gift_waits(date(1990, 4, 30), today) == 0  # passed this year, next is far away
    assert rules.first_gift_waits(date(1990, 1, 5), date(2026, 12, 20)) == 2027  # next January
    assert rules.first_gift_waits(date(1992, 2, 29), date(2027, 2, 1)) == 2027  # 28 February in 2027
