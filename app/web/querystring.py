"""Links that change one thing in the current query string (sort tabs, filters, pages), for templates."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from jinja2 import pass_context


def _pairs(request: Any) -> list[tuple[str, str]]:
    return [(k, v) for k, v in request.query_params.multi_items()]


def build(pairs: list[tuple[str, str]], path: str = "") -> str:
    kept = [(k, v) for k, v in pairs if v not in ("", None)]
    return f"{path}?{urlencode(kept)}" if kept else (path or "?")


@pass_context
def qs(context: Any, **changes: Any) -> str:
    """`qs(sort="sales")` → this page's URL with sort replaced and the page reset; `qs(page=3)` keeps the rest.
    A value of None removes the parameter."""
    request = context["request"]
    pairs = [(k, v) for k, v in _pairs(request) if k not in changes and not ("page" not in changes and k == "page")]
    for key, value in changes.items():
        if value is not None:
            pairs.append((key, str(value)))
    return build(pairs, request.url.path)


@pass_context
def qs_toggle(context: Any, key: str, value: Any) -> str:
    """Add `key=value` to a repeatable parameter, or remove it when present (facet checkboxes as links)."""
    request = context["request"]
    value = str(value)
    pairs = [(k, v) for k, v in _pairs(request) if k != "page"]
    if (key, value) in pairs:
        pairs.remove((key, value))
    else:
        pairs.append((key, value))
    return build(pairs, request.url.path)


@pass_context
def qs_has(context: Any, key: str, value: Any) -> bool:
    return (key, str(value)) in _pairs(context["request"])
