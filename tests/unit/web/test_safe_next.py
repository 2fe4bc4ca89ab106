import pytest

from app.web.errors import safe_next


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/orders?page=2", "/orders?page=2"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("", "/"),
        (None, "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_only_goes_to_paths_on_this_site(target, expected):
    assert safe_next(target) == expected
