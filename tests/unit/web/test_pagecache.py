"""The anonymous page cache: what it replays, to whom, and when it lets go."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app.core import changes
from app.web import pagecache
from app.web.pagecache import STATE_KEY, Directive, PageCacheMiddleware


class CountingApp:
    """A stand-in app: answers 200 with a body naming how often it ran, and the directive it was given."""

    def __init__(self, directive: Directive | None, status: int = 200) -> None:
        self.directive = directive
        self.status = status
        self.calls = 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.calls += 1
        if self.directive is not None:
            scope.setdefault("state", {})[STATE_KEY] = self.directive
        headers = [(b"content-type", b"text/html"), (b"set-cookie", b"csrftoken=abc")]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": f"call {self.calls}".encode(), "more_body": False})


def scope(path: str = "/p/1", *, cookie: str = "", accept_language: str = "zh-CN", hx: bool = False) -> dict:
    headers = [(b"host", b"shop.test"), (b"accept-encoding", b"br"), (b"accept-language", accept_language.encode())]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    if hx:
        headers.append((b"hx-request", b"true"))
    return {"type": "http", "method": "GET", "path": path, "query_string": b"", "headers": headers}


async def get(middleware: PageCacheMiddleware, s: dict) -> tuple[int, dict[bytes, bytes], bytes]:
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b""}

    async def send(message: dict) -> None:
        sent.append(message)

    await middleware(s, receive, send)
    return sent[0]["status"], dict(sent[0]["headers"]), b"".join(m.get("body", b"") for m in sent[1:])


@pytest.fixture
def feed_live(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(changes, "_live", True)


async def test_an_opted_in_page_is_replayed_without_its_cookies() -> None:
    app = CountingApp(Directive(ttl=60))
    cache = PageCacheMiddleware(app)
    first = await get(cache, scope("/"))
    second = await get(cache, scope("/"))
    assert first[2] == second[2] == b"call 1" and app.calls == 1
    assert b"set-cookie" in first[1] and b"set-cookie" not in second[1]


async def test_pages_that_did_not_opt_in_are_never_replayed() -> None:
    app = CountingApp(None)
    cache = PageCacheMiddleware(app)
    await get(cache, scope("/"))
    assert (await get(cache, scope("/")))[2] == b"call 2"


async def test_errors_are_not_replayed() -> None:
    app = CountingApp(Directive(ttl=60), status=404)
    cache = PageCacheMiddleware(app)
    await get(cache, scope("/"))
    await get(cache, scope("/"))
    assert app.calls == 2


async def test_a_visitor_with_a_session_always_reaches_the_app() -> None:
    app = CountingApp(Directive(ttl=60))
    cache = PageCacheMiddleware(app)
    await get(cache, scope("/"))
    assert (await get(cache, scope("/", cookie="sid=xyz")))[2] == b"call 2"


async def test_language_and_htmx_requests_get_their_own_copies() -> None:
    app = CountingApp(Directive(ttl=60))
    cache = PageCacheMiddleware(app)
    await get(cache, scope("/"))
    assert (await get(cache, scope("/", accept_language="en-US")))[2] == b"call 2"
    assert (await get(cache, scope("/", cookie="locale=en")))[2] == b"call 2"  # same language, same copy
    assert (await get(cache, scope("/", hx=True)))[2] == b"call 3"


async def test_copies_expire(monkeypatch: pytest.MonkeyPatch) -> None:
    app = CountingApp(Directive(ttl=5))
    cache = PageCacheMiddleware(app)
    now = [1000.0]
    monkeypatch.setattr(pagecache, "_now", lambda: now[0])
    await get(cache, scope("/"))
    now[0] += 4
    assert (await get(cache, scope("/")))[2] == b"call 1"
    now[0] += 2
    assert (await get(cache, scope("/")))[2] == b"call 2"


async def test_a_product_page_is_dropped_when_its_product_changes(feed_live: None) -> None:
    app = CountingApp(Directive(ttl=300, tag="p:1"))
    cache = PageCacheMiddleware(app)
    await get(cache, scope("/p/1"))
    changes.changed("p:2")
    assert (await get(cache, scope("/p/1")))[2] == b"call 1"
    changes.changed("p:1")
    assert (await get(cache, scope("/p/1")))[2] == b"call 2"
    changes.changed(changes.ALL)
    assert (await get(cache, scope("/p/1")))[2] == b"call 3"


async def test_tagged_pages_are_not_kept_while_the_feed_is_down() -> None:
    assert not changes.live()
    app = CountingApp(Directive(ttl=300, tag="p:1"))
    cache = PageCacheMiddleware(app)
    await get(cache, scope("/p/1"))
    assert (await get(cache, scope("/p/1")))[2] == b"call 2"


async def test_a_page_made_while_its_product_changed_is_not_kept(feed_live: None) -> None:
    class ChangingApp(CountingApp):
        async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
            changes.changed("p:1")  # notified after the handler read the product, before it answered
            await super().__call__(scope, receive, send)

    app = ChangingApp(Directive(ttl=300, tag="p:1"))
    cache = PageCacheMiddleware(app)
    await get(cache, scope("/p/1"))
    await get(cache, scope("/p/1"))
    assert app.calls == 2


async def test_on_hit_runs_for_replays_and_may_add_headers() -> None:
    seen: list[dict[str, str]] = []

    def on_hit(cookies: dict[str, str]) -> list[tuple[bytes, bytes]]:
        seen.append(cookies)
        return [(b"x-replayed", b"1")]

    app = CountingApp(Directive(ttl=60, on_hit=on_hit))
    cache = PageCacheMiddleware(app)
    await get(cache, scope("/search"))
    _status, headers, _body = await get(cache, scope("/search", cookie="vid=v1"))
    assert seen == [{"vid": "v1"}] and headers[b"x-replayed"] == b"1"


def test_untouched_since_remembers_which_tags_changed() -> None:
    mark = changes.sequence()
    assert changes.untouched_since(mark, "p:7")
    changes.changed("p:8")
    assert changes.untouched_since(mark, "p:7") and not changes.untouched_since(mark, "p:8")
    changes.changed(changes.ALL)
    assert not changes.untouched_since(mark, "p:7")


class SlowApp(CountingApp):
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await asyncio.sleep(0.05)
        await super().__call__(scope, receive, send)


async def test_identical_requests_arriving_together_are_made_once() -> None:
    app = SlowApp(Directive(ttl=60))
    cache = PageCacheMiddleware(app)
    pages = await asyncio.gather(*(get(cache, scope("/")) for _ in range(5)))
    assert app.calls == 1 and {p[2] for p in pages} == {b"call 1"}


async def test_an_expired_copy_is_served_while_the_new_one_is_made(monkeypatch: pytest.MonkeyPatch) -> None:
    app = SlowApp(Directive(ttl=5))
    cache = PageCacheMiddleware(app)
    now = [1000.0]
    monkeypatch.setattr(pagecache, "_now", lambda: now[0])
    await get(cache, scope("/"))
    now[0] += 6
    refill = asyncio.create_task(get(cache, scope("/")))
    await asyncio.sleep(0.01)
    assert (await get(cache, scope("/")))[2] == b"call 1"  # stale, while the refill runs
    assert (await refill)[2] == b"call 2"
    assert (await get(cache, scope("/")))[2] == b"call 2"
