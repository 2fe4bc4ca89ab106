"""Server-side sessions in PostgreSQL: a Litestar `Store` over the session_entry table, and a backend that
rotates the session id at login (no fixation) and skips the write when a request left the session as it was."""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from litestar.connection import ASGIConnection
from litestar.middleware.session.server_side import ServerSideSessionBackend, ServerSideSessionConfig
from litestar.stores.base import Store
from litestar.types import Empty, Message, ScopeSession

from app.core import clock
from app.core.db import fetch, fetchrow
from app.core.tables import SessionEntry

ROTATE_KEY = "jishi.rotate_session"
_LOADED_KEY = "jishi.session_loaded"
_NEW_ID_KEY = "jishi.session_new_id"


class PostgresStore(Store):
    """Key/value store with expiry in one table; any number of app processes share it."""

    async def set(self, key: str, value: str | bytes, expires_in: int | timedelta | None = None) -> None:
        data = value.encode() if isinstance(value, str) else value
        seconds = expires_in.total_seconds() if isinstance(expires_in, timedelta) else expires_in
        expires_at = clock.now() + timedelta(seconds=seconds) if seconds else None
        await fetch(
            "INSERT INTO session_entry (key, value, expires_at) VALUES ({}, {}, {}) "
            "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, expires_at = EXCLUDED.expires_at",
            key,
            data,
            expires_at,
        )

    async def get(self, key: str, renew_for: int | timedelta | None = None) -> bytes | None:
        if renew_for:
            seconds = renew_for.total_seconds() if isinstance(renew_for, timedelta) else renew_for
            row = await fetchrow(
                "UPDATE session_entry SET expires_at = {} WHERE key = {} "
                "AND (expires_at IS NULL OR expires_at > now()) RETURNING value",
                clock.now() + timedelta(seconds=seconds),
                key,
            )
        else:
            row = await fetchrow(
                "SELECT value FROM session_entry WHERE key = {} AND (expires_at IS NULL OR expires_at > {})",
                key,
                clock.now(),
            )
        return bytes(row["value"]) if row else None

    async def delete(self, key: str) -> None:
        await SessionEntry.delete().where(SessionEntry.key == key)

    async def delete_all(self) -> None:
        await SessionEntry.delete(force=True)

    async def exists(self, key: str) -> bool:
        return await self.get(key) is not None

    async def expires_in(self, key: str) -> int | None:
        row = await SessionEntry.select(SessionEntry.expires_at).where(SessionEntry.key == key).first()
        if not row or row["expires_at"] is None:
            return None
        return int((row["expires_at"] - clock.now()).total_seconds())

    async def sweep(self) -> int:
        """Delete expired sessions (worker sweep)."""
        rows = await fetch("DELETE FROM session_entry WHERE expires_at < {} RETURNING key", clock.now())
        return len(rows)


class SessionBackend(ServerSideSessionBackend):
    def get_session_id(self, connection: ASGIConnection) -> str:
        scope = connection.scope
        if scope.get(ROTATE_KEY):  # type: ignore[misc]
            if _NEW_ID_KEY not in scope:
                scope[_NEW_ID_KEY] = self.generate_session_id()  # type: ignore[literal-required]
            return scope[_NEW_ID_KEY]  # type: ignore[literal-required]
        return super().get_session_id(connection)

    async def load_from_connection(self, connection: ASGIConnection) -> dict[str, Any]:
        data = await super().load_from_connection(connection)
        connection.scope[_LOADED_KEY] = copy.deepcopy(data)  # type: ignore[literal-required]
        return data

    async def store_in_message(self, scope_session: ScopeSession, message: Message, connection: ASGIConnection) -> None:
        scope = connection.scope
        loaded = scope.get(_LOADED_KEY)  # type: ignore[misc]
        rotate = scope.get(ROTATE_KEY)  # type: ignore[misc]
        if not rotate:
            if scope_session is Empty or not scope_session:
                if not loaded and self.config.key not in connection.cookies:
                    return  # nothing before, nothing now: no cookie, no write
            elif scope_session == loaded:
                return  # unchanged: skip the write
        elif (old := connection.cookies.get(self.config.key)) and old != "null":
            store = self.config.get_store_from_app(scope["app"])
            await self.delete(old, store=store)
        await super().store_in_message(scope_session, message, connection)


@dataclass
class SessionConfig(ServerSideSessionConfig):
    _backend_class = SessionBackend  # type: ignore[assignment]


def rotate_session(connection: ASGIConnection) -> None:
    """Issue a new session id at the end of this request (call at login and logout)."""
    connection.scope[ROTATE_KEY] = True  # type: ignore[literal-required]
