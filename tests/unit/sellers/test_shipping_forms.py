"""The seller's shipping form (yuan and kg as typed) → the template's numbers; pickup point input; the weight
parser. No database."""

from __future__ import annotations

import pytest

from app.core.errors import DomainError, ValidationFailed
from app.promotions import pricing
from app.sellers import shipping
from app.sellers.shipping_controllers import plain_kg

FLAT = {"mode": "flat", "flat_fen": "8", "free_over_fen": "99"}
WEIGHT = {"mode": "weight", "first_weight_g": "1", "first_fen": "10", "extra_weight_g": "0.5", "extra_fen": "5.5"}


def test_a_flat_form_becomes_fen_with_defaults_for_the_unused_weight_fields():
    values = shipping.parse_template_form(FLAT, [])
    assert values == {
        "mode": "flat",
        "flat_fen": 800,
        "free_over_fen": 9900,
        "first_weight_g": 1000,
        "first_fen": 0,
        "extra_weight_g": 1000,
        "extra_fen": 0,
        "excluded_regions": [],
    }


def test_a_weight_form_becomes_grams_and_fen_and_the_excluded_provinces_are_deduplicated():
    values = shipping.parse_template_form({**WEIGHT, "free_over_fen": ""}, ["650000", "540000", "650000", " "])
    assert (values["first_weight_g"], values["first_fen"], values["extra_weight_g"], values["extra_fen"]) == (
        1000,
        1000,
        500,
        550,
    )
    assert values["free_over_fen"] is None
    assert values["excluded_regions"] == ["540000", "650000"]


def test_the_parsed_form_prices_like_the_seller_meant():
    values = shipping.parse_template_form({**WEIGHT, "free_over_fen": "199"}, ["650000"])
    template = pricing.ShippingTemplate(**{**values, "excluded_regions": frozenset(values["excluded_regions"])})
    assert pricing.shipping_fee(template, goods_fen=5000, weight_g=1000) == 1000
    assert pricing.shipping_fee(template, goods_fen=5000, weight_g=1800) == 1000 + 2 * 550  # two started 0.5 kg
    assert pricing.shipping_fee(template, goods_fen=19900, weight_g=5000) == 0
    line = pricing.Line("a", 1, 7, 5000, 1, 1000)
    assert not pricing.quote([line], shipping={7: template}, region="650000").deliverable


@pytest.mark.parametrize(
    ("form", "excluded", "field"),
    [
        ({"mode": "air"}, [], "mode"),
        ({**FLAT, "flat_fen": "-1"}, [], "flat_fen"),
        ({**FLAT, "flat_fen": "abc"}, [], "flat_fen"),
        ({**FLAT, "flat_fen": "1.234"}, [], "flat_fen"),
        ({**FLAT, "flat_fen": ""}, [], "flat_fen"),
        ({**FLAT, "free_over_fen": "100000000"}, [], "free_over_fen"),
        ({**WEIGHT, "first_weight_g": "0"}, [], "first_weight_g"),
        ({**WEIGHT, "extra_weight_g": "heavy"}, [], "extra_weight_g"),
        ({**WEIGHT, "extra_fen": ""}, [], "extra_fen"),
        (FLAT, ["310100"], "excluded_regions"),  # a city, not a province
        (FLAT, ["999999"], "excluded_regions"),
    ],
)
def test_bad_shipping_input_names_the_field(form, excluded, field):
    with pytest.raises(ValidationFailed) as caught:
        shipping.parse_template_form(form, excluded)
    assert field in caught.value.errors


@pytest.mark.parametrize(("text", "grams"), [("1", 1000), ("0.5", 500), ("2.25kg", 2250), (" 1 KG ", 1000)])
def test_weights_are_typed_in_kg(text, grams):
    assert shipping.parse_kg(text) == grams
    assert plain_kg(grams) == text.strip().lower().removesuffix("kg").strip()


@pytest.mark.parametrize("text", ["", "abc", "0", "-1", "0.0005", "1001", "nan", "inf"])
def test_a_weight_outside_one_gram_to_a_tonne_is_refused(text):
    with pytest.raises(DomainError):
        shipping.parse_kg(text)


POINT = {
    "name": "静安门店",
    "province": "310000",
    "city": "310100",
    "district": "310106",
    "detail": "南京西路 1266 号",
    "phone": "021-62881234",
    "hours": "每天 9:00-21:00",
}


@pytest.mark.parametrize("phone", ["021-62881234", "02162881234", "0571-8796123", "13800138000", "400-820-8820"])
def test_a_pickup_point_takes_a_mobile_or_a_landline(phone):
    assert shipping.clean_pickup_point(**{**POINT, "phone": phone})["phone"] == phone.replace(" ", "")


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "店" * 31}, "name"),
        ({"phone": "12345"}, "phone"),
        ({"hours": ""}, "hours"),
        ({"hours": "时" * 61}, "hours"),
        ({"district": "110101"}, "district"),
        ({"detail": ""}, "detail"),
    ],
)
def test_bad_pickup_point_input_names_the_field(change, field):
    with pytest.raises(ValidationFailed) as caught:
        shipping.clean_pickup_point(**{**POINT, **change})
    assert list(caught.value.errors) == [field]


def test_a_pickup_points_one_line_address():
    view = shipping.PickupPointView(1, 2, "静安门店", "310000", "310100", "310106", "南京西路 1266 号", "", "", True)
    assert view.address == "上海市 静安区 南京西路 1266 号"
