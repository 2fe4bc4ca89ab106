import asyncio
from datetime import timedelta

from app.core import ratelimit
from app.web.session import PostgresStore


async def test_the_store_keeps_values_until_they_expire():
    store = PostgresStore()
    await store.set("k1", b"value", expires_in=60)
    assert await store.get("k1") == b"value"
    assert 55 <= (await store.expires_in("k1")) <= 60
    await store.set("k1", "newer", expires_in=timedelta(seconds=-1))
    assert await store.get("k1") is None
    assert await store.sweep() == 1
    await store.set("k2", b"x")
    assert await store.exists("k2")
    await store.delete("k2")
    assert not await store.exists("k2")


async def test_concurrent_hits_are_counted_exactly():
    counts = await asyncio.gather(*[ratelimit.hit("t:ip:1", window=60) for _ in range(25)])
    assert sorted(counts) == list(range(1, 26))
    assert await ratelimit.count("t:ip:1", window=60) == 25
    await ratelimit.reset("t:ip:1", window=60)
    assert await ratelimit.count("t:ip:1", window=60) == 0


async def test_anonymous_page_views_write_no_session(client):
    from app.core.tables import SessionEntry

    for path in ("/", "/login", "/cart"):
        r = await client.get(path)
        assert "sid" not in r.cookies
    assert await SessionEntry.count() == 0
