"""Fire-and-forget work after a commit (the first delivery of a notice, sending refunds): a task in a fresh context
so no request's transaction or locale leaks into it, kept referenced until done. The worker's sweeps catch anything
a task did not finish (the process stopped, the call failed)."""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections.abc import Coroutine
from typing import Any

log = logging.getLogger("jishi.payments")

_tasks: set[asyncio.Task[Any]] = set()


def _done(task: asyncio.Task[Any]) -> None:
    _tasks.discard(task)
    if not task.cancelled() and task.exception() is not None:
        log.error("background payment task failed", exc_info=task.exception())


def spawn(coro: Coroutine[Any, Any, Any]) -> None:
    task = asyncio.get_running_loop().create_task(coro, context=contextvars.Context())
    _tasks.add(task)
    task.add_done_callback(_done)


async def drain() -> None:
    """Wait until every background task started so far (and those they start) has finished (tests)."""
    while _tasks:
        await asyncio.gather(*list(_tasks), return_exceptions=True)
