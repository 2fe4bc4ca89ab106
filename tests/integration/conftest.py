from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator

import httpx
import pytest

from app.core import changes
from app.core.db import close_pool, engine, start_pool
from app.main import create_app, wrap


@pytest.fixture(scope="session", autouse=True)
async def pool() -> AsyncIterator[None]:
    if not os.environ.get("JISHI_TEST_DB_READY"):
        pytest.exit(
            "integration tests need PostgreSQL: run `make test` or `python -m app.devdb run --fast -- pytest`",
            returncode=2,
        )
    await start_pool(min_size=2, max_size=20)
    yield
    await close_pool()


@pytest.fixture(autouse=True)
async def clean_tables(pool: None) -> AsyncIterator[None]:
    """Committed data, emptied after each test (concurrency tests need real commits, not a rolled-back tx)."""
    yield
    from piccolo.conf.apps import Finder

    from app.catalog.search._keywords import forget_hot_searches
    from app.catalog.search._search import forget_cached_results
    from app.catalog.services import forget_cached_details, forget_category_tree
    from app.core import changes
    from app.web.fragments import forget_fragments

    changes.changed(changes.ALL)  # what subscribed to the change feed (the page cache) drops everything
    forget_category_tree()  # per-process caches of public data must not outlive the rows they were read from
    forget_cached_results()
    forget_cached_details()
    forget_fragments()
    forget_hot_searches()

    raw_sql_tables = {"search_term", "search_keyword_day"}
    names = sorted({t._meta.tablename for t in Finder().get_table_classes()} | raw_sql_tables)
    await engine().run_ddl(f"TRUNCATE {', '.join(names)} RESTART IDENTITY CASCADE")


@pytest.fixture(scope="session")
def litestar_app():  # type: ignore[no-untyped-def]
    return create_app(manage_pool=False)


@pytest.fixture(scope="session")
def asgi(litestar_app):  # type: ignore[no-untyped-def]
    return wrap(litestar_app)


@pytest.fixture
async def client(asgi) -> AsyncIterator[httpx.AsyncClient]:  # type: ignore[no-untyped-def]
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi), base_url="http://testserver") as c:
        yield c


@pytest.fixture
def new_client(asgi):  # type: ignore[no-untyped-def]
    """A second browser: `async with new_client() as other: ...`."""

    def make(**kwargs) -> httpx.AsyncClient:  # type: ignore[no-untyped-def]
        return httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi), base_url="http://testserver", **kwargs)

    return make


@pytest.fixture
def override_settings():  # type: ignore[no-untyped-def]
    """`override_settings(login_per_ip=3)`: settings are frozen for the app; tests may change them, restored after."""
    from app.config import get_settings

    settings, saved = get_settings(), {}

    def apply(**values: object) -> None:
        for key, value in values.items():
            saved.setdefault(key, getattr(settings, key))
            object.__setattr__(settings, key, value)

    yield apply
    for key, value in saved.items():
        object.__setattr__(settings, key, value)


@pytest.fixture
async def feed() -> AsyncIterator[None]:
    """The change feed listening (as in production), for tests of what a NOTIFY drops: cached pages, settings."""
    task = asyncio.create_task(changes.listen(os.environ["DATABASE_URL"]))
    for _ in range(100):
        if changes.live():
            break
        await asyncio.sleep(0.02)
    assert changes.live()
    yield
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
