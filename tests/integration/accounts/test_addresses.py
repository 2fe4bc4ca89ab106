"""The address book under "me": CRUD over HTTP, the default rules, the cap, bad input kept in the form, another
user's address is 404, the region selects' fragment, the no-JavaScript region step and ?next= back to checkout."""

from __future__ import annotations

import asyncio
import re

import pytest

from app.accounts import addresses
from app.accounts.tables import Address
from app.core.errors import DomainError, NotFound
from tests.factories import login, make_user, post_form

EN = {"Accept-Language": "en"}
SHANGHAI = {
    "receiver": "张三",
    "mobile": "13800138000",
    "province": "310000",
    "city": "310100",
    "district": "310115",
    "detail": "世纪大道 100 号",
}
BEIJING = {
    "receiver": "李四",
    "mobile": "13900139000",
    "province": "110000",
    "city": "110100",
    "district": "110105",
    "detail": "建国路 88 号",
    "tag": "company",
}


async def _add(user_id: int, **values) -> int:  # type: ignore[no-untyped-def]
    return await addresses.create_address(user_id=user_id, **{**SHANGHAI, **values})


async def _defaults(user_id: int) -> list[int]:
    rows = await Address.select(Address.id).where((Address.user == user_id) & (Address.is_default.eq(True)))
    return [r["id"] for r in rows]


async def test_adding_an_address_over_http_saves_it_and_the_first_becomes_the_default(client):
    user = await make_user()
    await login(client, user)
    response = await post_form(client, "/me/addresses/new", {**SHANGHAI, "mobile": "138 0013 8000", "tag": "home"})
    assert response.status_code == 303 and response.headers["location"] == "/me/addresses"
    row = await Address.select().where(Address.user == user.id).first()
    assert row["receiver"] == "张三" and row["mobile"] == "13800138000" and row["tag"] == "home"
    assert (row["province"], row["city"], row["district"]) == ("310000", "310100", "310115")
    assert row["is_default"] is True

    page = await client.get("/me/addresses")
    assert page.status_code == 200
    assert "上海市 浦东新区 世纪大道 100 号" in page.text
    assert "138****8000" in page.text
    assert 'class="tag">默认<' in page.text or "Default" in page.text


async def test_the_default_moves_and_deleting_it_promotes_the_newest(client):
    user = await make_user()
    first = await _add(user.id)
    second = await _add(user.id, **BEIJING)
    third = await _add(user.id, receiver="王五")
    assert await _defaults(user.id) == [first]

    await login(client, user)
    assert (await post_form(client, f"/me/addresses/{second}/default")).status_code == 303
    assert await _defaults(user.id) == [second]
    listed = await addresses.list_addresses(user_id=user.id)
    assert [a.id for a in listed] == [second, third, first]  # default first, then newest

    assert (await post_form(client, f"/me/addresses/{second}/delete")).status_code == 303
    assert await _defaults(user.id) == [third]  # the newest left
    await addresses.delete_address(user_id=user.id, address_id=first)
    await addresses.delete_address(user_id=user.id, address_id=third)
    assert await addresses.list_addresses(user_id=user.id) == []
    assert await addresses.default_address(user_id=user.id) is None


async def test_a_new_address_can_be_made_the_default_and_unticking_never_leaves_none(client):
    user = await make_user()
    first = await _add(user.id)
    second = await _add(user.id, is_default=True)
    assert await _defaults(user.id) == [second]
    await addresses.update_address(user_id=user.id, address_id=second, **SHANGHAI, is_default=False)
    assert await _defaults(user.id) == [second]  # the default is moved, never removed
    await addresses.update_address(user_id=user.id, address_id=first, **BEIJING, is_default=True)
    assert await _defaults(user.id) == [first]
    assert (await addresses.default_address(user_id=user.id)).detail == "建国路 88 号"


async def test_concurrent_make_default_calls_leave_exactly_one_default():
    user = await make_user()
    ids = [await _add(user.id, receiver=f"收件人{i}") for i in range(6)]
    await asyncio.gather(*(addresses.set_default(user_id=user.id, address_id=i) for i in ids))
    assert len(await _defaults(user.id)) == 1


async def test_editing_an_address_over_http_changes_it(client):
    user = await make_user()
    address_id = await _add(user.id)
    await login(client, user)
    form = await client.get(f"/me/addresses/{address_id}/edit")
    assert form.status_code == 200 and 'value="张三"' in form.text
    assert re.search(r'<option value="310115" selected>', form.text)
    response = await post_form(client, f"/me/addresses/{address_id}/edit", BEIJING)
    assert response.status_code == 303
    a = await addresses.get_address(user_id=user.id, address_id=address_id)
    assert (a.receiver, a.city_code, a.district_code, a.tag, a.is_default) == (
        "李四",
        "110100",
        "110105",
        "company",
        True,
    )
    assert a.full == "北京市 朝阳区 建国路 88 号"


async def test_another_users_address_is_not_found_everywhere(client):
    owner, other = await make_user(), await make_user()
    theirs = await _add(owner.id)
    await login(client, other)
    assert (await client.get(f"/me/addresses/{theirs}/edit")).status_code == 404
    assert (await post_form(client, f"/me/addresses/{theirs}/edit", BEIJING)).status_code == 404
    assert (await post_form(client, f"/me/addresses/{theirs}/default")).status_code == 404
    assert (await post_form(client, f"/me/addresses/{theirs}/delete")).status_code == 404
    with pytest.raises(NotFound):
        await addresses.address_snapshot(user_id=other.id, address_id=theirs)
    row = await Address.select().where(Address.id == theirs).first()
    assert row["receiver"] == "张三" and row["is_default"] is True


async def test_the_address_book_needs_a_login(client):
    response = await client.get("/me/addresses")
    assert response.status_code in (302, 303) and "/login" in response.headers["location"]


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"mobile": "12345678901"}, "mobile", "Enter a valid mainland mobile number: 11 digits starting with 1."),
        ({"district": "110101"}, "district", "This district is not in the chosen city. Choose the district again."),
        ({"receiver": "长" * 21}, "receiver", "The receiver's name can have at most 20 characters."),
        ({"detail": "号" * 121}, "detail", "The detailed address can have at most 120 characters."),
        ({"city": "440300"}, "city", "This city is not in the chosen province. Choose the city again."),
    ],
)
async def test_bad_input_is_refused_with_a_clear_message_and_the_form_keeps_what_was_typed(
    client, change, field, message
):
    user = await make_user()
    await login(client, user)
    typed = {**SHANGHAI, "detail": "世纪大道 1 号 请放门口", **change}
    response = await post_form(client, "/me/addresses/new", typed, headers=EN)
    assert response.status_code == 422
    assert message in response.text.replace("&#39;", "'")
    assert f'id="e-{field}"' in response.text
    if field != "receiver":
        assert f'value="{typed["receiver"]}"' in response.text
    if field != "detail":
        assert typed["detail"] in response.text
    if field != "mobile":
        assert f'value="{typed["mobile"]}"' in response.text
    assert await Address.count().where(Address.user == user.id) == 0


async def test_at_most_20_addresses(client):
    user = await make_user()
    for i in range(addresses.MAX_ADDRESSES):
        await _add(user.id, receiver=f"收件人{i}")
    with pytest.raises(DomainError) as caught:
        await _add(user.id)
    assert caught.value.message == addresses.TOO_MANY
    await login(client, user)
    response = await post_form(client, "/me/addresses/new", SHANGHAI, headers=EN)
    assert response.status_code == 422 and "at most 20 addresses" in response.text
    assert await Address.count().where(Address.user == user.id) == addresses.MAX_ADDRESSES


async def test_the_snapshot_keeps_codes_names_and_one_line(client):
    user = await make_user()
    address_id = await _add(user.id)
    snap = await addresses.address_snapshot(user_id=user.id, address_id=address_id)
    assert snap == {
        "receiver": "张三",
        "mobile": "13800138000",
        "province_code": "310000",
        "province": "上海市",
        "city_code": "310100",
        "city": "上海市",
        "district_code": "310115",
        "district": "浦东新区",
        "detail": "世纪大道 100 号",
        "full": "上海市 浦东新区 世纪大道 100 号",
    }


async def test_the_children_fragment_lists_a_provinces_cities_and_a_citys_districts(client):
    cities = await client.get("/regions/440000/children?field=city")
    assert cities.status_code == 200
    assert '<select id="f-city" name="city"' in cities.text
    assert '<option value="440300">深圳市</option>' in cities.text
    assert 'hx-get="/regions/children?field=district"' in cities.text
    assert 'id="region-district" hx-swap-oob="true"' in cities.text  # the district select is emptied
    # what htmx sends: the changed select's own value
    districts = await client.get("/regions/children?field=district&city=440300")
    assert '<option value="440305">南山区</option>' in districts.text
    assert "110101" not in districts.text
    en = await client.get("/regions/110000/children?field=city", headers=EN)
    assert '<option value="110100">Beijing</option>' in en.text
    towns = await client.get("/regions/441900/children?field=district", headers=EN)
    assert '<option value="441900003">东城街道</option>' in towns.text  # 东莞: towns and streets
    assert (await client.get("/regions/440000/children?field=street")).status_code == 404


async def test_without_javascript_the_region_step_fills_the_next_select_and_keeps_everything(client):
    user = await make_user()
    await login(client, user)
    typed = {
        "receiver": "赵六",
        "mobile": "13700137000",
        "province": "440000",
        "detail": "科技园 1 栋",
        "tag": "company",
    }
    step = await post_form(client, "/me/addresses/new", {**typed, "action": "regions"})
    assert step.status_code == 200
    assert '<option value="440300">深圳市</option>' in step.text
    assert 'value="赵六"' in step.text and 'value="13700137000"' in step.text and "科技园 1 栋" in step.text
    assert 'value="company" checked' in step.text
    step2 = await post_form(client, "/me/addresses/new", {**typed, "city": "440300", "action": "regions"})
    assert '<option value="440305">南山区</option>' in step2.text
    assert await Address.count().where(Address.user == user.id) == 0
    saved = await post_form(client, "/me/addresses/new", {**typed, "city": "440300", "district": "440305"})
    assert saved.status_code == 303


async def test_next_brings_the_buyer_back_to_checkout_and_only_to_a_local_path(client):
    user = await make_user()
    await login(client, user)
    page = await client.get("/me/addresses/new?next=/checkout?from=cart")
    assert 'name="next" value="/checkout?from=cart"' in page.text
    back = await post_form(client, "/me/addresses/new", {**SHANGHAI, "next": "/checkout?from=cart"})
    assert back.status_code == 303 and back.headers["location"] == "/checkout?from=cart"
    evil = await post_form(client, "/me/addresses/new", {**BEIJING, "next": "//evil.example/x"})
    assert evil.headers["location"] == "/me/addresses"
    page = await client.get("/me/addresses/new?next=https://evil.example")
    assert 'name="next"' not in page.text


async def test_the_me_page_links_the_address_book(client):
    user = await make_user()
    await login(client, user)
    assert 'href="/me/addresses"' in (await client.get("/me")).text


async def test_concurrent_adds_stop_at_the_cap_with_one_default():
    user = await make_user()
    results = await asyncio.gather(
        *(_add(user.id, receiver=f"并发{i}") for i in range(addresses.MAX_ADDRESSES + 5)), return_exceptions=True
    )
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(refused) == 5 and all(r.message == addresses.TOO_MANY for r in refused)
    assert await Address.count().where(Address.user == user.id) == addresses.MAX_ADDRESSES
    assert len(await _defaults(user.id)) == 1
