"""Admission control for the flash buy endpoint (decision 0016): per process and per item, in memory.

- A sold-out flag: once a take fails for stock (or a cheap read sees no stock left) the item answers "sold out" at
  once, without touching the database, for `recheck_s` seconds; then one request looks again (stock may have come
  back from a cancelled order).
- A small number of permits per item: at most `permits` buys of one item run at the same time in this process; when
  all are taken the next request is refused immediately (HTTP 429, "try again"), never queued, so a burst cannot
  pile up connections, memory or database work behind the hot row.

No request state is kept: any number of processes may run, each with its own gate (the database's conditional
UPDATE stays the only truth about stock)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager


class Gate:
    def __init__(self, *, permits: int = 4, recheck_s: float = 1.0, monotonic: Callable[[], float] = time.monotonic):
        self.permits = permits
        self.recheck_s = recheck_s
        self._monotonic = monotonic
        self._sold_out: dict[int, float] = {}  # item id -> when it was seen sold out
        self._inflight: dict[int, int] = {}

    def sold_out(self, item_id: int) -> bool:
        """True while a recent look said the item has no stock (expires after recheck_s)."""
        seen = self._sold_out.get(item_id)
        if seen is None:
            return False
        if self._monotonic() - seen >= self.recheck_s:
            del self._sold_out[item_id]
            return False
        return True

    def mark_sold_out(self, item_id: int) -> None:
        self._sold_out[item_id] = self._monotonic()

    def clear(self, item_id: int) -> None:
        self._sold_out.pop(item_id, None)

    def try_enter(self, item_id: int) -> bool:
        """Take a permit without waiting; False when all of this item's permits are in use."""
        inflight = self._inflight.get(item_id, 0)
        if inflight >= self.permits:
            return False
        self._inflight[item_id] = inflight + 1
        return True

    def leave(self, item_id: int) -> None:
        left = self._inflight.get(item_id, 0) - 1
        if left > 0:
            self._inflight[item_id] = left
        else:
            self._inflight.pop(item_id, None)

    def inflight(self, item_id: int) -> int:
        return self._inflight.get(item_id, 0)

    @contextmanager
    def permit(self, item_id: int) -> Iterator[bool]:
        """`with gate.permit(item) as admitted:` — admitted False means answer "try again" now."""
        admitted = self.try_enter(item_id)
        try:
            yield admitted
        finally:
            if admitted:
                self.leave(item_id)


GATE = Gate()  # the process's gate; asyncio runs one request at a time between awaits, so no lock is needed
