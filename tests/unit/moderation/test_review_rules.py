"""Pure rules of moderation: the product diff, the description text diff (escaped), sensitive-word marking and
matching, word-list parsing, commission percent parsing."""

from __future__ import annotations

import copy

import pytest

from app.catalog.category_admin import parse_commission_percent, percent_of
from app.core.errors import ValidationFailed
from app.moderation.review_diff import build_diff, highlight, html_to_text, render_text_diff, text_diff
from app.moderation.sensitive import match
from app.moderation.words import parse_words

BASE = {
    "title": "华为 Mate 手机",
    "subtitle": "旗舰",
    "category_id": 3,
    "category_label": "手机数码 › 手机",
    "brand_id": 1,
    "brand": "华为",
    "description_html": "<p>超长续航</p><p>快充</p>",
    "specs": [{"name": "颜色", "values": ["黑", "白"]}],
    "skus": [
        {"code": "A", "spec_values": {"颜色": "黑"}, "price_fen": 399900, "list_price_fen": None, "stock": 5},
        {"code": "B", "spec_values": {"颜色": "白"}, "price_fen": 399900, "list_price_fen": None, "stock": 5},
    ],
    "images": [{"key": "k1", "width": 800, "height": 800}, {"key": "k2", "width": 800, "height": 800}],
}


def test_a_product_never_approved_is_new():
    diff = build_diff(None, BASE)
    assert diff.is_new and not diff.empty


def test_an_unchanged_product_has_an_empty_diff_even_when_stock_moved():
    after = copy.deepcopy(BASE)
    after["skus"][0]["stock"] = 0
    assert build_diff(BASE, after).empty


def test_fields_are_compared_one_by_one():
    after = {
        **copy.deepcopy(BASE),
        "title": "华为 Mate 手机 Pro",
        "category_id": 4,
        "category_label": "手机数码 › 平板",
        "brand": "",
    }
    after["brand_id"] = None
    diff = build_diff(BASE, after)
    assert [(f.name, f.before, f.after) for f in diff.fields] == [
        ("title", "华为 Mate 手机", "华为 Mate 手机 Pro"),
        ("category", "手机数码 › 手机", "手机数码 › 平板"),
        ("brand", "华为", ""),
    ]


def test_images_added_removed_and_reordered():
    after = copy.deepcopy(BASE)
    after["images"] = [
        {"key": "k2", "width": 1, "height": 1},
        {"key": "k3", "width": 1, "height": 1},
        {"key": "k1", "width": 1, "height": 1},
    ]
    diff = build_diff(BASE, after)
    assert [i["key"] for i in diff.images_added] == ["k3"]
    assert diff.images_removed == [] and diff.images_reordered
    after["images"] = [{"key": "k1"}]
    diff = build_diff(BASE, after)
    assert [i["key"] for i in diff.images_removed] == ["k2"] and not diff.images_reordered


def test_specs_and_skus_are_matched_by_spec_values():
    after = copy.deepcopy(BASE)
    after["specs"] = [{"name": "颜色", "values": ["黑", "蓝"]}, {"name": "内存", "values": ["8G"]}]
    after["skus"] = [
        {"code": "A2", "spec_values": {"颜色": "黑"}, "price_fen": 379900, "list_price_fen": None},
        {"code": "C", "spec_values": {"颜色": "蓝"}, "price_fen": 399900, "list_price_fen": None},
    ]
    diff = build_diff(BASE, after)
    assert [(s.name, s.kind, s.added, s.removed) for s in diff.specs] == [
        ("颜色", "changed", ["蓝"], ["白"]),
        ("内存", "added", ["8G"], []),
    ]
    assert [(s.kind, s.label, s.changes) for s in diff.skus] == [
        ("changed", "颜色: 黑", ["price_fen", "code"]),
        ("added", "颜色: 蓝", []),
        ("removed", "颜色: 白", []),
    ]


def test_a_single_sku_without_specs_is_the_same_sku_whatever_its_code():
    before = {**BASE, "specs": [], "skus": [{"code": "X", "spec_values": {}, "price_fen": 100, "list_price_fen": None}]}
    after = {**before, "skus": [{"code": "Y", "spec_values": {}, "price_fen": 120, "list_price_fen": None}]}
    assert [(s.kind, s.changes) for s in build_diff(before, after).skus] == [("changed", ["price_fen", "code"])]


def test_description_html_becomes_lines_of_text_with_images_named():
    assert html_to_text('<p>第一段  <b>加粗</b></p><p><img src="/media/a.jpg"></p><ul><li>一</li><li>二</li></ul>') == (
        "第一段 加粗\n[img /media/a.jpg]\n一\n二"
    )


def test_the_text_diff_is_per_character_in_chinese_and_per_word_in_english():
    assert text_diff("超长续航", "超长待机续航") == [("equal", "超长"), ("insert", "待机"), ("equal", "续航")]
    assert text_diff("fast charge", "slow charge") == [("delete", "fast"), ("insert", "slow"), ("equal", " charge")]


def test_the_rendered_diff_escapes_before_marking():
    html = str(render_text_diff(text_diff("a <b>", 'a <script>alert("x")</script>')))
    assert "<script" not in html and "</script" not in html and "&lt;/script&gt;" in html
    assert html.startswith("a &lt;") and '<ins class="diff-ins">' in html and '<del class="diff-del">' in html


def test_highlight_marks_words_case_insensitively_and_escapes_the_rest():
    assert str(highlight("<全网>最便宜 FAKE", ["最便宜", "fake"])) == (
        '&lt;全网&gt;<mark class="word-flag">最便宜</mark> <mark class="word-flag">FAKE</mark>'
    )
    assert str(highlight("a<b", [])) == "a&lt;b"


def test_match_finds_block_and_flag_words_case_insensitively():
    words = [("假货", "block"), ("fake", "block"), ("最便宜", "flag")]
    found = match("全网最便宜 FAKE 正品", words)
    assert found.blocked == ["fake"] and found.flagged == ["最便宜"] and not found.ok
    assert match("正品", words).ok


def test_parse_words_one_per_line_trimmed_without_repeats():
    assert parse_words(" 假货 \n\n高仿\n假货\nFake\nfake，代开发票、枪支") == [
        "假货",
        "高仿",
        "Fake",
        "代开发票",
        "枪支",
    ]


@pytest.mark.parametrize(
    ("text", "bp"),
    [("5", 500), ("5.5", 550), ("12.35", 1235), ("0", 0), ("100", 10000), (" 3% ", 300), ("0.01", 1), ("7.50", 750)],
)
def test_commission_percent_becomes_basis_points(text, bp):
    assert parse_commission_percent(text) == bp


@pytest.mark.parametrize("text", ["", "abc", "-1", "100.01", "5.555", "NaN", "Infinity", "1e3"])
def test_bad_commission_percents_are_refused(text):
    with pytest.raises(ValidationFailed) as info:
        parse_commission_percent(text)
    assert "commission" in info.value.errors


def test_basis_points_show_as_a_short_percent():
    assert [percent_of(bp) for bp in (500, 550, 1235, 0, 10000, 1)] == ["5", "5.5", "12.35", "0", "100", "0.01"]
