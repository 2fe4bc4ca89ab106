"""Browser-test set-up: a throwaway database with the demo data, a live server on a free port, one Chromium.

Run with `make test-e2e` (it starts PostgreSQL and sets DATABASE_URL). Playwright's sync API cannot run
inside an asyncio loop, so this suite runs with `-p no:asyncio` and every fixture here is synchronous.
On a failure the test's pages are saved to e2e/artifacts/<test>.png (and .html); the server log is
e2e/artifacts/server.log.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from e2e.browser import LAUNCH_ARGS, executable_path
from e2e.helpers import BROWSER_LOCALE, Account, register_account

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"

# What the server (and the demo loader, so its hashes are as cheap) run with.
SERVER_ENV = {
    "LOGIN_LIMIT_PER_ACCOUNT": "3",
    "LOGIN_LIMIT_PER_IP": "1000",
    "REGISTER_LIMIT_PER_IP": "1000",
    "ARGON2_MEMORY_KIB": "8192",
    "ARGON2_TIME_COST": "1",
    "ARGON2_PARALLELISM": "1",
    "TEST_HOOKS": "1",  # POST /_test/clock: the flash-sale test moves the server clock
}

PHONE = {
    "viewport": {"width": 360, "height": 740},
    "device_scale_factor": 2,
    "is_mobile": True,
    "has_touch": True,
}
DESKTOP = {"viewport": {"width": 1280, "height": 800}}

expect.set_options(timeout=10_000)


def pytest_addoption(parser: pytest.Parser, pluginmanager: pytest.PytestPluginManager) -> None:
    """With `-p no:asyncio`, pyproject's asyncio_* settings (for tests/) would warn as unknown: declare them."""
    if not pluginmanager.has_plugin("asyncio"):
        for name in ("asyncio_mode", "asyncio_default_fixture_loop_scope", "asyncio_default_test_loop_scope"):
            parser.addini(name, "pytest-asyncio setting, unused by the browser tests (run with -p no:asyncio)")


# ---------------------------------------------------------------- failure reports
@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]):  # type: ignore[no-untyped-def]
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report


def _failed(node: pytest.Item) -> bool:
    return any(getattr(getattr(node, f"rep_{when}", None), "failed", False) for when in ("setup", "call"))


# ---------------------------------------------------------------- database
def _with_db(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def _admin_sql(server_url: str, sql: str) -> None:
    import asyncpg

    async def run() -> None:
        conn = await asyncpg.connect(_with_db(server_url, "postgres"))
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    # In a thread of its own: once Playwright's sync API has started, this thread counts as inside a loop.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, run()).result()


def _env(database_url: str) -> dict[str, str]:
    return {
        **os.environ,
        **SERVER_ENV,
        "DATABASE_URL": database_url,
        "SECRET_KEY": os.environ.get("SECRET_KEY") or secrets.token_hex(32),
        "PYTHONUNBUFFERED": "1",
    }


@pytest.fixture(scope="session")
def server_env() -> Iterator[dict[str, str]]:
    """A fresh database (migrated, demo data loaded) for this run, dropped at the end."""
    server_url = os.environ.get("DATABASE_URL", "")
    if not server_url:
        pytest.exit("DATABASE_URL is not set: run the browser tests with `make test-e2e`", returncode=2)
    name = f"jishi_e2e_{secrets.token_hex(4)}"
    _admin_sql(server_url, f'CREATE DATABASE "{name}"')
    try:
        env = _env(_with_db(server_url, name))
        for step in (["app.manage", "migrate"], ["app.demo", "--products", "200", "--images", "16"], ["e2e.seed"]):
            done = subprocess.run(
                [sys.executable, "-m", *step], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
            )
            if done.returncode != 0:
                pytest.exit(f"`python -m {' '.join(step)}` failed:\n{done.stdout}\n{done.stderr}", returncode=3)
        yield env
    finally:
        _admin_sql(server_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------- server
def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_healthy(url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.exit(f"the server exited ({process.returncode}):\n{log.read_text()[-3000:]}", returncode=3)
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310 (our own URL)
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.exit(f"the server did not answer /healthz within {seconds:.0f} s:\n{log.read_text()[-3000:]}", returncode=3)


@pytest.fixture(scope="session")
def base_url(server_env: dict[str, str]) -> Iterator[str]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    ARTIFACTS.mkdir(exist_ok=True)
    log = ARTIFACTS / "server.log"
    command = [
        sys.executable,
        "-m",
        "uvicorn",
        "app.main:create_asgi",
        "--factory",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]
    with log.open("wb") as out:
        # the sandbox payment gateway sends its signed notices to this server
        env = {**server_env, "PUBLIC_BASE_URL": url}
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            _wait_healthy(url, process, log)
            yield url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


# ---------------------------------------------------------------- browser
@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    browser = playwright.chromium.launch(executable_path=executable_path(), args=LAUNCH_ARGS, headless=True)
    yield browser
    browser.close()


PageFactory = Callable[..., Page]


def _page_factory(browser: Browser, base_url: str, request: pytest.FixtureRequest, device: dict) -> Iterator:
    pages: list[Page] = []

    def make(locale: str = "zh_CN") -> Page:
        """A page in a new context (own cookies) whose browser asks for `locale` (zh_CN or en)."""
        context = browser.new_context(**device, locale=BROWSER_LOCALE.get(locale, locale), base_url=base_url)
        context.set_default_timeout(10_000)
        page = context.new_page()
        pages.append(page)
        return page

    yield make
    failed = _failed(request.node)
    for number, page in enumerate(pages, start=1):
        if failed and not page.is_closed():
            stem = request.node.name + (f"-{number}" if len(pages) > 1 else "")
            try:
                page.screenshot(path=str(ARTIFACTS / f"{stem}.png"), full_page=True)
                (ARTIFACTS / f"{stem}.html").write_text(page.content())
            except Exception as exc:  # a screenshot must never hide the real failure
                print(f"could not save {stem}.png: {exc}", file=sys.stderr)
        page.context.close()


@pytest.fixture
def phone(browser: Browser, base_url: str, request: pytest.FixtureRequest) -> Iterator[PageFactory]:
    """phone("en") -> a page on a 360x740 touch screen (the storefront's main device)."""
    yield from _page_factory(browser, base_url, request, PHONE)


@pytest.fixture
def desktop(browser: Browser, base_url: str, request: pytest.FixtureRequest) -> Iterator[PageFactory]:
    """desktop("zh_CN") -> a page on a 1280x800 screen (seller center and platform admin)."""
    yield from _page_factory(browser, base_url, request, DESKTOP)


@pytest.fixture
def make_account(playwright: Playwright, base_url: str) -> Callable[..., Account]:
    """make_account() -> a freshly registered Account with a unique email (or identifier=...)."""

    def make(identifier: str | None = None) -> Account:
        api = playwright.request.new_context(base_url=base_url)
        try:
            return register_account(api, identifier=identifier)
        finally:
            api.dispose()

    return make
