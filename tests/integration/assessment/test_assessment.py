"""Seller assessment: the daily sweep on a fixture with a hand-computed score, weights, rewards and sanctions
(audited and notified), the pages and who may see them."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import httpx

from app.assessment import services
from app.core import clock
from app.core.db import fetch, fetchrow
from app.core.principal import Actor
from tests.factories import TestShop, login, make_product, make_shop, make_user, post_form
from tests.order_factories import make_order_group

ADMIN = Actor(user_id=None, label="test")


async def _as(client: httpx.AsyncClient, user) -> None:  # type: ignore[no-untyped-def]
    client.cookies.clear()
    await login(client, user)


async def _paid_orders(shop: TestShop, *, price_fen: int, count: int) -> list[int]:
    product = await make_product(shop=shop, skus=[{"price_fen": price_fen, "stock": 100}])
    buyer = await make_user()
    orders: list[int] = []
    for _ in range(count):
        group = await make_order_group(buyer, [(product, 1)], status="paid")
        orders.extend(group.order_ids)
    return orders


async def _fixture() -> tuple[TestShop, TestShop]:
    """Shop A: 4 paid orders of 100 yuan, one 50-yuan refund, one dispute ruled against it, one review
    (5, 4, 4), a 120 s first response, one upheld complaint. Shop B: one paid order of 10,000 yuan."""
    a, b = await make_shop(), await make_shop()
    orders = await _paid_orders(a, price_fen=10_000, count=4)
    await _paid_orders(b, price_fen=1_000_000, count=1)
    first = await fetchrow(
        'SELECT o.id, o.buyer, o."group", i.id AS item, i.product FROM shop_order o '
        'JOIN order_item i ON i."order" = o.id WHERE o.id = {}',
        orders[0],
    )
    assert first is not None
    payment = await fetchrow(
        "INSERT INTO payment (no, \"group\", buyer, provider, amount_fen, status, paid_at) VALUES ('T1', {}, {}, "
        "'sandbox', 10000, 'paid', now()) RETURNING id",
        first["group"],
        first["buyer"],
    )
    assert payment is not None
    await fetch(
        "INSERT INTO refund (\"order\", payment, amount_fen, idempotency_key, status) VALUES ({}, {}, 5000, 'k1', "
        "'succeeded')",
        first["id"],
        payment["id"],
    )
    sale = await fetchrow(
        'INSERT INTO after_sale ("order", order_item, buyer, shop, kind, reason, status) VALUES ({}, {}, {}, {}, '
        "'refund_only', 'other', 'arbitrated') RETURNING id",
        first["id"],
        first["item"],
        first["buyer"],
        a.id,
    )
    assert sale is not None
    await fetch(
        "INSERT INTO after_sale_dispute (after_sale, status, ruling) VALUES ({}, 'ruled', 'refund_full')", sale["id"]
    )
    await fetch(
        'INSERT INTO review (order_item, "order", product, shop, buyer, rating, dsr_description, dsr_service, '
        "dsr_logistics) VALUES ({}, {}, {}, {}, {}, 4, 5, 4, 4)",
        first["item"],
        first["id"],
        first["product"],
        a.id,
        first["buyer"],
    )
    await fetch(
        "INSERT INTO conversation (shop, buyer, last_message_at, first_response_seconds) VALUES ({}, {}, now(), 120)",
        a.id,
        first["buyer"],
    )
    await fetch(
        "INSERT INTO complaint (complainant, shop, category, text, status) VALUES ({}, {}, 'service', "
        "'客服态度很差，不回复消息。', 'resolved')",
        first["buyer"],
        a.id,
    )
    return a, b


async def test_the_sweep_scores_the_fixture_as_computed_by_hand_once_a_day() -> None:
    a, b = await _fixture()
    assert await services.compute_scores() == 2
    rows = {r["shop"]: r for r in await fetch("SELECT shop, score, rank, components, metrics FROM shop_score")}
    comps = {n: c["sub"] for n, c in services._json(rows[a.id]["components"]).items()}
    # sales 100 x ln(401)/ln(10001) = 65.1; DSR 4.33 → 66.7; refund (12.5% + 25%)/2 = 18.75% → 6.25;
    # disputes (1 + 1)/4 orders = 50% → 0; response 120 s → 98.3; one upheld complaint → 80
    assert comps == {"sales": 65, "dsr": 67, "refund": 6, "dispute": 0, "response": 98, "violation": 80}
    assert rows[a.id]["score"] == 56  # (65x25 + 67x25 + 6x15 + 0 + 98x10 + 80x15) / 100 = 55.7
    # B: sales 100, no ratings and no chats → neutral 50, no refunds or disputes → 100: 82.5 → 83
    assert rows[b.id]["score"] == 83
    assert (rows[b.id]["rank"], rows[a.id]["rank"]) == (1, 2)
    assert services._json(rows[a.id]["metrics"])["gmv_fen"] == 40_000

    # a second run the same day, and two at once, change nothing
    assert await services.compute_scores() == 0
    await fetch("DELETE FROM shop_score")
    results = await asyncio.gather(services.compute_scores(), services.compute_scores())
    assert sorted(results) == [0, 2]  # one wrote both rows, the other nothing
    assert (await fetchrow("SELECT count(*) AS n FROM shop_score"))["n"] == 2


async def test_a_new_shop_without_orders_or_ratings_is_scored_neutral_and_history_builds_a_trend() -> None:
    shop = await make_shop()
    await services.compute_scores(day=clock.now().date() - timedelta(days=1))
    await services.compute_scores()
    data = await services.shop_assessment(shop_id=shop.id)
    assert data["latest"]["score"] == 58  # neutral 50 everywhere, a clean record 100: 57.5
    assert len(data["history"]) == 2 and data["trend"]


async def test_weights_are_validated_audited_and_used(client: httpx.AsyncClient) -> None:
    client.headers["Accept-Language"] = "en"
    ops = await make_user(roles=("operations",))
    await _as(client, ops)
    weights = {"sales": "30", "dsr": "25", "refund": "15", "dispute": "10", "response": "10", "violation": "15"}
    bad = await post_form(client, "/admin/assessment/weights", weights)
    assert bad.status_code == 422 and "must add up to 100 (now 105)" in bad.text and 'value="30"' in bad.text
    assert await services.current_weights() == services.rules.DEFAULT_WEIGHTS
    weights["dsr"] = "20"
    ok = await post_form(client, "/admin/assessment/weights", weights)
    assert ok.status_code == 303
    assert await services.current_weights() == {k: int(v) for k, v in weights.items()}
    audit = await fetchrow("SELECT actor, after FROM audit_log WHERE action = 'assessment.weights'")
    assert audit is not None and audit["actor"] == ops.id and '"dsr": 20' in audit["after"]


async def test_rewards_and_sanctions_are_audited_notified_and_shown(client: httpx.AsyncClient) -> None:
    client.headers["Accept-Language"] = "en"
    shop = await make_shop()
    await services.compute_scores()
    ops = await make_user(roles=("operations",))
    await _as(client, ops)
    page = await client.get(f"/admin/assessment/shops/{shop.id}")
    assert page.status_code == 200 and shop.name in page.text

    missing = await post_form(client, f"/admin/assessment/shops/{shop.id}/measures", {"kind": "boost", "days": "0"})
    assert missing.status_code == 422 and "Enter the reason" in missing.text and "from 1 to 365" in missing.text

    for kind in ("boost", "badge", "rectification"):
        r = await post_form(
            client, f"/admin/assessment/shops/{shop.id}/measures", {"kind": kind, "days": "7", "reason": "考核结果"}
        )
        assert r.status_code == 303, r.text
    measures = {m["kind"]: m for m in await fetch("SELECT id, kind, bonus, status FROM shop_measure")}
    assert measures["boost"]["bonus"] == 20 and measures["rectification"]["status"] == "active"
    audits = [
        r["action"] for r in await fetch("SELECT action FROM audit_log WHERE action LIKE 'assessment.%' ORDER BY id")
    ]
    assert audits == ["assessment.boost", "assessment.badge", "assessment.rectification"]
    notes = await fetch('SELECT kind FROM notification WHERE "user" = {} ORDER BY id', shop.owner.id)
    assert [n["kind"] for n in notes] == ["assessment.boost", "assessment.badge", "assessment.rectification"]

    # the badge shows on the shop page's fragment and the leaderboard, for anyone
    client.cookies.clear()
    assert "Recommended shop" in (await client.get(f"/shops/{shop.id}/badge")).text
    ranking = await client.get("/shops/ranking")
    assert ranking.status_code == 200 and shop.name in ranking.text and "Recommended shop" in ranking.text

    # the seller sees the notice and answers it; past the deadline it escalates once
    await _as(client, shop.owner)
    mine = await client.get("/seller/assessment/")
    assert mine.status_code == 200 and "Rectification notice" in mine.text and "考核结果" in mine.text
    assert "Rectification notice" in (await client.get("/seller/assessment/notices")).text
    rect = measures["rectification"]["id"]
    answered = await post_form(client, f"/seller/assessment/measures/{rect}/answer", {"note": "已更换供应商"})
    assert answered.status_code == 303
    later = clock.now() + timedelta(days=8)
    clock.use_clock(lambda: later)
    try:
        assert await services.escalate_overdue() == 1
        assert await services.escalate_overdue() == 0
        assert await services.expire_measures() == 2  # the boost and the badge
    finally:
        clock.use_clock(lambda: __import__("datetime").datetime.now(__import__("datetime").UTC))
    row = await fetchrow("SELECT status, note FROM shop_measure WHERE id = {}", rect)
    assert row is not None and dict(row) == {"status": "escalated", "note": "已更换供应商"}
    assert await fetchrow(
        "SELECT 1 AS x FROM notification WHERE kind = 'assessment.escalate' AND \"user\" = {}", shop.owner.id
    )

    await _as(client, ops)
    done = await post_form(client, f"/admin/assessment/shops/{shop.id}/measures/{rect}/resolve")
    assert done.status_code == 303
    assert (await fetchrow("SELECT status FROM shop_measure WHERE id = {}", rect))["status"] == "resolved"


async def test_suspension_uses_the_shop_suspension_and_lifting_it_reopens(client: httpx.AsyncClient) -> None:
    shop = await make_shop()
    measure = await services.apply_measure(
        actor=ADMIN, shop_id=shop.id, form={"kind": "suspension", "reason": "多次违规"}
    )
    assert dict(await fetchrow("SELECT status, status_reason FROM shop WHERE id = {}", shop.id) or {}) == {
        "status": "suspended",
        "status_reason": "多次违规",
    }
    actions = {r["action"] for r in await fetch("SELECT action FROM audit_log")}
    assert {"shop.suspend", "assessment.suspension"} <= actions
    await services.close_measure(actor=ADMIN, shop_id=shop.id, measure_id=measure, action="revoke")
    assert (await fetchrow("SELECT status FROM shop WHERE id = {}", shop.id))["status"] == "active"


async def test_boost_and_demotion_move_a_shop_in_search_relevance(client: httpx.AsyncClient) -> None:
    low, high = await make_shop(), await make_shop()
    p_low = await make_product(shop=low, title="手机支架 入门款", sales=1)
    p_high = await make_product(shop=high, title="手机支架 旗舰款", sales=500)
    from app.catalog import search as catalog_search
    from app.catalog.search import parse_query

    await catalog_search.reindex_products(product_ids=[p_low, p_high])

    async def order() -> list[int]:
        catalog_search.forget_cached_results()
        result = await catalog_search.search(parse_query({"q": "手机支架"}))
        return [p.id for p in result.products]

    assert await order() == [p_high, p_low]
    await services.apply_measure(
        actor=ADMIN, shop_id=low.id, form={"kind": "boost", "days": "3", "reason": "奖励", "bonus": "50"}
    )
    assert await order() == [p_low, p_high]
    # the home feed (sorted by sales through its index) is led by the boosted shop's best seller
    home = (await client.get("/")).text
    assert home.index("手机支架 入门款") < home.index("手机支架 旗舰款")
    await services.apply_measure(
        actor=ADMIN, shop_id=low.id, form={"kind": "demotion", "days": "3", "reason": "降权", "bonus": "80"}
    )
    assert await order() == [p_high, p_low]


async def test_the_sweep_proposes_a_rectification_for_a_low_score_and_a_person_confirms() -> None:
    shop = await make_shop()
    orders = await _paid_orders(shop, price_fen=1000, count=5)
    for i, order_id in enumerate(orders):  # a dispute ruled against the shop on every order
        item = await fetchrow(
            'SELECT i.id, o.buyer FROM order_item i JOIN shop_order o ON o.id = i."order" WHERE o.id = {}', order_id
        )
        sale = await fetchrow(
            'INSERT INTO after_sale ("order", order_item, buyer, shop, kind, reason) VALUES ({}, {}, {}, {}, '
            "'refund_only', 'other') RETURNING id",
            order_id,
            item["id"],
            item["buyer"],
            shop.id,
        )
        await fetch(
            "INSERT INTO after_sale_dispute (after_sale, status, ruling) VALUES ({}, 'ruled', 'refund_full')",
            sale["id"],
        )
        await fetch(
            "INSERT INTO complaint (complainant, shop, category, text, status) VALUES ({}, {}, 'fake', {}, 'resolved')",
            item["buyer"],
            shop.id,
            f"假货投诉第{i}次，已查实。",
        )
    weights = {"sales": "0", "dsr": "0", "refund": "0", "dispute": "50", "response": "0", "violation": "50"}
    await services.set_weights(actor=ADMIN, form=weights)  # disputes on every order and 5 complaints: 0 and 0
    await services.daily()
    await services.daily()  # safe twice
    assert (await fetchrow("SELECT score FROM shop_score WHERE shop = {}", shop.id))["score"] == 0
    proposals = await fetch("SELECT id, kind, status FROM shop_measure WHERE shop = {}", shop.id)
    assert [(p["kind"], p["status"]) for p in proposals] == [("rectification", "proposed")]
    await services.apply_measure(
        actor=ADMIN,
        shop_id=shop.id,
        proposal_id=proposals[0]["id"],
        form={"kind": "rectification", "days": "14", "reason": "请整改"},
    )
    assert (await fetchrow("SELECT status FROM shop_measure WHERE id = {}", proposals[0]["id"]))["status"] == "active"


async def test_who_may_see_what(client: httpx.AsyncClient) -> None:
    mine, other = await make_shop(), await make_shop()
    await services.compute_scores()
    await services.apply_measure(
        actor=ADMIN, shop_id=other.id, form={"kind": "rectification", "days": "3", "reason": "别家的整改"}
    )
    rect = (await fetchrow("SELECT id FROM shop_measure"))["id"]
    # the leaderboard is public
    assert (await client.get("/shops/ranking")).status_code == 200
    # a seller sees only its own shop
    await _as(client, mine.owner)
    page = await client.get("/seller/assessment/")
    assert page.status_code == 200 and "别家的整改" not in page.text
    answer = await post_form(client, f"/seller/assessment/measures/{rect}/answer", {"note": "不是我的"})
    assert answer.status_code == 404
    assert (await client.get("/admin/assessment/")).status_code == 403
    # platform staff without the operations role: 403
    await _as(client, await make_user(roles=("finance",)))
    assert (await client.get("/admin/assessment/")).status_code == 403
    assert (await post_form(client, "/admin/assessment/recompute")).status_code == 403
    await _as(client, await make_user(roles=("operations",)))
    admin = await client.get("/admin/assessment/")
    assert admin.status_code == 200 and mine.name in admin.text and other.name in admin.text
    fragment = await client.get("/admin/assessment/", params={"q": mine.name}, headers={"HX-Request": "true"})
    assert mine.name in fragment.text and other.name not in fragment.text and "<html" not in fragment.text


async def test_the_demo_scores_a_week_and_recommends_the_best_shop_once() -> None:
    from app.assessment.demo import DAYS, load_assessment_demo

    small, big = await make_shop(), await make_shop()
    await _paid_orders(small, price_fen=1000, count=1)
    await _paid_orders(big, price_fen=100_000, count=2)
    await load_assessment_demo()
    await load_assessment_demo()
    assert (await fetchrow("SELECT count(*) AS n FROM shop_score"))["n"] == 2 * DAYS
    kinds = [(r["shop"], r["kind"]) for r in await fetch("SELECT shop, kind FROM shop_measure ORDER BY id")]
    assert kinds == [(big.id, "badge"), (big.id, "boost")]
