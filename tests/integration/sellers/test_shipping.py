"""Shipping templates and pickup points in the seller center: saved over HTTP, read by the checkout's functions
as the pricing engine's dataclass, guarded by "shop.settings" (a warehouse clerk gets 403, even calling the
service), another shop's pickup point is 404, bad input keeps what was typed, the demo loads once."""

from __future__ import annotations

import json

import pytest

from app.accounts import addresses
from app.accounts.tables import Address
from app.core.errors import DomainError, Forbidden
from app.core.principal import Actor
from app.moderation.tables import AuditLog
from app.promotions import pricing
from app.sellers import shipping
from app.sellers.shipping_demo import load_shipping_demo
from app.sellers.tables import PickupPoint, ShippingTemplate
from tests.factories import login, make_shop, make_user, post_form
from tests.integration.sellers.helpers import EN, shop_with, text_of

POINT = {
    "name": "静安门店",
    "province": "310000",
    "city": "310100",
    "district": "310106",
    "detail": "南京西路 1266 号",
    "phone": "021-62881234",
    "hours": "每天 9:00-21:00",
}


def owner_actor(shop) -> Actor:  # type: ignore[no-untyped-def]
    return Actor(user_id=shop.owner.id, label="tests")


async def test_the_owner_saves_a_weight_template_and_the_checkout_reads_the_engines_dataclass(client):
    shop = await make_shop(name="江南茶社")
    other = await make_shop()
    await login(client, shop.owner)
    page = await client.get("/seller/shop/shipping", headers=EN)
    assert page.status_code == 200 and "every order from your shop ships free" in page.text
    form = {
        "mode": "weight",
        "flat_fen": "0",
        "first_weight_g": "1",
        "first_fen": "10",
        "extra_weight_g": "1",
        "extra_fen": "5",
        "free_over_fen": "199",
        "excluded": ["650000", "540000"],
    }
    saved = await post_form(client, "/seller/shop/shipping", form)
    assert saved.status_code == 303

    templates = await shipping.shipping_templates([shop.id, other.id])
    assert templates == {
        shop.id: pricing.ShippingTemplate(
            mode="weight",
            flat_fen=0,
            free_over_fen=19900,
            first_weight_g=1000,
            first_fen=1000,
            extra_weight_g=1000,
            extra_fen=500,
            excluded_regions=frozenset({"650000", "540000"}),
        )
    }  # the other shop has no template: absent, free shipping
    assert isinstance(templates[shop.id], pricing.ShippingTemplate)
    line = pricing.Line("x", 1, shop.id, 5000, 1, 2500)
    assert pricing.quote([line], shipping=templates, region="310000").shipping_fen == 1000 + 2 * 500
    assert not pricing.quote([line], shipping=templates, region="650000").deliverable

    audit = await AuditLog.select(AuditLog.after).where(AuditLog.action == "shop.shipping_template").first()
    after = json.loads(audit["after"]) if isinstance(audit["after"], str) else audit["after"]
    assert after["first_fen"] == 1000 and after["excluded_regions"] == ["540000", "650000"]

    shown = text_of((await client.get("/seller/shop/shipping", headers=EN)).text)
    assert "The first 1 kg for ¥10.00, then ¥5.00 for every further 1 kg" in shown
    assert "Free for orders of ¥199.00 or more" in shown
    assert "Not delivered to: Tibet, Xinjiang" in shown


async def test_saving_again_replaces_the_one_template(client):
    shop = await make_shop()
    await login(client, shop.owner)
    await post_form(client, "/seller/shop/shipping", {"mode": "flat", "flat_fen": "8", "free_over_fen": "99"})
    await post_form(client, "/seller/shop/shipping", {"mode": "flat", "flat_fen": "6", "free_over_fen": ""})
    assert await ShippingTemplate.count().where(ShippingTemplate.shop == shop.id) == 1
    template = (await shipping.shipping_templates([shop.id]))[shop.id]
    assert (template.mode, template.flat_fen, template.free_over_fen) == ("flat", 600, None)
    assert await shipping.shipping_templates([]) == {}


async def test_bad_shipping_input_is_refused_and_the_form_keeps_what_was_typed(client):
    shop = await make_shop()
    await login(client, shop.owner)
    response = await post_form(
        client,
        "/seller/shop/shipping",
        {"mode": "weight", "first_weight_g": "heavy", "first_fen": "-3", "extra_weight_g": "1", "extra_fen": "2.5",
         "free_over_fen": "88.8", "excluded": ["650000"]},
        headers=EN,
    )  # fmt: skip
    assert response.status_code == 422
    assert "Enter a weight in kg, such as 1 or 0.5." in response.text
    assert "Enter an amount such as 12.30" in response.text
    assert 'value="heavy"' in response.text and 'value="-3"' in response.text and 'value="88.8"' in response.text
    assert 'value="650000" checked' in response.text and 'value="weight" checked' in response.text
    assert await shipping.shipping_templates([shop.id]) == {}


@pytest.mark.parametrize("role", ["warehouse", "service", "finance"])
async def test_roles_without_shop_settings_get_403_on_pages_and_in_the_service(client, role):
    shop, member = await shop_with(role)
    point = await shipping.add_pickup_point(actor=owner_actor(shop), shop_id=shop.id, **POINT)
    await login(client, member)
    for url in ("/seller/shop/shipping", "/seller/shop/pickup-points", "/seller/shop/pickup-points/new",
                f"/seller/shop/pickup-points/{point}/edit"):  # fmt: skip
        assert (await client.get(url)).status_code == 403, url
    assert (await post_form(client, "/seller/shop/shipping", {"mode": "flat", "flat_fen": "1"})).status_code == 403
    assert (await post_form(client, f"/seller/shop/pickup-points/{point}/deactivate")).status_code == 403
    with pytest.raises(Forbidden):
        await shipping.save_shipping_template(actor=Actor(user_id=member.id), shop_id=shop.id, mode="flat")
    with pytest.raises(Forbidden):
        await shipping.deactivate_pickup_point(actor=Actor(user_id=member.id), shop_id=shop.id, point_id=point)
    assert await shipping.shipping_templates([shop.id]) == {}
    assert (await shipping.pickup_points([shop.id]))[shop.id][0].active


async def test_a_manager_may_edit_delivery_settings(client):
    shop, manager = await shop_with("manager")
    await login(client, manager)
    assert (await post_form(client, "/seller/shop/shipping", {"mode": "flat", "flat_fen": "5"})).status_code == 303
    assert (await shipping.shipping_templates([shop.id]))[shop.id].flat_fen == 500


async def test_pickup_points_are_added_edited_deactivated_and_read_by_the_checkout(client):
    shop = await make_shop()
    await login(client, shop.owner)
    added = await post_form(client, "/seller/shop/pickup-points/new", POINT)
    assert added.status_code == 303 and added.headers["location"] == "/seller/shop/pickup-points"
    point = await PickupPoint.select().where(PickupPoint.shop == shop.id).first()
    assert (point["name"], point["district"], point["phone"], point["active"]) == (
        "静安门店",
        "310106",
        "021-62881234",
        True,
    )

    listed = await client.get("/seller/shop/pickup-points")
    assert "静安门店" in listed.text and "上海市 静安区 南京西路 1266 号" in listed.text

    edited = await post_form(
        client, f"/seller/shop/pickup-points/{point['id']}/edit", {**POINT, "hours": "周末 10:00-18:00"}
    )
    assert edited.status_code == 303
    points = await shipping.pickup_points([shop.id])
    assert [p.hours for p in points[shop.id]] == ["周末 10:00-18:00"]
    assert await shipping.pickup_point_snapshot(shop_id=shop.id, point_id=point["id"]) == {
        "id": point["id"],
        "name": "静安门店",
        "address": "上海市 静安区 南京西路 1266 号",
        "hours": "周末 10:00-18:00",
        "phone": "021-62881234",
    }

    off = await post_form(client, f"/seller/shop/pickup-points/{point['id']}/deactivate")
    assert off.status_code == 303
    assert await shipping.pickup_points([shop.id]) == {}
    assert [p.active for p in (await shipping.pickup_points([shop.id], active_only=False))[shop.id]] == [False]
    assert await shipping.pickup_point_snapshot(shop_id=shop.id, point_id=point["id"]) is None
    assert (await post_form(client, f"/seller/shop/pickup-points/{point['id']}/activate")).status_code == 303
    assert await shipping.pickup_point_snapshot(shop_id=shop.id, point_id=point["id"]) is not None
    actions = {r["action"] for r in await AuditLog.select(AuditLog.action).where(AuditLog.target_id == str(shop.id))}
    assert {"shop.pickup_point_add", "shop.pickup_point_edit", "shop.pickup_point_deactivate",
            "shop.pickup_point_activate"} <= actions  # fmt: skip


async def test_another_shops_pickup_point_is_not_found(client):
    mine, theirs = await make_shop(), await make_shop()
    point = await shipping.add_pickup_point(actor=owner_actor(theirs), shop_id=theirs.id, **POINT)
    await login(client, mine.owner)
    assert (await client.get(f"/seller/shop/pickup-points/{point}/edit")).status_code == 404
    assert (await post_form(client, f"/seller/shop/pickup-points/{point}/edit", POINT)).status_code == 404
    assert (await post_form(client, f"/seller/shop/pickup-points/{point}/deactivate")).status_code == 404
    assert await shipping.pickup_point_snapshot(shop_id=mine.id, point_id=point) is None
    assert (await shipping.pickup_points([theirs.id]))[theirs.id][0].active


async def test_bad_pickup_point_input_keeps_what_was_typed(client):
    shop = await make_shop()
    await login(client, shop.owner)
    typed = {**POINT, "phone": "12345", "district": "110101"}
    response = await post_form(client, "/seller/shop/pickup-points/new", typed, headers=EN)
    assert response.status_code == 422
    assert "Enter a contact number" in response.text
    assert "This district is not in the chosen city." in response.text
    assert (
        'value="静安门店"' in response.text and 'value="12345"' in response.text and "南京西路 1266 号" in response.text
    )
    step = await post_form(client, "/seller/shop/pickup-points/new", {**POINT, "city": "", "action": "regions"})
    assert step.status_code == 200 and '<option value="310100">上海市</option>' in step.text
    assert await PickupPoint.count().where(PickupPoint.shop == shop.id) == 0


async def test_at_most_20_active_pickup_points_per_shop():
    shop = await make_shop()
    ids = [
        await shipping.add_pickup_point(actor=owner_actor(shop), shop_id=shop.id, **{**POINT, "name": f"门店{i}"})
        for i in range(shipping.MAX_PICKUP_POINTS)
    ]
    with pytest.raises(DomainError) as caught:
        await shipping.add_pickup_point(actor=owner_actor(shop), shop_id=shop.id, **POINT)
    assert caught.value.message == shipping.TOO_MANY_POINTS
    await shipping.deactivate_pickup_point(actor=owner_actor(shop), shop_id=shop.id, point_id=ids[0])
    await shipping.add_pickup_point(actor=owner_actor(shop), shop_id=shop.id, **POINT)  # room again
    with pytest.raises(DomainError):
        await shipping.set_pickup_point_active(actor=owner_actor(shop), shop_id=shop.id, point_id=ids[0], active=True)


async def test_the_demo_gives_the_demo_shops_delivery_settings_and_the_buyer_two_addresses_once():
    await make_shop(name="小米优选旗舰店")
    tea = await make_shop(name="江南茶社")
    buyer = await make_user(email="buyer@jishi.test")
    await load_shipping_demo()
    await load_shipping_demo()  # idempotent
    assert await ShippingTemplate.count() == 2
    assert await PickupPoint.count() == 3
    assert await Address.count().where(Address.user == buyer.id) == 2
    tea_template = (await shipping.shipping_templates([tea.id]))[tea.id]
    assert tea_template.mode == "weight" and tea_template.excluded_regions == frozenset({"650000", "540000"})
    default = await addresses.default_address(user_id=buyer.id)
    assert default is not None and default.district == "浦东新区"
