"""Rendered-fragment cache for public page parts (product grids, the public part of a product page).

A fragment may be cached only when it shows nothing about the visitor (no CSRF token, no user, no flash):
its key then needs just the template, the locale and what the fragment depends on (the URL for listings,
the product and its updated_at for product pages). Entries live a few seconds per process, like the data
they are made from; the key carries any version that must invalidate them sooner."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

from litestar import Request
from markupsafe import Markup

from app.core.i18n import get_locale

_cache: dict[tuple[Any, ...], tuple[float, Markup]] = {}
MAX_ENTRIES = 4096


async def cached_fragment(
    request: Request,
    template_name: str,
    *,
    key: tuple[Any, ...],
    ttl: float,
    context: Callable[[], Awaitable[dict[str, Any]]] | dict[str, Any],
) -> Markup:
    """The template rendered with `context` (a dict, or an async function called only on a miss)."""
    full_key = (template_name, get_locale(), *key)
    now = time.monotonic()
    hit = _cache.get(full_key)
    if hit and now - hit[0] < ttl:
        return hit[1]
    values = context if isinstance(context, dict) else await context()
    template = request.app.template_engine.get_template(template_name)  # type: ignore[union-attr]
    html = Markup(template.render(request=request, **values))  # noqa: S704 - autoescaped template output
    if ttl <= 0:
        return html  # not cacheable (e.g. a hidden product shown to its staff)
    _cache.pop(full_key, None)
    _cache[full_key] = (now, html)
    while len(_cache) > MAX_ENTRIES:
        _cache.pop(next(iter(_cache)))
    return html


def forget_fragments() -> None:
    _cache.clear()
