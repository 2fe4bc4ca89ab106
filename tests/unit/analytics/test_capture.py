"""Capture's pure rules: routes of storefront paths, bots, external referrers, the home layout in the query."""

from __future__ import annotations

import pytest

from app.analytics.capture import _with_query, external_referrer, is_bot, route_of


@pytest.mark.parametrize(
    ("path", "route"),
    [
        ("/", ("home", None)),
        ("/p/123", ("product", 123)),
        ("/c/7", ("category", 7)),
        ("/s/9", ("shop", 9)),
        ("/s/9/t/2", ("shop", 9)),
        ("/search", ("search", None)),
        ("/cart", ("cart", None)),
        ("/me/orders/55", ("me/orders/{id}", None)),
        ("/aftersales/3/photos/1", ("aftersales/{id}/photos/{id}", None)),
    ],
)
def test_routes_are_path_patterns(path: str, route: tuple[str, int | None]) -> None:
    assert route_of(path) == route


@pytest.mark.parametrize(
    "agent",
    [
        b"",
        b"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        b"Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)",
        b"Sogou web spider/4.0",
        b"curl/8.5.0",
        b"python-requests/2.31",
        b"facebookexternalhit/1.1",
    ],
)
def test_bots(agent: bytes) -> None:
    assert is_bot(agent)


@pytest.mark.parametrize(
    "agent",
    [
        b"Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148 MicroMessenger/8.0",
        b"Mozilla/5.0 (Linux; Android 13) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36",
        b"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 HeadlessChrome/120.0 Safari/537.36",
    ],
)
def test_people(agent: bytes) -> None:
    assert not is_bot(agent)


def test_external_referrers_keep_host_and_path_only() -> None:
    assert external_referrer(b"https://www.baidu.com/s?wd=%E6%89%8B%E6%9C%BA", b"jishi.example") == "www.baidu.com/s"
    assert external_referrer(b"https://jishi.example/p/1", b"jishi.example") == ""  # our own page
    assert external_referrer(b"android-app://com.tencent.mm/", b"jishi.example") == ""
    assert external_referrer(b"", b"jishi.example") == ""


def test_the_home_layout_comes_only_from_the_assignment() -> None:
    scope = {"query_string": b"layout=compact&page=2"}
    _with_query(scope, None)
    assert scope["query_string"] == b"page=2"  # a client's own layout= is dropped
    scope = {"query_string": b""}
    _with_query(scope, "compact")
    assert scope["query_string"] == b"layout=compact"
    scope = {"query_string": b"a=1"}
    _with_query(scope, None)
    assert scope["query_string"] == b"a=1"  # untouched
