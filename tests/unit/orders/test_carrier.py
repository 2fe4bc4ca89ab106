"""Carriers: tracking-number rules, the sandbox carrier's plan, and the label's interleaved 2 of 5 bars."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.orders import carrier


def test_the_fixed_list_has_the_usual_carriers_with_unique_codes() -> None:
    codes = [c.code for c in carrier.CARRIERS]
    assert len(codes) == len(set(codes))
    assert {"sf", "zto", "yto", "yunda", "jd", "ems"} <= set(codes)
    assert carrier.carrier_name("sf") == "SF Express"
    assert carrier.carrier_name("unknown") == "unknown"


@pytest.mark.parametrize(
    ("typed", "normalised", "valid"),
    [
        ("SF1234567890", "SF1234567890", True),
        (" sf 1234-5678-90 ", "SF1234567890", True),
        ("123456", "123456", True),
        ("A" * 30, "A" * 30, True),
        ("12345", "12345", False),
        ("A" * 31, "A" * 31, False),
        ("SF12345_678", "SF12345_678", False),
        ("ＳＦ123456", "ＳＦ123456", False),  # full-width letters are not ASCII
        ("１２３４５６７", "１２３４５６７", False),  # nor full-width digits
        ("", "", False),
    ],
)
def test_tracking_numbers_are_6_to_30_ascii_letters_or_digits(typed: str, normalised: str, valid: bool) -> None:
    assert carrier.normalise_tracking_no(typed) == normalised
    assert carrier.valid_tracking_no(normalised) is valid


def test_the_sandbox_plans_five_events_at_fixed_offsets() -> None:
    shipped = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
    plan = carrier.SandboxCarrier().plan(
        carrier="sf", tracking_no="SF1234567890", shipped_at=shipped, origin_city="杭州市", destination_city="上海市"
    )
    assert [e.status for e in plan] == ["collected", "in_transit", "in_transit", "out_for_delivery", "delivered"]
    assert [e.at - shipped for e in plan] == [timedelta(hours=h) for h in (0, 6, 30, 40, 44)]
    assert plan[-1].at - shipped == carrier.DELIVERED_AFTER
    assert (plan[0].description % plan[0].params) == "Collected by the courier in 杭州市"
    assert (plan[1].description % plan[1].params) == "Left 杭州市 for 上海市"
    assert (plan[2].description % plan[2].params) == "Arrived at the 上海市 sorting centre"
    assert (plan[4].description % plan[4].params) == "Delivered in 上海市 and signed for"


def test_without_a_known_origin_the_events_say_less() -> None:
    shipped = datetime(2026, 11, 23, tzinfo=UTC)
    plan = carrier.get_carrier().plan(
        carrier="zto", tracking_no="ZT12345678", shipped_at=shipped, origin_city="", destination_city="北京市"
    )
    assert [e.description % e.params for e in plan[:2]] == ["Collected by the courier", "On the way to 北京市"]
    assert "%(city)s" in plan[3].description and plan[3].params["city"] == "北京市"


def _decode_itf(bars: list[tuple[int, int]], width: int) -> str:
    """Read the bars back: element widths from the bar positions, then digit pairs."""
    elements: list[int] = []
    for i, (x, w) in enumerate(bars):
        elements.append(w)
        if i + 1 < len(bars):
            elements.append(bars[i + 1][0] - x - w)
    assert elements[:4] == [1, 1, 1, 1]  # start
    assert elements[-3:] == [carrier.WIDE, 1, 1]  # stop
    body = elements[4:-3]
    patterns = {v: k for k, v in carrier._ITF.items()}
    digits = ""
    for i in range(0, len(body), 10):
        chunk = body[i : i + 10]
        digits += patterns["".join("w" if e == carrier.WIDE else "n" for e in chunk[0::2])]
        digits += patterns["".join("w" if e == carrier.WIDE else "n" for e in chunk[1::2])]
    assert bars[0][0] == 10 and width == bars[-1][0] + bars[-1][1] + 10  # quiet zones
    return digits


@pytest.mark.parametrize("number", ["2611230123456789", "00", "9081726354"])
def test_itf_bars_encode_the_order_number(number: str) -> None:
    encoded = carrier.itf_bars(number)
    assert encoded is not None
    bars, width = encoded
    assert _decode_itf(bars, width) == number
    assert width == 20 + 4 + 5 + len(number) // 2 * 18


@pytest.mark.parametrize("text", ["", "123", "12a4", "１２"])
def test_itf_needs_an_even_number_of_digits(text: str) -> None:
    assert carrier.itf_bars(text) is None
