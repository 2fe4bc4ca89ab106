import pytest

from app.core.i18n import gettext, negotiate, set_locale


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("zh-CN,zh;q=0.9,en;q=0.8", "zh_CN"),
        ("en-US,en;q=0.9", "en"),
        ("fr-FR,en;q=0.5,zh;q=0.4", "en"),
        ("zh-TW", "zh_CN"),
        ("fr-FR", None),
        ("", None),
        (None, None),
        ("en;q=0.1,zh;q=0.9", "zh_CN"),
        ("en;q=abc", "en"),
    ],
)
def test_negotiate_accept_language(header, expected):
    assert negotiate(header) == expected


def test_gettext_follows_the_current_locale_and_fills_parameters():
    set_locale("en")
    assert gettext("Page %(num)s", num=3) == "Page 3"
    set_locale("zh_CN")
    assert gettext("Log in") == "登录"
    set_locale("xx")  # unknown falls back to the default
    assert gettext("Log in") == "登录"
