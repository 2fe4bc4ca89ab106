"""Flash-sale rules without a database: a session's phase and countdown at the server's time, why a buy button
cannot work, and the checks on a nomination."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from app.flash import rules

START = datetime(2026, 11, 23, 6, 0, tzinfo=UTC)  # 14:00 in Beijing
END = START + timedelta(hours=2)


def at(seconds: float) -> datetime:
    return START + timedelta(seconds=seconds)


def test_phase_is_upcoming_before_the_start_running_from_it_and_ended_at_the_end() -> None:
    assert rules.phase(starts_at=START, ends_at=END, status="scheduled", now=at(-1)) == rules.UPCOMING
    assert rules.phase(starts_at=START, ends_at=END, status="scheduled", now=at(0)) == rules.RUNNING
    just_before_end = END - timedelta(microseconds=1)
    assert rules.phase(starts_at=START, ends_at=END, status="scheduled", now=just_before_end) == rules.RUNNING
    assert rules.phase(starts_at=START, ends_at=END, status="scheduled", now=END) == rules.ENDED
    assert rules.phase(starts_at=START, ends_at=END, status="cancelled", now=at(10)) == rules.CANCELLED


def test_countdown_counts_to_the_start_then_to_the_end_in_whole_seconds_rounded_up() -> None:
    before = rules.countdown(starts_at=START, ends_at=END, status="scheduled", now=at(-61.5))
    assert (before.phase, before.target, before.seconds_left, before.clock) == ("upcoming", START, 62, "00:01:02")
    assert rules.countdown(starts_at=START, ends_at=END, status="scheduled", now=at(-0.2)).seconds_left == 1
    running = rules.countdown(starts_at=START, ends_at=END, status="scheduled", now=at(0))
    assert (running.phase, running.target, running.clock) == ("running", END, "02:00:00")
    over = rules.countdown(starts_at=START, ends_at=END, status="scheduled", now=END + timedelta(hours=1))
    assert (over.phase, over.target, over.seconds_left, over.clock) == ("ended", None, 0, "00:00:00")


def test_countdown_clock_shows_hours_past_a_day() -> None:
    far = rules.countdown(starts_at=START, ends_at=END, status="scheduled", now=START - timedelta(hours=123))
    assert far.clock == "123:00:00"


def test_buy_refusal_says_why_the_button_cannot_work() -> None:
    assert rules.buy_refusal(phase_now="upcoming", item_status="approved", flash_stock=5) == rules.NOT_STARTED
    assert rules.buy_refusal(phase_now="ended", item_status="approved", flash_stock=5) == rules.ENDED_MSG
    assert rules.buy_refusal(phase_now="running", item_status="approved", flash_stock=0) == rules.SOLD_OUT
    assert rules.buy_refusal(phase_now="running", item_status="nominated", flash_stock=5) == rules.NOT_AVAILABLE
    assert rules.buy_refusal(phase_now="cancelled", item_status="approved", flash_stock=5) == rules.NOT_AVAILABLE
    assert rules.buy_refusal(phase_now="running", item_status="approved", flash_stock=1) is None


def test_a_nomination_needs_a_lower_price_stock_the_sku_has_and_a_limit_of_at_least_one() -> None:
    ok = {"flash_price_fen": 999, "list_price_fen": 1000, "flash_stock": 10, "sku_stock": 10, "per_user_limit": 1}
    assert rules.check_nomination(**ok) == {}
    assert set(rules.check_nomination(**{**ok, "flash_price_fen": 1000})) == {"flash_price"}
    assert set(rules.check_nomination(**{**ok, "flash_price_fen": 0})) == {"flash_price"}
    assert set(rules.check_nomination(**{**ok, "flash_stock": 11})) == {"flash_stock"}
    assert set(rules.check_nomination(**{**ok, "flash_stock": 0})) == {"flash_stock"}
    assert set(rules.check_nomination(**{**ok, "per_user_limit": 0})) == {"per_user_limit"}
    assert set(rules.check_nomination(**{**ok, "per_user_limit": 100})) == {"per_user_limit"}


def test_parse_count_takes_whole_numbers_only() -> None:
    assert rules.parse_count(" 12 ") == 12
    assert [rules.parse_count(x) for x in ("", "-1", "1.5", "１２", "1234567", None)] == [None] * 6
