"""The catalog change feed: PostgreSQL triggers on product, sku, product_image, shop and category send
NOTIFY jishi_catalog with 'p:<product id>' (or '*' for a shop, a category or a bulk change, see the catalog
migration `change_feed`), at commit. Every app process listens on one connection and drops what its
per-process caches hold for that product, so a new price or a suspended shop shows at once in every process
without each request asking the database whether its cached copy is still current.

While the listening connection is down (or in processes that never start it, like tests and scripts), `live()`
is False and caches must check freshness themselves. A cache filled while a change arrived must not keep what
it read: take `mark = sequence()` before reading and store only if `untouched_since(mark, tag)` afterwards."""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable

import asyncpg

CHANNEL = "jishi_catalog"
ALL = "*"
RECONNECT_SECONDS = 1.0

log = logging.getLogger("jishi.changes")

_subscribers: list[Callable[[str], None]] = []
_recent: deque[tuple[int, str]] = deque(maxlen=10_000)  # (sequence number, tag) of the latest changes
_sequence = 0
_live = False


def subscribe(callback: Callable[[str], None]) -> None:
    """callback(tag) for every change: 'p:<id>' or '*' (drop everything)."""
    if callback not in _subscribers:
        _subscribers.append(callback)


def live() -> bool:
    return _live


def sequence() -> int:
    return _sequence


def untouched_since(mark: int, tag: str) -> bool:
    """No change of `tag` (nor '*') was notified after sequence() returned `mark`."""
    if mark == _sequence:
        return True
    if not _recent or _recent[0][0] > mark + 1:
        return False  # older than what we remember: assume touched
    return not any(seq > mark and (t == tag or t == ALL) for seq, t in _recent)


def changed(tag: str) -> None:
    """Apply one change (called for each notification; tests call it directly)."""
    global _sequence
    _sequence += 1
    _recent.append((_sequence, tag))
    for callback in _subscribers:
        try:
            callback(tag)
        except Exception:
            log.exception("change subscriber failed")


def _on_notify(_conn: object, _pid: int, _channel: str, payload: str) -> None:
    changed(payload or ALL)


async def listen(dsn: str) -> None:
    """Run until cancelled: keep one LISTEN connection; while it is down the feed is not live."""
    global _live
    while True:
        conn: asyncpg.Connection | None = None
        try:
            conn = await asyncpg.connect(dsn)
            lost = asyncio.Event()
            conn.add_termination_listener(lambda _c, lost=lost: lost.set())
            await conn.add_listener(CHANNEL, _on_notify)
            changed(ALL)  # whatever happened while we were not listening
            _live = True
            await lost.wait()
            log.warning("change feed connection lost; caches check freshness until it is back")
        except asyncio.CancelledError:
            raise
        except (OSError, asyncpg.PostgresError) as exc:
            log.warning("change feed unavailable (%s); retrying", exc)
        finally:
            _live = False
            if conn is not None and not conn.is_closed():
                await conn.close()
        changed(ALL)
        await asyncio.sleep(RECONNECT_SECONDS)
