"""Membership over HTTP: the member's pages, check-in with and without htmx, the points mall, the admin pages (guards,
bad input, audit)."""

from __future__ import annotations

import asyncio

from app.core.db import engine, fetch, fetchrow
from app.membership import ledger, mall
from app.membership.demo import load_membership_demo
from tests.factories import login, make_user, post_form
from tests.order_factories import make_address


async def give(user_id: int, points: int) -> None:
    async with engine().transaction():
        await ledger.ensure_profile(user_id)
        await ledger.add_entry(user_id=user_id, delta=points, reason="admin", ref=f"{user_id}:seed", note="seed")


async def test_member_page_shows_level_progress_and_perks(client) -> None:  # type: ignore[no-untyped-def]
    await load_membership_demo()
    buyer = await make_user(locale="en")
    await login(client, buyer)
    async with engine().transaction():
        await ledger.ensure_profile(buyer.id)
    await fetch('UPDATE member_profile SET growth = 600 WHERE "user" = {}', buyer.id)
    page = await client.get("/me/member", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    text = page.text
    assert "Silver" in text and "Growth: 600" in text
    assert "1400 more growth to reach Gold" in text
    assert "1.5x points" in text and "Free shipping" in text


async def test_birthday_in_the_future_is_refused_and_the_form_keeps_it(client) -> None:  # type: ignore[no-untyped-def]
    buyer = await make_user(locale="en")
    await login(client, buyer)
    r = await post_form(client, "/me/member/birthday", {"birthday": "2999-01-01"})
    assert r.status_code == 422
    assert "cannot be in the future" in r.text and 'value="2999-01-01"' in r.text
    r = await post_form(client, "/me/member/birthday", {"birthday": "1990-05-20"})
    assert r.status_code == 303
    r = await post_form(client, "/me/member/birthday", {"birthday": "1990-06-20"})
    assert r.status_code == 422 and "cannot be changed" in r.text
    assert "1990-05-20" in (await client.get("/me/member")).text


async def test_check_in_with_htmx_swaps_into_checked_in(client) -> None:  # type: ignore[no-untyped-def]
    buyer = await make_user(locale="en")
    await login(client, buyer)
    page = await client.get("/me/points")
    assert "Check in today" in page.text
    r = await post_form(client, "/me/points/checkin", headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert "Checked in today +5" in r.text and "<html" not in r.text
    assert 'id="points-balance" hx-swap-oob="true">5<' in r.text  # the balance on the page follows
    r = await post_form(client, "/me/points/checkin")  # without JS, again: redirect, nothing more earned
    assert r.status_code == 303 and r.headers["location"] == "/me/points"
    page = await client.get("/me/points")
    assert "Checked in today +5" in page.text and "Daily check-in" in page.text
    assert await ledger.balance(buyer.id) == 5


async def test_points_page_shows_balance_history_and_year_end_expiry(client) -> None:  # type: ignore[no-untyped-def]
    buyer = await make_user(locale="en")
    await give(buyer.id, 1000)
    await login(client, buyer)
    text = (await client.get("/me/points")).text
    assert 'id="points-balance">1000<' in text
    assert "1000 points expire on" in text and "Adjusted by the platform" in text


async def _gift(stock: int = 2, cost: int = 300, limit: int = 1) -> int:
    from tests.factories import SYSTEM

    return await mall.save_item(
        actor=SYSTEM,
        item_id=None,
        form={
            "title": "帆布袋",
            "kind": "gift",
            "cost_points": str(cost),
            "stock": str(stock),
            "per_user_limit": str(limit),
            "active": "on",
        },
    )


async def test_redeeming_a_gift_debits_points_and_stock_within_the_limit(client) -> None:  # type: ignore[no-untyped-def]
    buyer = await make_user(locale="en")
    await give(buyer.id, 1000)
    item_id = await _gift(stock=5, cost=300, limit=1)
    await login(client, buyer)
    assert "Redeem for 300 points" in (await client.get("/points-mall")).text
    r = await post_form(client, f"/points-mall/{item_id}/redeem")  # no address to ship to yet
    assert r.status_code == 303 and r.headers["location"] == "/points-mall"
    assert "Add a default delivery address first" in (await client.get("/points-mall")).text
    assert await ledger.balance(buyer.id) == 1000
    await make_address(buyer)
    r = await post_form(client, f"/points-mall/{item_id}/redeem")
    assert r.status_code == 303 and r.headers["location"] == "/me/points"
    r = await post_form(client, f"/points-mall/{item_id}/redeem")
    assert r.status_code == 303 and r.headers["location"] == "/points-mall"
    page = await client.get("/points-mall")
    assert "the most allowed" in page.text
    assert await ledger.balance(buyer.id) == 700
    item = await mall.get_item(item_id)
    assert item.stock == 4
    assert "Waiting to be shipped" in (await client.get("/me/points")).text
    redemption = await fetchrow("SELECT id, address FROM points_redemption")
    assert redemption and "世纪大道" in redemption["address"]


async def test_the_platform_sees_gifts_to_ship_and_marks_them_shipped(client, new_client) -> None:  # type: ignore[no-untyped-def]
    buyer = await make_user(locale="en")
    await give(buyer.id, 1000)
    await make_address(buyer)
    done = await mall.redeem(user_id=buyer.id, item_id=await _gift())
    await _admin(client)
    page = await client.get("/admin/membership/")
    assert f'id="gift-{done.id}"' in page.text and "世纪大道" in page.text
    r = await post_form(client, f"/admin/membership/gifts/{done.id}/shipped")
    assert r.status_code == 303
    assert f'id="gift-{done.id}"' not in (await client.get("/admin/membership/")).text
    assert (await post_form(client, f"/admin/membership/gifts/{done.id}/shipped")).status_code == 404
    assert await fetchrow("SELECT id FROM audit_log WHERE action = 'points_redemption.ship'")
    async with new_client() as other:
        await login(other, buyer)
        assert "Shipped" in (await other.get("/me/points")).text


async def test_concurrent_redemptions_never_oversell_or_overspend() -> None:
    buyers = [await make_user() for _ in range(6)]
    for b in buyers:
        await give(b.id, 500)
        await make_address(b)
    item_id = await _gift(stock=3, cost=200, limit=2)

    async def attempt(user_id: int) -> bool:
        try:
            await mall.redeem(user_id=user_id, item_id=item_id)
        except Exception:
            return False
        return True

    results = await asyncio.gather(*(attempt(b.id) for b in buyers for _ in range(3)))
    assert sum(results) == 3
    assert (await mall.get_item(item_id)).stock == 0
    for b in buyers:
        assert await ledger.balance(b.id) >= 100
    row = await fetchrow("SELECT count(*) AS n, sum(cost_points) AS s FROM points_redemption")
    spent = await fetchrow("SELECT -sum(delta) AS s FROM points_entry WHERE reason = 'mall'")
    assert row and spent and row["n"] == 3 and row["s"] == spent["s"] == 600


async def test_a_coupon_item_is_refused_honestly_when_coupons_are_unavailable(client, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from app.membership import coupon_link
    from tests.factories import SYSTEM

    monkeypatch.setattr(coupon_link, "_grant_fn", lambda: None)
    buyer = await make_user(locale="en")
    await give(buyer.id, 1000)
    item_id = await mall.save_item(
        actor=SYSTEM,
        item_id=None,
        form={
            "title": "¥5",
            "kind": "coupon",
            "coupon_template_id": "1",
            "cost_points": "100",
            "stock": "5",
            "per_user_limit": "1",
            "active": "on",
        },
    )
    await login(client, buyer)
    assert "Not available yet" in (await client.get("/points-mall")).text
    r = await post_form(client, f"/points-mall/{item_id}/redeem")
    assert r.status_code == 303
    assert "Your points have not been used" in (await client.get("/points-mall")).text
    assert await ledger.balance(buyer.id) == 1000 and (await mall.get_item(item_id)).stock == 5


async def test_admin_pages_are_for_admins_and_operations_only(client, new_client) -> None:  # type: ignore[no-untyped-def]
    buyer = await make_user()
    await login(client, buyer)
    for url in ("/admin/membership/", "/admin/membership/levels/new", "/admin/membership/members?q=1"):
        assert (await client.get(url)).status_code in (403, 404)
    r = await post_form(client, "/admin/membership/settings", {"points_per_yuan": "1"})
    assert r.status_code in (403, 404)
    r = await post_form(client, f"/admin/membership/members/{buyer.id}/adjust", {"delta": "100", "note": "x"})
    assert r.status_code in (403, 404)
    assert await ledger.balance(buyer.id) == 0
    ops = await make_user(roles=("operations",))
    async with new_client() as other:
        await login(other, ops)
        assert (await other.get("/admin/membership/")).status_code == 200


async def _admin(client) -> None:  # type: ignore[no-untyped-def]
    admin = await make_user(roles=("admin",), locale="en")
    await login(client, admin)


LEVEL = {
    "rank": "1",
    "name_zh": "普通",
    "name_en": "Basic",
    "growth_threshold": "0",
    "extra_discount_pct": "0",
    "points_multiplier_pct": "100",
    "active": "on",
}


async def test_level_thresholds_must_increase_with_rank(client) -> None:  # type: ignore[no-untyped-def]
    await _admin(client)
    assert (await post_form(client, "/admin/membership/levels", LEVEL)).status_code == 303
    silver = {**LEVEL, "rank": "2", "name_zh": "银", "name_en": "Silver", "growth_threshold": "500"}
    assert (await post_form(client, "/admin/membership/levels", silver)).status_code == 303
    bad = {**LEVEL, "rank": "3", "name_zh": "金", "name_en": "Gold", "growth_threshold": "400"}
    r = await post_form(client, "/admin/membership/levels", bad)
    assert r.status_code == 422
    assert "A higher rank must need more growth" in r.text and 'value="400"' in r.text
    r = await post_form(client, "/admin/membership/levels", {**bad, "growth_threshold": "500"})
    assert r.status_code == 422
    r = await post_form(client, "/admin/membership/levels", {**bad, "rank": "2", "growth_threshold": "900"})
    assert r.status_code == 422 and "Another level has this rank" in r.text
    r = await post_form(
        client, "/admin/membership/levels", {**bad, "growth_threshold": "2000", "extra_discount_pct": "101"}
    )
    assert r.status_code == 422 and "0 to 100 percent" in r.text
    rows = await fetch("SELECT rank, growth_threshold FROM member_level ORDER BY rank")
    assert [(r["rank"], r["growth_threshold"]) for r in rows] == [(1, 0), (2, 500)]
    audit = await fetch("SELECT action FROM audit_log WHERE target_type = 'member_level'")
    assert [a["action"] for a in audit] == ["member_level.create", "member_level.create"]


async def test_mall_items_refuse_negative_costs_and_stock(client) -> None:  # type: ignore[no-untyped-def]
    await _admin(client)
    form = {
        "title": "帆布袋",
        "kind": "gift",
        "cost_points": "-5",
        "stock": "-1",
        "per_user_limit": "0",
        "active": "on",
    }
    r = await post_form(client, "/admin/membership/items", form)
    assert r.status_code == 422
    assert "1 point or more" in r.text and "stock of 0 or more" in r.text and "limit of 1 or more" in r.text
    assert await fetchrow("SELECT id FROM points_mall_item") is None
    r = await post_form(
        client, "/admin/membership/items", {**form, "cost_points": "800", "stock": "3", "per_user_limit": "1"}
    )
    assert r.status_code == 303
    item = await fetchrow("SELECT id FROM points_mall_item")
    assert item
    r = await post_form(client, f"/admin/membership/items/{item['id']}/active", {"active": "0"})
    assert r.status_code == 303 and (await mall.get_item(item["id"])).active is False
    actions = await fetch("SELECT action FROM audit_log WHERE target_type = 'points_mall_item' ORDER BY id")
    assert [a["action"] for a in actions] == ["points_mall_item.create", "points_mall_item.pause"]


async def test_points_settings_are_validated_and_audited(client) -> None:  # type: ignore[no-untyped-def]
    await _admin(client)
    good = {
        "points_per_yuan": "100",
        "max_use_pct": "20",
        "earn_per_yuan": "1",
        "checkin_points": "5",
        "review_photo_points": "20",
        "birthday_points": "200",
        "enabled": "on",
    }
    r = await post_form(client, "/admin/membership/settings", {**good, "max_use_pct": "120", "points_per_yuan": "0"})
    assert r.status_code == 422 and "0 to 100 percent" in r.text and 'value="120"' in r.text
    r = await post_form(client, "/admin/membership/settings", {**good, "checkin_points": "8"})
    assert r.status_code == 303
    row = await fetchrow("SELECT checkin_points, enabled FROM points_settings")
    assert row and (row["checkin_points"], row["enabled"]) == (8, True)
    assert await fetchrow("SELECT id FROM audit_log WHERE action = 'points_settings.update'")


async def test_admin_looks_up_a_member_and_adjusts_with_a_reason(client) -> None:  # type: ignore[no-untyped-def]
    buyer = await make_user(email="member@example.com")
    await give(buyer.id, 100)
    await _admin(client)
    r = await client.get("/admin/membership/members?q=member@example.com")
    assert r.status_code == 303 and r.headers["location"] == f"/admin/membership/members/{buyer.id}"
    page = await client.get(f"/admin/membership/members/{buyer.id}")
    assert 'id="member-balance">100<' in page.text
    url = f"/admin/membership/members/{buyer.id}/adjust"
    r = await post_form(client, url, {"delta": "50", "note": ""})
    assert r.status_code == 422 and "Say why" in r.text
    r = await post_form(client, url, {"delta": "-500", "note": "错误发放"})
    assert r.status_code == 422 and "more than the member" in r.text
    r = await post_form(client, url, {"delta": "-40", "note": "错误发放"})
    assert r.status_code == 303
    assert await ledger.balance(buyer.id) == 60
    audit = await fetchrow("SELECT target_id, after FROM audit_log WHERE action = 'points.adjust'")
    assert audit and audit["target_id"] == str(buyer.id) and "错误发放" in audit["after"]
    assert "No user matches" in (await client.get("/admin/membership/members?q=nobody@example.com")).text


async def test_editing_a_level_keeps_thresholds_in_order_and_is_audited(client) -> None:  # type: ignore[no-untyped-def]
    await load_membership_demo()
    await _admin(client)
    gold = await fetchrow("SELECT id FROM member_level WHERE rank = 3")
    assert gold
    page = await client.get(f"/admin/membership/levels/{gold['id']}")
    assert page.status_code == 200 and 'value="金卡"' in page.text
    form = {**LEVEL, "rank": "3", "name_zh": "黄金", "name_en": "Gold", "growth_threshold": "12000"}
    r = await post_form(client, f"/admin/membership/levels/{gold['id']}", form)
    assert r.status_code == 422  # above 钻石's 10000
    r = await post_form(client, f"/admin/membership/levels/{gold['id']}", {**form, "growth_threshold": "3000"})
    assert r.status_code == 303
    row = await fetchrow("SELECT name_zh, growth_threshold FROM member_level WHERE id = {}", gold["id"])
    assert row and (row["name_zh"], row["growth_threshold"]) == ("黄金", 3000)
    audit = await fetchrow("SELECT before, after FROM audit_log WHERE action = 'member_level.update'")
    assert audit and "金卡" in audit["before"] and "黄金" in audit["after"]
    assert (await client.get("/admin/membership/levels/9999")).status_code == 404


async def test_visitors_see_the_mall_but_sign_in_for_points(client) -> None:  # type: ignore[no-untyped-def]
    item_id = await _gift()
    page = await client.get("/points-mall", headers={"Accept-Language": "en"})
    assert page.status_code == 200 and "帆布袋" in page.text and "to see your points and redeem" in page.text
    assert "private" in page.headers.get("cache-control", "")
    for url in ("/me/member", "/me/points"):
        r = await client.get(url)
        assert r.status_code in (302, 303) and "/login" in r.headers["location"]
    r = await post_form(client, f"/points-mall/{item_id}/redeem")
    assert r.status_code in (302, 303, 401, 403) and (await mall.get_item(item_id)).stock == 2
    r = await client.get("/admin/membership/")
    assert r.status_code in (302, 303) and "/login" in r.headers["location"]
