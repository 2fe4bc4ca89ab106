"""Seller center and admin: create, edit (strict after claims), activate, pause, resume, end; another shop's
template is not found; the roles; every change in the audit log; the statistics from paid orders."""

from __future__ import annotations

import json

from app.core import clock
from app.core.db import fetch, fetchrow
from app.coupons import services
from tests.factories import login, make_product, make_shop, make_user, post_form
from tests.integration.coupons._helpers import make_template
from tests.order_factories import make_order_group

TODAY = clock.now().date()


def form(**overrides: str) -> dict[str, str]:
    data = {
        "name": "满99减10",
        "kind": "threshold",
        "amount": "10",
        "threshold": "99",
        "scope": "all",
        "claim_start": TODAY.isoformat(),
        "claim_end": TODAY.replace(year=TODAY.year + 1).isoformat(),
        "use_mode": "days",
        "use_days": "7",
        "total_quantity": "100",
        "per_user_limit": "1",
    }
    data.update(overrides)
    return data


async def audit(action: str) -> list[dict]:  # type: ignore[type-arg]
    return await fetch("SELECT * FROM audit_log WHERE action = {} ORDER BY id", action)


async def test_a_seller_creates_activates_pauses_resumes_and_ends_a_coupon(client) -> None:  # type: ignore[no-untyped-def]
    shop = await make_shop()
    await login(client, shop.owner)
    created = await post_form(client, "/seller/coupons/", form())
    assert created.status_code == 303
    template_id = int(created.headers["location"].rsplit("/", 1)[1])
    row = await fetchrow("SELECT * FROM coupon_template WHERE id = {}", template_id)
    assert (row["issuer"], row["shop"], row["status"]) == ("shop", shop.id, "draft")
    assert (row["kind"], row["threshold_fen"], row["amount_fen"], row["use_days"]) == ("threshold", 9900, 1000, 7)
    assert len(await audit("coupon.create")) == 1

    for action, status in (("activate", "active"), ("pause", "paused"), ("resume", "active"), ("end", "ended")):
        response = await post_form(client, f"/seller/coupons/{template_id}/{action}")
        assert response.status_code == 303
        assert (await fetchrow("SELECT status FROM coupon_template WHERE id = {}", template_id))["status"] == status
        entries = await audit(f"coupon.{action}")
        after = entries[-1]["after"]
        assert (json.loads(after) if isinstance(after, str) else after)["status"] == status
    illegal = await post_form(client, f"/seller/coupons/{template_id}/resume")
    assert illegal.status_code == 303  # flashed refusal
    assert (await fetchrow("SELECT status FROM coupon_template WHERE id = {}", template_id))["status"] == "ended"
    page = await client.get("/seller/coupons/")
    assert "满99减10" in page.text


async def test_bad_input_gets_field_errors_and_keeps_what_was_typed(client) -> None:  # type: ignore[no-untyped-def]
    shop = await make_shop()
    await login(client, shop.owner)
    response = await post_form(
        client, "/seller/coupons/", form(name="我的券", amount="120", threshold="99", total_quantity="0")
    )
    assert response.status_code == 422
    assert 'value="我的券"' in response.text and 'value="120"' in response.text
    assert "less than the threshold" in response.text or "门槛" in response.text
    assert await fetch("SELECT id FROM coupon_template") == []


async def test_a_seller_cannot_see_or_touch_another_shops_coupon(client) -> None:  # type: ignore[no-untyped-def]
    mine, theirs = await make_shop(), await make_shop()
    their_template = await make_template(shop_id=theirs.id, name="别家券")
    platform = await make_template(name="平台券")
    await login(client, mine.owner)
    for template in (their_template, platform):
        assert (await client.get(f"/seller/coupons/{template}")).status_code == 404
        assert (await post_form(client, f"/seller/coupons/{template}", form())).status_code == 404
        assert (await post_form(client, f"/seller/coupons/{template}/pause")).status_code == 404
    listing = await client.get("/seller/coupons/")
    assert "别家券" not in listing.text and "平台券" not in listing.text
    assert (await fetchrow("SELECT status FROM coupon_template WHERE id = {}", their_template))["status"] == "active"


async def test_staff_without_the_promotions_permission_is_refused(client) -> None:  # type: ignore[no-untyped-def]
    clerk = await make_user()
    await make_shop(staff=((clerk, "service"),))
    await login(client, clerk)
    assert (await client.get("/seller/coupons/")).status_code == 403


async def test_after_claims_only_name_quantity_and_claim_end_may_change(client) -> None:  # type: ignore[no-untyped-def]
    shop = await make_shop()
    await login(client, shop.owner)
    created = await post_form(client, "/seller/coupons/", form(total_quantity="5"))
    template_id = int(created.headers["location"].rsplit("/", 1)[1])
    await post_form(client, f"/seller/coupons/{template_id}/activate")
    for _ in range(3):
        await services.claim(user_id=(await make_user()).id, template_id=template_id)
    refused = await post_form(client, f"/seller/coupons/{template_id}", form(total_quantity="5", amount="20"))
    assert refused.status_code == 422
    row = await fetchrow("SELECT amount_fen, total_quantity FROM coupon_template WHERE id = {}", template_id)
    assert row["amount_fen"] == 1000
    below = await post_form(client, f"/seller/coupons/{template_id}", form(total_quantity="2"))
    assert below.status_code == 422
    ok = await post_form(client, f"/seller/coupons/{template_id}", form(name="满99减10 加量", total_quantity="50"))
    assert ok.status_code == 303
    row = await fetchrow("SELECT name, total_quantity FROM coupon_template WHERE id = {}", template_id)
    assert (row["name"], row["total_quantity"]) == ("满99减10 加量", 50)
    updates = await audit("coupon.update")
    assert len(updates) == 1


async def test_admin_manages_platform_coupons_with_the_welcome_pack_flag(client) -> None:  # type: ignore[no-untyped-def]
    ops = await make_user(roles=("operations",))
    await login(client, ops)
    data = form(name="新人红包", kind="amount_off", amount="10", threshold="", welcome_pack="1")
    created = await post_form(client, "/admin/coupons/", data)
    assert created.status_code == 303
    template_id = int(created.headers["location"].rsplit("/", 1)[1])
    row = await fetchrow("SELECT issuer, shop, welcome_pack FROM coupon_template WHERE id = {}", template_id)
    assert (row["issuer"], row["shop"], row["welcome_pack"]) == ("platform", None, True)
    await post_form(client, f"/admin/coupons/{template_id}/activate")
    newcomer = await make_user()
    assert len(await fetch('SELECT id FROM user_coupon WHERE "user" = {}', newcomer.id)) == 1
    shop_template = await make_template(shop_id=(await make_shop()).id)
    assert (await client.get(f"/admin/coupons/{shop_template}")).status_code == 404


async def test_the_admin_pages_need_operations_or_admin(client) -> None:  # type: ignore[no-untyped-def]
    await login(client, await make_user(roles=("moderator",)))
    assert (await client.get("/admin/coupons/")).status_code == 403


async def test_duplicate_redeem_codes_are_refused_whatever_the_case(client) -> None:  # type: ignore[no-untyped-def]
    await make_template(redeem_code="JISHI2026")
    await login(client, await make_user(roles=("admin",)))
    response = await post_form(client, "/admin/coupons/", form(redeem_code="jishi2026"))
    assert response.status_code == 422
    assert len(await fetch("SELECT id FROM coupon_template")) == 1


async def test_statistics_count_paid_orders_that_used_the_coupon(client) -> None:  # type: ignore[no-untyped-def]
    shop = await make_shop()
    buyer = await make_user()
    product = await make_product(shop=shop, skus=[{"price_fen": 20000, "stock": 10}])
    template = await make_template(shop_id=shop.id, per_user=2)
    uc_paid = (await services.claim(user_id=buyer.id, template_id=template)).user_coupon_id
    uc_unpaid = (await services.claim(user_id=buyer.id, template_id=template)).user_coupon_id
    for uc, status in ((uc_paid, "paid"), (uc_unpaid, "pending_payment")):
        group = await make_order_group(buyer, [(product, 1)], status=status)
        adjustments = [{"reason": "Coupon", "amount_fen": -1000, "bearer": "shop", "source": f"coupon:{uc}"}]
        await fetch(
            'UPDATE order_item SET adjustments = {}::jsonb, paid_fen = 19000 WHERE "order" = {}',
            json.dumps(adjustments),
            group.order_ids[0],
        )
        await fetch(
            "UPDATE user_coupon SET status = 'used', used_group = {}, used_at = now() WHERE id = {}", group.id, uc
        )
    await login(client, shop.owner)
    page = await client.get(f"/seller/coupons/{template}")
    assert page.status_code == 200
    from app.coupons.manage import stats_of

    stats = (await stats_of([template]))[template]
    assert (stats.claimed, stats.used, stats.orders, stats.gmv_fen, stats.cost_fen) == (2, 2, 1, 19000, 1000)
    assert stats.roi == 19.0
    assert "¥190.00" in page.text and "19.00" in page.text


async def test_resaving_the_form_of_a_claimed_coupon_changes_only_what_was_edited(client) -> None:  # type: ignore[no-untyped-def]
    """Windows stored with a time of day (demo data) come back as whole days in the form: not a change."""
    from app.coupons.forms import form_of
    from app.coupons.manage import get_template

    shop = await make_shop()
    template = await make_template(shop_id=shop.id, name="旧名字")
    await services.claim(user_id=(await make_user()).id, template_id=template)
    before = await get_template(shop_id=shop.id, template_id=template)
    await login(client, shop.owner)
    response = await post_form(client, f"/seller/coupons/{template}", {**form_of(before), "name": "新名字"})
    assert response.status_code == 303, response.text[:2000]
    after = await get_template(shop_id=shop.id, template_id=template)
    assert after["name"] == "新名字" and after["claim_start_at"] == before["claim_start_at"]
