"""Admission control of the flash buy endpoint, with a hand-moved monotonic clock."""

from __future__ import annotations

from app.flash.admission import Gate


class Tick:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_permits_are_refused_at_once_when_all_are_taken_and_come_back_when_left() -> None:
    gate = Gate(permits=2)
    assert gate.try_enter(7) and gate.try_enter(7)
    assert not gate.try_enter(7)  # the third buyer of item 7 is answered "try again", not queued
    assert gate.try_enter(8)  # another item has its own permits
    gate.leave(7)
    assert gate.inflight(7) == 1
    assert gate.try_enter(7)


def test_permit_context_releases_even_when_the_buy_fails() -> None:
    gate = Gate(permits=1)
    try:
        with gate.permit(1) as admitted:
            assert admitted
            with gate.permit(1) as second:
                assert not second
            raise RuntimeError("checkout failed")
    except RuntimeError:
        pass
    assert gate.inflight(1) == 0
    with gate.permit(1) as admitted:
        assert admitted


def test_sold_out_answers_without_looking_until_the_recheck_interval_passes() -> None:
    tick = Tick()
    gate = Gate(recheck_s=1.0, monotonic=tick)
    assert not gate.sold_out(3)
    gate.mark_sold_out(3)
    tick.t += 0.5
    assert gate.sold_out(3)
    assert not gate.sold_out(4)
    tick.t += 0.5  # a second later one request looks again (a cancelled order may have given stock back)
    assert not gate.sold_out(3)
    gate.mark_sold_out(3)
    gate.clear(3)
    assert not gate.sold_out(3)
