"""The seller center's promotions and the admin's platform campaigns over HTTP: create with a form, bad input kept
with its message, another shop's promotion not found, buyers kept out, every change in the audit log."""

from __future__ import annotations

from app.core.db import fetch, fetchrow
from tests.factories import login, make_user, post_form
from tests.integration.promotions._setup import EN, promotion, shop_with_skus, window
from tests.integration.sellers.helpers import text_of


async def audit_actions(pid: int) -> list[str]:
    rows = await fetch(
        "SELECT action FROM audit_log WHERE target_type = 'promotion' AND target_id = {} ORDER BY id", str(pid)
    )
    return [r["action"] for r in rows]


async def test_a_seller_creates_pauses_resumes_and_ends_a_full_reduction(client) -> None:  # type: ignore[no-untyped-def]
    shop, _skus = await shop_with_skus([10000])
    await login(client, shop.owner)
    page = await client.get("/seller/promotions/new?kind=full_reduction", headers=EN)
    assert page.status_code == 200 and 'name="t1_threshold"' in page.text
    form = {"kind": "full_reduction", "name": "双11满减", "t1_threshold": "199", "t1_off": "20",
            "t2_threshold": "399", "t2_off": "50", "scope": "all", "action": "activate", **window()}  # fmt: skip
    response = await post_form(client, "/seller/promotions/new", form, headers=EN)
    assert response.status_code == 303
    row = await fetchrow("SELECT id, shop, issuer, status, tiers FROM promotion")
    assert (row["shop"], row["issuer"], row["status"]) == (shop.id, "shop", "active")
    assert response.headers["location"] == f"/seller/promotions/{row['id']}"
    listing = text_of((await client.get("/seller/promotions/", headers=EN)).text)
    assert "双11满减" in listing and "Spend ¥199, save ¥20" in listing and "Spend ¥399, save ¥50" in listing

    pid = row["id"]
    for action, status in (("pause", "paused"), ("resume", "active"), ("end", "ended")):
        assert (await post_form(client, f"/seller/promotions/{pid}/{action}", headers=EN)).status_code == 303
        assert (await fetchrow("SELECT status FROM promotion WHERE id = {}", pid))["status"] == status
    refused = await post_form(client, f"/seller/promotions/{pid}/resume", headers=EN, follow_redirects=True)
    assert "This promotion cannot be changed that way now." in refused.text
    assert await audit_actions(pid) == ["promotion.create", "promotion.pause", "promotion.resume", "promotion.end"]
    detail = await client.get(f"/seller/promotions/{pid}", headers=EN)
    assert "Paid orders" in detail.text and 'name="t1_threshold"' not in detail.text  # ended: no more edits


async def test_bad_input_keeps_the_form_with_its_message(client) -> None:  # type: ignore[no-untyped-def]
    shop, (a,) = await shop_with_skus([10000])
    other, (foreign,) = await shop_with_skus([10000])
    await login(client, shop.owner)
    form = {"kind": "full_reduction", "name": "我的满减", "t1_threshold": "100", "t1_off": "100", **window()}
    response = await post_form(client, "/seller/promotions/new", form, headers=EN)
    assert response.status_code == 422
    assert "The amount off must be below its threshold." in response.text
    assert 'value="我的满减"' in response.text and 'name="t1_off" inputmode="decimal" value="100"' in response.text

    bad_window = {**form, "t1_off": "10", "ends_at": form["starts_at"]}
    assert "The end must be after the start." in (await post_form(client, "/seller/promotions/new", bad_window,
                                                                  headers=EN)).text  # fmt: skip
    percent = {"kind": "full_discount", "name": "折", "t1_threshold": "399", "t1_percent": "100", **window()}
    assert "A percentage is between 1 and 99." in (await post_form(client, "/seller/promotions/new", percent,
                                                                   headers=EN)).text  # fmt: skip
    theirs = {"kind": "limited_time", "name": "限时", "skus": f"{foreign} 50", **window()}
    response = await post_form(client, "/seller/promotions/new", theirs, headers=EN)
    assert response.status_code == 422
    assert f"SKU {foreign} is not one of your shop&#39;s SKUs on sale." in response.text
    too_dear = {**theirs, "skus": f"{a} 100"}
    assert (
        f"The price of SKU {a} must be below its price now."
        in (await post_form(client, "/seller/promotions/new", too_dear, headers=EN)).text
    )
    gift = {"kind": "gift", "name": "赠", "skus": f"{a} 1", "gift_sku": str(a), "gift_quantity": "1",
            "gift_stock": "11", **window()}  # fmt: skip
    assert "The gift SKU has only 10 in stock" in (await post_form(client, "/seller/promotions/new", gift,
                                                                   headers=EN)).text  # fmt: skip
    assert (await fetchrow("SELECT count(*) AS n FROM promotion"))["n"] == 0
    assert other.id != shop.id


async def test_another_shops_promotion_is_not_found(client) -> None:  # type: ignore[no-untyped-def]
    mine, _ = await shop_with_skus([10000])
    theirs, (b,) = await shop_with_skus([10000])
    pid = await promotion(theirs, "limited_time", skus=f"{b} 50")
    await login(client, mine.owner)
    assert (await client.get(f"/seller/promotions/{pid}")).status_code == 404
    assert (await post_form(client, f"/seller/promotions/{pid}/pause")).status_code == 404
    edit = {"kind": "limited_time", "name": "x", "skus": f"{b} 40", **window()}
    assert (await post_form(client, f"/seller/promotions/{pid}", edit)).status_code == 404
    assert "limited_time test" not in (await client.get("/seller/promotions/")).text
    assert (await fetchrow("SELECT status FROM promotion WHERE id = {}", pid))["status"] == "active"


async def test_a_seller_edits_a_promotion_and_the_change_is_audited(client) -> None:  # type: ignore[no-untyped-def]
    shop, (a,) = await shop_with_skus([10000])
    pid = await promotion(shop, "limited_time", skus=f"{a} 80")
    await login(client, shop.owner)
    page = await client.get(f"/seller/promotions/{pid}", headers=EN)
    assert f"{a} 80" in page.text
    form = {"kind": "limited_time", "name": "新名字", "skus": f"{a} 75%", **window()}
    assert (await post_form(client, f"/seller/promotions/{pid}", form)).status_code == 303
    sku = await fetchrow("SELECT price_fen, percent FROM promotion_sku WHERE promotion = {}", pid)
    assert (sku["price_fen"], sku["percent"]) == (None, 75)
    audit = await fetchrow("SELECT before, after FROM audit_log WHERE action = 'promotion.update'")
    assert '"price_fen": 8000' in audit["before"] and '"percent": 75' in audit["after"]


async def test_buyers_cannot_reach_seller_or_admin_promotions_and_staff_without_the_permission_neither(
    client,
) -> None:  # type: ignore[no-untyped-def]
    buyer = await make_user()
    await login(client, buyer)
    assert (await client.get("/seller/promotions/")).status_code == 403
    assert (await client.get("/admin/promotions/")).status_code == 403
    assert (await post_form(client, "/admin/promotions/new", {"kind": "full_reduction"})).status_code == 403


async def test_operations_run_a_platform_campaign(client) -> None:  # type: ignore[no-untyped-def]
    ops = await make_user(roles=("operations",))
    await login(client, ops)
    assert (await client.get("/admin/promotions/new?kind=limited_time")).status_code == 200  # only the list
    form = {"kind": "full_reduction", "name": "平台满500减40", "t1_threshold": "500", "t1_off": "40",
            "scope": "products", "scope_ids": "1", **window()}  # fmt: skip
    response = await post_form(client, "/admin/promotions/new", form, headers=EN)
    assert response.status_code == 422 and "Choose what the promotion covers." in response.text
    form["scope"] = "all"
    assert (await post_form(client, "/admin/promotions/new", form)).status_code == 303
    row = await fetchrow("SELECT id, shop, issuer, status FROM promotion")
    assert (row["shop"], row["issuer"], row["status"]) == (None, "platform", "draft")
    assert (await post_form(client, f"/admin/promotions/{row['id']}/activate")).status_code == 303
    assert await audit_actions(row["id"]) == ["promotion.create", "promotion.activate"]
    assert "平台满500减40" in (await client.get("/admin/promotions/?status=active")).text
    seller_shop, _ = await shop_with_skus([1000])
    await login(client, seller_shop.owner)
    assert (await client.get(f"/seller/promotions/{row['id']}")).status_code == 404  # not a shop's
