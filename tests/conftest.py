"""Test set-up shared by every layer.

Unit tests need nothing. When DATABASE_URL points at a server (make test / `python -m app.devdb run -- pytest`),
each pytest process (xdist worker) gets its own throwaway database, migrated once and dropped at the end.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parent.parent

# Cheap password hashing in tests; the rehash test changes these on purpose.
os.environ.setdefault("ARGON2_MEMORY_KIB", "8192")
os.environ.setdefault("ARGON2_TIME_COST", "1")
os.environ.setdefault("ARGON2_PARALLELISM", "1")
os.environ.setdefault("SECRET_KEY", "test-secret-key-" + "x" * 32)
# Uploaded images from tests go to a throwaway folder, never the dev media under .data/
os.environ.setdefault("MEDIA_ROOT", tempfile.mkdtemp(prefix="jishi-test-media-"))

_SERVER_URL = os.environ.get("DATABASE_URL", "")
_TEST_DB: str | None = None


def _with_db(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


async def _admin(sql: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(_with_db(_SERVER_URL, "postgres"))
    try:
        await conn.execute(sql)
    finally:
        await conn.close()


def pytest_configure(config) -> None:  # type: ignore[no-untyped-def]
    global _TEST_DB
    if not _SERVER_URL or os.environ.get("JISHI_TEST_DB_READY"):
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    if worker == "main" and config.getoption("numprocesses", None):
        return  # the xdist controller runs no tests: only its workers need databases
    _TEST_DB = f"jishi_test_{uuid.uuid4().hex[:8]}_{worker}"
    asyncio.run(_admin(f'CREATE DATABASE "{_TEST_DB}"'))
    url = _with_db(_SERVER_URL, _TEST_DB)
    done = subprocess.run(
        [sys.executable, "-m", "app.manage", "migrate"],
        cwd=ROOT,
        env={**os.environ, "DATABASE_URL": url},
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        raise RuntimeError(f"migrating the test database failed:\n{done.stdout}\n{done.stderr}")
    os.environ["DATABASE_URL"] = url
    os.environ["JISHI_TEST_DB_READY"] = "1"


def pytest_unconfigure(config) -> None:  # type: ignore[no-untyped-def]
    if _TEST_DB:
        asyncio.run(_admin(f'DROP DATABASE IF EXISTS "{_TEST_DB}" WITH (FORCE)'))
