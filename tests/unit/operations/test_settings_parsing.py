"""How an operator's typed values become stored integers (app/operations/settings.py)."""

from __future__ import annotations

import pytest

from app.operations.settings import REGISTRY, Setting, SettingsInvalid, parse_form, parse_value, to_text

MINUTES = REGISTRY["orders.pay_timeout_minutes"]  # 5..1440
FEN = REGISTRY["settlement.payout_min_fen"]
BP = REGISTRY["settlement.payout_fee_bp"]  # 0..1000


def test_whole_numbers_within_bounds() -> None:
    assert parse_value(MINUTES, " 45 ") == 45
    assert parse_value(MINUTES, "5") == 5 and parse_value(MINUTES, "1440") == 1440
    for bad in ("", "4", "1441", "-10", "2.5", "abc", "1e3"):
        with pytest.raises(ValueError):
            parse_value(MINUTES, bad)


def test_money_is_typed_in_yuan_and_stored_in_fen() -> None:
    assert parse_value(FEN, "100") == 10000
    assert parse_value(FEN, "¥1,234.50") == 123450
    with pytest.raises(ValueError):
        parse_value(FEN, "1.234")
    with pytest.raises(ValueError):
        parse_value(FEN, "-1")
    assert to_text(FEN, 123450) == "1234.50"


def test_rates_are_typed_in_percent_and_stored_in_basis_points() -> None:
    assert parse_value(BP, "0.6") == 60
    assert parse_value(BP, "10%") == 1000
    with pytest.raises(ValueError):
        parse_value(BP, "10.01")
    with pytest.raises(ValueError):
        parse_value(BP, "0.005")
    assert to_text(BP, 60) == "0.6" and to_text(BP, 1000) == "10" and to_text(BP, 0) == "0"


def test_round_trip_of_every_default() -> None:
    for spec in REGISTRY.values():
        assert parse_value(spec, to_text(spec, spec.default)) == spec.default
        assert spec.minimum <= spec.default <= spec.maximum


def test_the_form_reports_every_bad_field_with_its_bounds() -> None:
    form = {key: to_text(spec, spec.default) for key, spec in REGISTRY.items()}
    form["orders.pay_timeout_minutes"] = "2"
    form["settlement.payout_min_fen"] = "abc"
    with pytest.raises(SettingsInvalid) as caught:
        parse_form(form)
    assert set(caught.value.errors) == {"orders.pay_timeout_minutes", "settlement.payout_min_fen"}
    assert caught.value.field_params["orders.pay_timeout_minutes"] == {"min": "5", "max": "1440"}
    assert caught.value.field_params["settlement.payout_min_fen"] == {"min": "0.00", "max": "1000000.00"}


def test_units_are_known() -> None:
    assert {s.unit for s in REGISTRY.values()} <= {"minutes", "days", "fen", "bp", "count"}
    assert isinstance(next(iter(REGISTRY.values())), Setting)
