"""sensitive.mask: the chat's masking of "flag" words (decision 0020)."""

from app.moderation.sensitive import mask


def test_every_occurrence_is_masked_case_insensitively():
    assert mask("最便宜！真的最便宜", ["最便宜"]) == "***！真的***"
    assert mask("add me on WeChat or wechat", ["wechat"]) == "add me on *** or ***"


def test_the_longer_word_is_masked_whole_and_nothing_listed_changes_nothing():
    assert mask("国家级最高级", ["最高", "最高级", "国家级"]) == "******"
    assert mask("正常的消息", []) == "正常的消息"
    assert mask("a.b", ["."]) == "a***b"  # words are literal, not patterns
