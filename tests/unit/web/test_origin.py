"""The same-origin check that guards the add-to-cart endpoint instead of a CSRF token (decision 0013)."""

import pytest

from app.web.origin import is_same_origin


@pytest.mark.parametrize(
    ("method", "headers", "allowed"),
    [
        ("GET", {"sec-fetch-site": "cross-site"}, True),  # safe methods always pass
        ("POST", {"sec-fetch-site": "same-origin"}, True),
        ("POST", {"sec-fetch-site": "none"}, True),  # typed in the address bar, a bookmark
        ("POST", {"sec-fetch-site": "cross-site", "origin": "http://shop.test", "host": "shop.test"}, False),
        ("POST", {"sec-fetch-site": "same-site"}, False),  # a sibling subdomain is another origin
        ("POST", {"origin": "http://shop.test", "host": "shop.test"}, True),  # an older browser: Origin decides
        ("POST", {"origin": "https://shop.test:8443", "host": "shop.test:8443"}, True),
        ("POST", {"origin": "https://evil.test", "host": "shop.test"}, False),
        ("POST", {"origin": "null", "host": "shop.test"}, False),
        ("POST", {"host": "shop.test"}, True),  # neither header: not a browser, no ambient credentials to borrow
    ],
)
def test_cross_origin_protection_follows_go_1_25(method, headers, allowed):
    assert is_same_origin(method, headers) is allowed
