"""Server-side capture: cookies, which requests are page views, cached pages, 5xx counting, signed-in users."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import pytest

from app.analytics import capture
from app.core.db import fetch
from tests.factories import login, make_product, make_user

pytestmark = pytest.mark.asyncio
UA = {"user-agent": "Mozilla/5.0"}


@pytest.fixture(autouse=True)
def fresh_buffer():  # type: ignore[no-untyped-def]
    capture.discard()
    yield
    capture.discard()


async def events(kind: str | None = None) -> list[dict]:  # type: ignore[type-arg]
    await capture.flush()
    if kind:
        return await fetch("SELECT * FROM analytics_event WHERE kind = {} ORDER BY id", kind)
    return await fetch("SELECT * FROM analytics_event ORDER BY id")


def set_cookies(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    out = {}
    for raw in response.headers.get_list("set-cookie"):
        name, _, _rest = raw.partition("=")
        out[name] = raw
    return out


async def test_first_page_view_sets_the_visitor_cookie_once_and_records_the_view(client) -> None:  # type: ignore[no-untyped-def]
    first = await client.get("/", headers={"user-agent": "Mozilla/5.0", "referer": "https://www.baidu.com/s?wd=x"})
    assert first.status_code == 200
    cookies = set_cookies(first)
    assert "vid" in cookies and "vs" in cookies
    assert "HttpOnly" in cookies["vid"] and "SameSite=Lax" in cookies["vid"] and "Max-Age=31536000" in cookies["vid"]
    assert "Max-Age=1800" in cookies["vs"]
    visitor = client.cookies["vid"]
    uuid.UUID(visitor)  # a uuid4

    second = await client.get("/", headers={"user-agent": "Mozilla/5.0", "referer": "http://testserver/p/1"})
    assert "vid" not in set_cookies(second)  # set once
    assert "vs" in set_cookies(second)  # the visit is refreshed by each page view

    rows = await events("page_view")
    assert [(r["route"], r["path"], r["visitor"], r["user_id"]) for r in rows] == [
        ("home", "/", visitor, None),
        ("home", "/", visitor, None),
    ]
    assert rows[0]["referrer"] == "www.baidu.com/s"  # external: host + path, no query
    assert rows[1]["referrer"] == ""  # our own page
    assert rows[0]["session"] == rows[1]["session"] == client.cookies["vs"]


async def test_a_page_from_the_page_cache_is_counted_and_gets_its_cookies(client, new_client) -> None:  # type: ignore[no-untyped-def]
    await client.get("/", headers={"user-agent": "Mozilla/5.0"})  # fills the page cache (anonymous home)
    async with new_client() as other:
        replay = await other.get("/", headers={"user-agent": "Mozilla/5.0"})
        assert replay.status_code == 200
        assert {"vid", "vs"} <= set(set_cookies(replay))  # cached pages never store Set-Cookie: added outside
        other_visitor = other.cookies["vid"]
    rows = await events("page_view")
    assert len(rows) == 2
    assert rows[1]["visitor"] == other_visitor != rows[0]["visitor"]


async def test_bots_fragments_and_back_office_pages_are_not_page_views(client) -> None:  # type: ignore[no-untyped-def]
    bot = await client.get("/", headers={"user-agent": "Mozilla/5.0 (compatible; Baiduspider/2.0)"})
    assert bot.status_code == 200 and "vid" not in set_cookies(bot)
    await client.get("/", headers={"user-agent": "Googlebot/2.1 (+http://www.google.com/bot.html)"})
    await client.get("/?page=2", headers={"user-agent": "Mozilla/5.0", "HX-Request": "true"})
    await client.get("/admin/", headers={"user-agent": "Mozilla/5.0"})
    await client.get("/healthz", headers={"user-agent": "Mozilla/5.0"})
    await client.get("/no-such-page", headers={"user-agent": "Mozilla/5.0"})  # 404: not a view either
    assert await events("page_view") == []
    counted = await fetch("SELECT sum(responses) AS n FROM analytics_http_minute")
    assert counted[0]["n"] == 6  # every response is counted for the failure rate


async def test_product_page_records_a_product_view(client) -> None:  # type: ignore[no-untyped-def]
    product = await make_product(title="统计测试")
    response = await client.get(f"/p/{product}", headers={"user-agent": "Mozilla/5.0"})
    assert response.status_code == 200
    views = await events("product_view")
    assert [(v["product"], v["route"]) for v in views] == [(product, "product")]
    pages = await events("page_view")
    assert [(p["route"], p["product"]) for p in pages] == [("product", product)]


async def test_signed_in_views_carry_the_user_and_sign_in_links_the_visitor(client) -> None:  # type: ignore[no-untyped-def]
    user = await make_user()
    await client.get("/", headers={"user-agent": "Mozilla/5.0"})
    visitor = client.cookies["vid"]
    await login(client, user)
    await client.get("/", headers={"user-agent": "Mozilla/5.0"})
    rows = await events("page_view")
    assert [r["user_id"] for r in rows] == [None, user.id]
    assert rows[1]["visitor"] == visitor
    links = await fetch("SELECT visitor, user_id FROM analytics_visitor_link")
    assert [dict(r) for r in links] == [{"visitor": visitor, "user_id": user.id}]


async def test_5xx_responses_are_counted() -> None:
    async def broken(scope, receive, send):  # type: ignore[no-untyped-def]
        scope["user"] = SimpleNamespace(id=7)
        status = 500 if scope["path"] == "/boom" else 200
        await send({"type": "http.response.start", "status": status, "headers": [(b"content-type", b"text/html")]})
        await send({"type": "http.response.body", "body": b"x"})

    app = capture.CaptureMiddleware(broken, secure=False)

    async def call(path: str) -> None:
        scope = {"type": "http", "method": "GET", "path": path, "query_string": b"",
                 "headers": [(b"user-agent", b"Mozilla/5.0"), (b"host", b"testserver")]}  # fmt: skip

        async def receive():  # type: ignore[no-untyped-def]
            return {"type": "http.request", "body": b""}

        async def send(message):  # type: ignore[no-untyped-def]
            return None

        await app(scope, receive, send)

    for path in ("/boom", "/ok", "/boom", "/c/1"):
        await call(path)
    await capture.flush()
    counted = await fetch("SELECT sum(responses) AS n, sum(errors_5xx) AS e FROM analytics_http_minute")
    assert (counted[0]["n"], counted[0]["e"]) == (4, 2)
    rows = await events("page_view")
    assert [(r["route"], r["user_id"]) for r in rows] == [("ok", 7), ("category", 7)]  # 5xx pages are not views


async def test_the_funnel_through_the_app_product_view_cart_checkout_and_pay(client) -> None:  # type: ignore[no-untyped-def]
    """One shopper: views a product anonymously, adds it to the cart, signs in, checks out; the order is paid.
    The rollup counts one visitor at every funnel step (the anonymous views are linked to the account)."""
    import re

    from app.analytics import rollup
    from app.core.db import fetchrow
    from tests.factories import post_form
    from tests.order_factories import first_sku, make_address

    buyer = await make_user()
    await make_address(buyer)
    product = await make_product(skus=[{"price_fen": 1234, "stock": 5}], title="漏斗台灯")
    sku = await first_sku(product)
    assert (await client.get(f"/p/{product}", headers=UA)).status_code == 200
    added = await client.post(
        "/cart/add", data={"sku": str(sku), "qty": "1"}, headers={"Sec-Fetch-Site": "same-origin", **UA}
    )
    assert added.status_code == 303
    await login(client, buyer)
    page = await client.get(f"/checkout?sku={sku}&qty=1", headers=UA)
    token = re.search(r'name="token" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    placed = await post_form(client, "/checkout", {"token": token, "source": "buy", "line": f"{sku}:1"})
    assert placed.status_code == 303
    group = await fetchrow("SELECT id, total_fen FROM order_group")
    assert group is not None
    await fetch("UPDATE order_group SET status = 'paid', paid_at = now() WHERE id = {}", group["id"])
    await fetch("UPDATE shop_order SET status = 'paid', paid_at = now() WHERE \"group\" = {}", group["id"])

    kinds = [(e["kind"], e["product"], e["group_id"], e["user_id"]) for e in await events() if e["kind"] != "page_view"]
    assert kinds == [
        ("product_view", product, None, None),
        ("add_to_cart", product, None, None),
        ("checkout", None, group["id"], buyer.id),
    ]
    await rollup.rollup_day(rollup.today())
    site = await fetchrow("SELECT * FROM analytics_daily_site WHERE day = {} AND shop = 0", rollup.today())
    assert site is not None
    assert (site["uv"], site["product_viewers"], site["cart_adders"], site["checkout_visitors"]) == (1, 1, 1, 1)
    assert (site["paying_visitors"], site["orders"], site["gmv_fen"]) == (1, 1, group["total_fen"])
