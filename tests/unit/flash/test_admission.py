"""Admission control of the flash buy endpoint, with a hand-moved monotonic clock."""

from __future__ import annotations

from app.flash.admission import Gate


class Tick:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


def test_permits_are_refused_at_once_when_all_are_taken_and_come_back_when_left() -> None:
    gate = Gate(permits=2)
    assert gate.try_enter(7) and gate.try_enter(7)
    assert not gate.try_enter(7)  # the third buyer of item 7 is answered "try again", not queued
    assert gate.try_enter(8)  # another item has its own permits
    gate.leave(7)
    assert gate.inflight(7) == 1
    assert gate.try_enter(7)


def test_permit_context_releases_even_when_the_buy_fails() -> None:
    gate = Gate(permits=1)
    try:
        with gate.permit(1) as admitted:
            assert admitted
            with gate.permit(1) as second:
                assert not second
            raise RuntimeError("checkout failed")
    except RuntimeError:
        pass
    assert gate.inflight(1) == 0
    with gate.permit(1) as admitted:
        assert admitted


def test_sold_out_answers_without_looking_until_the_recheck_interval_passes() -> None:
    tick = Tick()
    gate = Gate(recheck_s=1.0, monotonic=tick)
    assert not gate.sold_out(3)
    gate.mark_sold_out(3)
    tick.t += 0.5
    assert gate.sold_out(3)
    assert not gate.sold_out(4)
    tick.t += 0.5  # a second later one request looks again (a cancelled order may have given stock back)
    assert not gate.sold_out(3)
    gate.mark_sold_out(3)
    gate.clear(3)
    assert not gate.sold_out(3)


async def _call(app: object, path: str, headers: list[tuple[bytes, bytes]]) -> tuple[int, dict[bytes, bytes], bytes]:
    sent: list[dict] = []  # type: ignore[type-arg]

    async def send(message: dict) -> None:  # type: ignore[type-arg]
        sent.append(message)

    async def receive() -> dict:  # type: ignore[type-arg]
        return {"type": "http.request", "body": b""}

    scope = {"type": "http", "method": "POST", "path": path, "headers": headers}
    await app(scope, receive, send)  # type: ignore[operator]
    return sent[0]["status"], dict(sent[0]["headers"]), sent[1]["body"]


async def test_the_fast_path_answers_a_sold_out_item_before_the_app_and_passes_everything_else() -> None:
    from app.flash.admission import SoldOutFastPath

    reached: list[str] = []

    async def app(scope, receive, send) -> None:  # type: ignore[no-untyped-def]
        reached.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"app"})

    gate = Gate()
    fast = SoldOutFastPath(app, gate)
    assert (await _call(fast, "/flash/items/5/buy", []))[0] == 200  # not known sold out: the app decides
    gate.mark_sold_out(5)
    htmx_en = [(b"hx-request", b"true"), (b"accept-language", b"en")]
    status, headers, body = await _call(fast, "/flash/items/5/buy", htmx_en)
    assert status == 422 and b'id="flash-buy-5"' in body and b"Sold out" in body
    assert headers[b"cache-control"] == b"no-store"
    status, headers, _ = await _call(fast, "/flash/items/5/buy", [])
    assert status == 303 and headers[b"location"] == b"/flash/#flash-item-5"
    assert (await _call(fast, "/flash/items/6/buy", []))[0] == 200
    assert (await _call(fast, "/flash/items/5/buy/x", []))[0] == 200
    assert reached == ["/flash/items/5/buy", "/flash/items/6/buy", "/flash/items/5/buy/x"]
    for _ in range(gate.permits):  # item 6's permits all busy: "try again" without the app
        gate.try_enter(6)
    status, headers, body = await _call(fast, "/flash/items/6/buy", htmx_en)
    assert status == 429 and headers[b"retry-after"] == b"1" and b"try again" in body
    assert reached[-1] == "/flash/items/5/buy/x"
