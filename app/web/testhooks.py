"""Hooks for the browser tests, mounted only with TEST_HOOKS=1 (never in production: `make run` leaves it off).

POST /_test/clock (form `advance_seconds`): moves this process's clock forward, so a test can watch a flash sale
start without waiting. The server's clock is the truth for every countdown, which is what this proves."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Request, post
from litestar.response import Response

from app.core import clock


@post("/_test/clock")
async def move_clock(request: Request[Any, Any, Any]) -> Response[dict[str, str]]:
    form = await request.form()
    seconds = int(str(form.get("advance_seconds", "0")) or 0)
    moved = clock.advance(timedelta(seconds=seconds))
    return Response({"now": moved.isoformat()})


def test_routes(enabled: bool) -> list[Any]:
    return [move_clock] if enabled else []
