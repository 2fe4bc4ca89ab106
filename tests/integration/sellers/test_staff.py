"""The owner manages the shop's staff at /seller/staff/: invite, change a role, remove; others may not."""

from __future__ import annotations

from app.messaging.tables import Notification
from app.moderation.tables import AuditLog
from app.sellers.tables import ShopStaff
from tests.factories import login, make_shop, make_user, new_phone, post_form
from tests.integration.sellers.helpers import EN, shop_with, text_of


async def _staff(shop_id: int) -> dict[int, str]:
    rows = await ShopStaff.select(ShopStaff.user, ShopStaff.role).where(ShopStaff.shop == shop_id)
    return {r["user"]: r["role"] for r in rows}


async def _staff_id(shop_id: int, user_id: int) -> int:
    row = await ShopStaff.select(ShopStaff.id).where((ShopStaff.shop == shop_id) & (ShopStaff.user == user_id)).first()
    return row["id"]


async def test_owner_invites_an_account_by_email_and_it_is_audited_and_notified(client):
    shop = await make_shop(name="茶舍")
    clerk = await make_user(email="clerk@example.com", name="小李")
    await login(client, shop.owner)
    page = await client.get("/seller/staff/", headers=EN)
    assert page.status_code == 200 and "Invite a staff member" in page.text

    sent = await post_form(client, "/seller/staff/", {"identifier": " Clerk@Example.com ", "role": "warehouse"})
    assert sent.status_code == 303 and sent.headers["location"] == "/seller/staff/"
    assert (await _staff(shop.id))[clerk.id] == "warehouse"
    listing = await client.get("/seller/staff/", headers=EN)
    assert "小李" in listing.text and "clerk@example.com" in listing.text

    audit = await AuditLog.select(AuditLog.after, AuditLog.actor).where(
        (AuditLog.action == "shop.staff_add") & (AuditLog.target_id == str(shop.id)) & (AuditLog.actor == shop.owner.id)
    )
    assert len(audit) == 1 and '"warehouse"' in str(audit[0]["after"]).replace("'", '"')
    note = await Notification.select().where(Notification.user == clerk.id).first()
    assert note["link"] == "/seller/" and "茶舍" in note["params"]


async def test_owner_invites_by_mainland_mobile_number_in_any_usual_spelling(client):
    shop = await make_shop()
    phone = new_phone()
    clerk = await make_user(phone=phone)
    await login(client, shop.owner)
    spelled = f"+86 {phone[:3]} {phone[3:7]} {phone[7:]}"
    sent = await post_form(client, "/seller/staff/", {"identifier": spelled, "role": "finance"})
    assert sent.status_code == 303
    assert (await _staff(shop.id))[clerk.id] == "finance"


async def test_an_unknown_account_is_refused_with_a_clear_message_keeping_the_input(client):
    shop = await make_shop()
    await login(client, shop.owner)
    sent = await post_form(
        client, "/seller/staff/", {"identifier": "nobody@example.com", "role": "service"}, headers=EN
    )
    assert sent.status_code == 422
    assert "No account uses this email or mobile number" in text_of(sent.text)
    assert 'value="nobody@example.com"' in sent.text
    assert len(await _staff(shop.id)) == 1


async def test_inviting_someone_already_on_the_staff_or_a_bad_role_says_so(client):
    clerk = await make_user()
    shop = await make_shop(staff=((clerk, "service"),))
    await login(client, shop.owner)
    again = await post_form(client, "/seller/staff/", {"identifier": clerk.identifier, "role": "manager"}, headers=EN)
    assert again.status_code == 422 and "already works for your shop" in again.text
    owner = await post_form(client, "/seller/staff/", {"identifier": shop.owner.identifier, "role": "manager"})
    assert owner.status_code == 422
    other = await make_user()
    bad = await post_form(client, "/seller/staff/", {"identifier": other.identifier, "role": "owner"}, headers=EN)
    assert bad.status_code == 422 and "Choose a role from the list." in bad.text
    assert (await _staff(shop.id)) == {shop.owner.id: "owner", clerk.id: "service"}


async def test_owner_changes_a_role_and_removes_a_member(client):
    clerk = await make_user()
    shop = await make_shop(staff=((clerk, "service"),))
    await login(client, shop.owner)
    staff_id = await _staff_id(shop.id, clerk.id)

    changed = await post_form(client, f"/seller/staff/{staff_id}/role", {"role": "manager"})
    assert changed.status_code == 303
    assert (await _staff(shop.id))[clerk.id] == "manager"
    assert await AuditLog.exists().where(AuditLog.action == "shop.staff_role")

    removed = await post_form(client, f"/seller/staff/{staff_id}/remove")
    assert removed.status_code == 303
    assert clerk.id not in await _staff(shop.id)
    assert await AuditLog.exists().where(AuditLog.action == "shop.staff_remove")


async def test_the_owner_cannot_be_removed_or_demoted(client):
    shop = await make_shop()
    await login(client, shop.owner)
    owner_row = await _staff_id(shop.id, shop.owner.id)
    removed = await post_form(
        client, f"/seller/staff/{owner_row}/remove", headers={**EN, "Referer": "http://testserver/seller/staff/"}
    )
    assert removed.status_code == 303
    page = await client.get("/seller/staff/", headers=EN)
    assert "cannot be removed" in page.text
    demoted = await post_form(client, f"/seller/staff/{owner_row}/role", {"role": "service"})
    assert demoted.status_code == 303
    assert await _staff(shop.id) == {shop.owner.id: "owner"}


async def test_another_shops_staff_member_is_not_found(client):
    clerk = await make_user()
    other = await make_shop(staff=((clerk, "service"),))
    shop = await make_shop()
    await login(client, shop.owner)
    elsewhere = await _staff_id(other.id, clerk.id)
    assert (await post_form(client, f"/seller/staff/{elsewhere}/remove")).status_code == 404
    assert (await post_form(client, f"/seller/staff/{elsewhere}/role", {"role": "manager"})).status_code == 404
    assert (await _staff(other.id))[clerk.id] == "service"


async def test_staff_who_are_not_the_owner_cannot_reach_the_staff_page(client):
    shop, manager = await shop_with("manager")
    await login(client, manager)
    assert (await client.get("/seller/staff/")).status_code == 403
    stranger = await make_user()
    sent = await post_form(client, "/seller/staff/", {"identifier": stranger.identifier, "role": "manager"})
    assert sent.status_code == 403
    assert stranger.id not in await _staff(shop.id)


async def test_someone_working_for_two_shops_switches_between_them(client):
    clerk = await make_user()
    first = await make_shop(name="第一店", staff=((clerk, "finance"),))
    second = await make_shop(name="第二店", staff=((clerk, "warehouse"),))
    await login(client, clerk)
    home = await client.get("/seller/", headers=EN)
    assert "第一店" in home.text and "Finance" in home.text
    switched = await post_form(client, "/seller/switch-shop", {"shop_id": str(second.id)})
    assert switched.status_code == 303
    home = await client.get("/seller/", headers=EN)
    assert '<h1 class="page-title">第二店</h1>' in home.text and "Warehouse" in home.text
    # a shop they do not work for is ignored
    stranger = await make_shop(name="别人的店")
    await post_form(client, "/seller/switch-shop", {"shop_id": str(stranger.id)})
    assert "别人的店" not in (await client.get("/seller/")).text
    assert first.id != second.id
