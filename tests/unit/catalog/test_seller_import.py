"""Bulk import rows: reading CSV/XLSX, grouping rows into products, and errors placed at row and column."""

from __future__ import annotations

import pytest

from app.catalog import bulk


def _csv(*lines: str) -> bytes:
    return ("\n".join(lines) + "\n").encode("utf-8-sig")


HEADER = ",".join(bulk.COLUMNS)


def test_the_template_reads_back_in_both_formats() -> None:
    for fmt in ("csv", "xlsx"):
        rows = bulk.read_rows(f"t.{fmt}", bulk.template(fmt, category_id=42))
        assert [n for n, _r in rows] == [2, 3]
        assert rows[0][1]["category_id"] == "42"
        assert rows[1][1]["specs"] == "颜色=白色; 尺码=L"


def test_rows_with_the_same_key_are_one_product_with_its_specs() -> None:
    rows = bulk.read_rows("f.csv", bulk.template("csv", category_id=7))
    errors: list[bulk.RowError] = []
    groups = bulk.group_rows(rows, errors)
    assert len(groups) == 1 and not errors
    data = bulk.check_group(groups[0], errors)
    assert not errors and data is not None
    assert data.specs == [("颜色", ["白色"]), ("尺码", ["M", "L"])]
    assert [s.price_fen for s in data.skus] == [5900, 5900]
    assert data.category_id == 7


def test_errors_are_reported_at_their_row_and_column() -> None:
    data = _csv(
        HEADER,
        "A,好商品,,5,,,,,颜色=红,A1,12.5,,3,",
        "A,,,,,,,,颜色=蓝,A2,abc,,x,",
        "A,别的标题,,,,,,,颜色=红,A3,1,,1,",
        "B,,,5,,,,,颜色,B1,1,,1,",
    )
    errors: list[bulk.RowError] = []
    groups = bulk.group_rows(bulk.read_rows("f.csv", data), errors)
    for g in groups:
        bulk.check_group(g, errors)
    found = {(e.row, e.column) for e in errors}
    assert (4, "title") in found  # differs from row 2
    assert (4, "specs") in found  # the same specs as row 2
    assert (3, "price") in found and (3, "stock") in found
    assert (5, "specs") in found  # malformed
    assert (5, "title") in found  # product B has no title


def test_a_file_without_the_required_columns_is_refused_at_row_one() -> None:
    with pytest.raises(bulk.FileInvalid) as caught:
        bulk.read_rows("f.csv", _csv("title,stock", "x,1"))
    assert {(e.row, e.column) for e in caught.value.errors} == {(1, "category_id"), (1, "price")}


def test_other_file_types_are_refused() -> None:
    with pytest.raises(bulk.FileInvalid):
        bulk.read_rows("f.txt", b"hello")
    with pytest.raises(bulk.FileInvalid):
        bulk.read_rows("f.xlsx", b"not a zip")


def test_spec_cells_parse_and_malformed_ones_are_none() -> None:
    assert bulk.parse_specs_cell("颜色=红； 尺码=M") == {"颜色": "红", "尺码": "M"}
    assert bulk.parse_specs_cell("") == {}
    assert bulk.parse_specs_cell("颜色") is None
    assert bulk.parse_specs_cell("颜色=红; 颜色=蓝") is None


def test_export_guards_formulas_and_import_removes_the_guard() -> None:
    data = bulk.write_table([["P1", "=SUM(A1)", "", "5", "", "", "", "", "", "c", "1", "", "1", "0"]], "csv")
    rows = bulk.read_rows("f.csv", data)
    assert rows[0][1]["title"] == "=SUM(A1)"
    assert b"'=SUM" in data
