"""One URL serves a page and its fragment: htmx requests (not history restores) get the fragment."""

from __future__ import annotations

from typing import Any

from litestar import Request
from litestar.response import Template


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true" and request.headers.get("hx-history-restore-request") != "true"


def render(
    request: Request,
    page: str,
    fragment: str | None = None,
    *,
    status_code: int = 200,
    headers: dict[str, str] | None = None,
    **context: Any,
) -> Template:
    name = fragment if fragment and is_htmx(request) else page
    return Template(
        template_name=name,
        context=context,
        status_code=status_code,
        headers={"Vary": "HX-Request", **(headers or {})},
    )
