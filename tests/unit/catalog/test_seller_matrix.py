"""The product editor's SKU matrix, bulk fill, price parsing and validation (no database)."""

from __future__ import annotations

import pytest

from app.catalog.merchant import (
    ProductForm,
    ProductInvalid,
    SkuRow,
    SpecInput,
    build_matrix,
    combinations,
    fill,
    move_image,
    parse_form,
    sku_key,
    split_values,
    validate,
)
from app.core.money import InvalidAmount, parse_yuan


def test_two_specs_of_two_values_make_four_skus_in_order() -> None:
    combos = combinations([("颜色", ["红", "蓝"]), ("尺码", ["S", "M"])])
    assert combos == [
        {"颜色": "红", "尺码": "S"},
        {"颜色": "红", "尺码": "M"},
        {"颜色": "蓝", "尺码": "S"},
        {"颜色": "蓝", "尺码": "M"},
    ]


def test_no_specs_is_one_sku_without_values() -> None:
    assert combinations([]) == [{}]


def test_split_values_accepts_chinese_punctuation_and_drops_duplicates() -> None:
    assert split_values("红, 蓝，绿、红;  黑 ") == ["红", "蓝", "绿", "黑"]


def test_the_key_ignores_the_order_of_the_specs() -> None:
    assert sku_key({"颜色": "红", "尺码": "S"}) == sku_key({"尺码": "S", "颜色": "红"})


def test_rows_keep_what_was_typed_when_a_value_is_added() -> None:
    before = [SkuRow({"颜色": "红"}, id="7", price="19.90", stock="5", code="R"), SkuRow({"颜色": "蓝"}, price="21")]
    after = build_matrix([("颜色", ["红", "蓝", "绿"])], before)
    assert [r.spec_values["颜色"] for r in after] == ["红", "蓝", "绿"]
    assert (after[0].id, after[0].price, after[0].stock, after[0].code) == ("7", "19.90", "5", "R")
    assert after[1].price == "21"
    assert after[2] == SkuRow({"颜色": "绿"})


def test_a_new_spec_copies_prices_but_not_stock_or_code() -> None:
    before = [SkuRow({"颜色": "红"}, id="7", price="19.90", list_price="29", stock="5", code="R", weight="300")]
    after = build_matrix([("颜色", ["红"]), ("尺码", ["S", "M"])], before)
    assert len(after) == 2
    for row in after:
        assert (row.price, row.list_price, row.weight) == ("19.90", "29", "300")
        assert (row.id, row.stock, row.code) == ("", "", "")


def test_the_first_spec_on_a_product_without_specs_borrows_its_price() -> None:
    after = build_matrix([("颜色", ["红", "蓝"])], [SkuRow({}, price="9.9")])
    assert [r.price for r in after] == ["9.9", "9.9"]


def test_parse_form_rebuilds_the_matrix_from_the_posted_specs() -> None:
    fields = {
        "title": ["T恤"],
        "spec-0-name": ["颜色"],
        "spec-0-values": ["红, 蓝"],
        "spec-1-name": ["尺码"],
        "spec-1-values": ["S，M"],
        "sku-0-key": [sku_key({"颜色": "红", "尺码": "M"})],
        "sku-0-price": ["12.50"],
        "sku-0-stock": ["3"],
        "image": ["p/aa/1", "p/bb/2", "p/aa/1"],
    }
    form = parse_form(fields)
    assert len(form.rows) == 4
    typed = next(r for r in form.rows if r.spec_values == {"颜色": "红", "尺码": "M"})
    assert (typed.price, typed.stock) == ("12.50", "3")
    assert form.images == ["p/aa/1", "p/bb/2"]
    assert len(form.spec_slots()) == 3  # two typed, one blank to add another


def test_fill_sets_every_row_and_leaves_blank_fields_alone() -> None:
    rows = [SkuRow({"颜色": "红"}, price="1", stock="4"), SkuRow({"颜色": "蓝"}, price="2")]
    filled = fill(rows, price="9.90", stock="")
    assert [(r.price, r.stock) for r in filled] == [("9.90", "4"), ("9.90", "")]


def test_move_image_swaps_neighbours_and_ignores_the_edges() -> None:
    assert move_image(["a", "b", "c"], 1, -1) == ["b", "a", "c"]
    assert move_image(["a", "b"], 0, -1) == ["a", "b"]


@pytest.mark.parametrize(("text", "fen"), [("12.30", 1230), ("¥1,299", 129900), ("0.5", 50), (" 8 ", 800)])
def test_prices_in_yuan_are_stored_in_fen(text: str, fen: int) -> None:
    assert parse_yuan(text) == fen


@pytest.mark.parametrize("text", ["-1", "1.234", "abc", "NaN"])
def test_bad_prices_are_refused(text: str) -> None:
    with pytest.raises(InvalidAmount):
        parse_yuan(text)


def _form(**changes) -> ProductForm:  # type: ignore[no-untyped-def]
    base = ProductForm(
        title="T恤",
        category_id="3",
        specs=[SpecInput("颜色", "红, 蓝")],
        rows=[SkuRow({"颜色": "红"}, price="19.9", stock="2"), SkuRow({"颜色": "蓝"}, price="20", stock="")],
    )
    return ProductForm(**{**base.__dict__, **changes})


def test_validate_turns_yuan_into_fen_and_blank_stock_into_zero() -> None:
    data = validate(_form())
    assert [(s.price_fen, s.stock) for s in data.skus] == [(1990, 2), (2000, 0)]
    assert data.specs == [("颜色", ["红", "蓝"])]


def test_validate_names_each_bad_field() -> None:
    rows = [SkuRow({"颜色": "红"}, price="", stock="-3", code="A"), SkuRow({"颜色": "蓝"}, price="1.999", code="A")]
    with pytest.raises(ProductInvalid) as caught:
        validate(_form(title=" ", category_id="", rows=rows))
    errors = caught.value.errors
    assert set(errors) >= {"title", "category_id", "sku-0-price", "sku-0-stock", "sku-1-price", "sku-1-code"}
    assert errors["sku-1-code"][1] == {"code": "A"}


def test_a_spec_without_values_is_refused() -> None:
    with pytest.raises(ProductInvalid) as caught:
        validate(_form(specs=[SpecInput("颜色", "红, 蓝"), SpecInput("尺码", "")]))
    assert "spec-1-values" in caught.value.errors
