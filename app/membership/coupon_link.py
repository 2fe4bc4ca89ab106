"""Granting a coupon (birthday gift, points mall) through the coupons app, when it offers
`app.coupons.services.grant(template_id=, user_id=)`. Looked up at call time: without it, membership works without
coupons (birthday gifts are points only and coupon items in the points mall cannot be redeemed)."""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Awaitable, Callable
from typing import Any


def _grant_fn() -> Callable[..., Awaitable[Any]] | None:
    try:
        services = importlib.import_module("app.coupons.services")
    except ImportError:
        return None
    fn = getattr(services, "grant", None)
    return fn if callable(fn) else None


def available() -> bool:
    return _grant_fn() is not None


async def grant(*, template_id: int, user_id: int, ref: str) -> int | None:
    """In the caller's transaction: give the user one coupon of the template. Returns the user coupon id when the
    coupons app says so; None when coupons are not available. The coupons app's own errors (template ended, out of
    stock) propagate, so the caller's transaction rolls back."""
    fn = _grant_fn()
    if fn is None:
        return None
    kwargs: dict[str, Any] = {"template_id": template_id, "user_id": user_id}
    params = inspect.signature(fn).parameters
    for name, value in (("ref", ref), ("source", ref)):
        if name in params:
            kwargs[name] = value
    result = await fn(**kwargs)
    return result if isinstance(result, int) else getattr(result, "id", None)
