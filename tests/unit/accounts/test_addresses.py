"""Address book rules that need no database: mainland mobiles, region paths and the cleaned address."""

from __future__ import annotations

import pytest

from app.accounts import addresses, regions
from app.core.errors import ValidationFailed

GOOD = {
    "receiver": "张三",
    "mobile": "13800138000",
    "province": "310000",
    "city": "310100",
    "district": "310115",
    "detail": "世纪大道 100 号",
}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("13800138000", "13800138000"),
        (" 138 0013 8000 ", "13800138000"),
        ("138-0013-8000", "13800138000"),
        ("+86 13800138000", "13800138000"),
        ("008619912345678", "19912345678"),
        ("12800138000", None),  # second digit 2: not a mobile prefix
        ("1380013800", None),  # 10 digits
        ("138001380000", None),  # 12 digits
        ("23800138000", None),
        ("1380013800a", None),
        ("", None),
        ("１３８００１３８０００", None),  # full-width digits are not accepted
    ],
)
def test_a_mainland_mobile_is_11_digits_starting_with_1_and_3_to_9(raw, expected):
    assert addresses.parse_mobile(raw) == expected


def test_the_dataset_has_the_31_mainland_provinces_with_english_names():
    provinces = regions.provinces()
    assert len(provinces) == 31
    assert all(p.name_en for p in provinces)
    assert regions.name("110000") == "北京市" and regions.name("110000", locale="en") == "Beijing"
    assert regions.name("440000", locale="en") == "Guangdong"
    assert regions.name("440300", locale="en") == "深圳市"  # cities stay Chinese
    assert regions.name("999999") == ""


def test_municipalities_have_a_city_level_and_their_districts_under_it():
    assert [c.code for c in regions.children("110000")] == ["110100"]
    assert regions.name("110100") == "北京市"
    assert "110101" in {d.code for d in regions.children("110100")}
    assert regions.is_valid_path("110000", "110100", "110101")


@pytest.mark.parametrize(
    ("path", "valid"),
    [
        (("310000", "310100", "310115"), True),  # 上海 浦东新区
        (("440000", "440300", "440305"), True),  # 广东 深圳 南山区
        (("440000", "441900", "441900003"), True),  # 东莞 has no districts: its towns and streets instead
        (("440000", "441900", ""), False),
        (("440000", "441900", "440305"), False),
        (("440000", "440300", ""), False),  # 深圳 has districts: one must be chosen
        (("310000", "310100", "110101"), False),  # 东城区 is in Beijing
        (("110000", "440300", "440305"), False),  # 深圳 is not in Beijing
        (("310000", "310000", "310115"), False),  # a province is not a city
        (("", "", ""), False),
        (("310000", "310100", "3101150"), False),
    ],
)
def test_a_region_path_is_valid_only_when_each_level_belongs_to_the_one_above(path, valid):
    assert regions.is_valid_path(*path) is valid


def test_children_of_a_district_or_unknown_code_are_empty():
    assert regions.children("310115") == ()
    assert regions.children("nope") == ()
    assert regions.children("") == ()


def test_a_clean_address_is_trimmed_and_normalised():
    cleaned = addresses.clean_address(**{**GOOD, "receiver": "  张  三 ", "mobile": "+86 138 0013 8000", "tag": "home"})
    assert cleaned["receiver"] == "张 三"
    assert cleaned["mobile"] == "13800138000"
    assert cleaned["tag"] == "home"


def test_every_wrong_field_is_reported_at_once():
    with pytest.raises(ValidationFailed) as caught:
        addresses.clean_address(receiver="", mobile="12345", province="", city="", district="", detail="", tag="x")
    assert caught.value.errors == {
        "receiver": addresses.ENTER_RECEIVER,
        "mobile": addresses.BAD_MOBILE,
        "province": addresses.CHOOSE_PROVINCE,
        "detail": addresses.ENTER_DETAIL,
        "tag": addresses.CHOOSE_TAG,
    }


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"receiver": "张" * 21}, "receiver", addresses.RECEIVER_TOO_LONG),
        ({"detail": "号" * 121}, "detail", addresses.DETAIL_TOO_LONG),
        ({"city": ""}, "city", addresses.CHOOSE_CITY),
        ({"city": "440300"}, "city", addresses.CITY_NOT_IN_PROVINCE),
        ({"district": "110101"}, "district", addresses.DISTRICT_NOT_IN_CITY),
        ({"district": ""}, "district", addresses.CHOOSE_DISTRICT),
    ],
)
def test_each_bad_field_gets_its_own_message(change, field, message):
    with pytest.raises(ValidationFailed) as caught:
        addresses.clean_address(**{**GOOD, **change})
    assert caught.value.errors == {field: message}


def test_the_one_line_address_leaves_out_a_city_that_repeats_the_province():
    assert addresses.region_text("310000", "310100", "310115") == "上海市 浦东新区"
    assert addresses.region_text("440000", "440300", "440305") == "广东省 深圳市 南山区"
    assert addresses.region_text("440000", "441900", "441900003") == "广东省 东莞市 东城街道"


def test_every_city_has_a_third_level_and_chongqing_is_one_city():
    assert all(regions.children(c.code) for p in regions.provinces() for c in regions.children(p.code))
    assert [c.code for c in regions.children("500000")] == ["500100"]
    assert {"500101", "500229"} <= {d.code for d in regions.children("500100")}  # 万州区 and 城口县
    assert "330103" not in {d.code for d in regions.children("330100")}  # 下城区, merged into 拱墅区 in 2021
