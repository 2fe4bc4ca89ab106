"""Audit CSV cells are shown as text by spreadsheets: no formula can start from a cell."""

from __future__ import annotations

from app.moderation.services import csv_cell


def test_formula_starts_get_a_quote() -> None:
    for text in ("=SUM(A1)", "+86 139", "-1", "@cmd", "\tx", "\rx"):
        assert csv_cell(text) == "'" + text
    assert csv_cell("普通文本") == "普通文本"
    assert csv_cell(None) == "" and csv_cell(42) == "42"
