"""Access to the Piccolo engine configured in piccolo_conf.py, and its connection pool."""

from __future__ import annotations

from typing import Any

from piccolo.engine import engine_finder
from piccolo.engine.postgres import PostgresEngine


def engine() -> PostgresEngine:
    found = engine_finder()
    if not isinstance(found, PostgresEngine):
        raise RuntimeError("piccolo_conf.py must configure a PostgresEngine")
    return found


async def start_pool(*, min_size: int, max_size: int) -> None:
    await engine().start_connection_pool(min_size=min_size, max_size=max_size)


async def close_pool() -> None:
    await engine().close_connection_pool()


async def fetch(sql: str, *args: Any) -> list[dict[str, Any]]:
    """Raw SQL with {} placeholders (Piccolo's QueryString), for the few queries the ORM can't express."""
    from piccolo.querystring import QueryString

    return await engine().run_querystring(QueryString(sql, *args))


async def fetchrow(sql: str, *args: Any) -> dict[str, Any] | None:
    rows = await fetch(sql, *args)
    return rows[0] if rows else None
