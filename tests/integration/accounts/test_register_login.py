import asyncio

from app.accounts import services
from app.accounts.tables import User
from app.core.errors import ValidationFailed
from app.core.tables import SessionEntry
from tests.factories import PASSWORD, login, make_user, new_phone, post_form

ZH = {"Accept-Language": "zh-CN"}
EN = {"Accept-Language": "en"}


async def test_register_with_a_mobile_number_signs_in_and_greets_by_nickname(client):
    phone = new_phone()
    response = await post_form(
        client,
        "/register",
        {"identifier": phone, "display_name": "小王", "password": PASSWORD, "password_confirm": PASSWORD},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/me"
    me = await client.get("/me", headers=ZH)
    assert "小王" in me.text and phone in me.text
    assert "注册成功" in me.text or "欢迎" in me.text  # the welcome flash, shown once
    assert await User.exists().where(User.phone == phone)


async def test_register_refuses_bad_input_with_messages_and_keeps_what_was_typed(client):
    response = await post_form(
        client,
        "/register",
        {"identifier": "1380013", "display_name": "阿花", "password": "short", "password_confirm": "short"},
        headers=EN,
    )
    assert response.status_code == 422
    assert "Enter a valid mainland mobile number" in response.text
    assert "Use at least 8 characters" in response.text
    assert 'value="1380013"' in response.text and 'value="阿花"' in response.text
    assert 'value="short"' not in response.text  # passwords are never echoed


async def test_register_twice_with_the_same_email_says_it_is_taken(client):
    user = await make_user()
    response = await post_form(
        client,
        "/register",
        {"identifier": user.identifier.upper(), "password": PASSWORD, "password_confirm": PASSWORD},
        headers=EN,
    )
    assert response.status_code == 422
    assert "already registered" in response.text


async def test_concurrent_registrations_of_one_email_create_one_account():
    email = "race@example.com"
    results = await asyncio.gather(
        *[services.register(identifier=email, password=PASSWORD, password_confirm=PASSWORD) for _ in range(8)],
        return_exceptions=True,
    )
    ids = [r for r in results if isinstance(r, int)]
    refused = [r for r in results if isinstance(r, ValidationFailed)]
    assert len(ids) == 1 and len(refused) == 7
    assert await User.count().where(User.email == email) == 1


async def test_wrong_password_shows_a_message_and_keeps_the_identifier(client):
    user = await make_user()
    response = await post_form(
        client, "/login", {"identifier": user.identifier, "password": "wrong-password"}, headers=EN
    )
    assert response.status_code == 422
    assert "Wrong email/mobile number or password." in response.text
    assert f'value="{user.identifier}"' in response.text


async def test_login_redirects_to_next_but_never_off_site(client):
    user = await make_user()
    ok = await post_form(client, "/login", {"identifier": user.identifier, "password": PASSWORD, "next": "/me/profile"})
    assert ok.headers["location"] == "/me/profile"
    await post_form(client, "/logout")
    evil = await post_form(
        client, "/login", {"identifier": user.identifier, "password": PASSWORD, "next": "//evil.example/"}
    )
    assert evil.headers["location"] == "/me"


async def test_sessions_live_in_postgres_and_rotate_at_login(client):
    user = await make_user()
    await client.get("/login")
    await login(client, user)
    sid = client.cookies["sid"]
    assert await SessionEntry.exists().where(SessionEntry.key == sid)
    cookie = next(c for c in client.cookies.jar if c.name == "sid")
    assert cookie.has_nonstandard_attr("HttpOnly")
    await post_form(client, "/logout")
    assert not await SessionEntry.exists().where(SessionEntry.key == sid)
    await login(client, user)
    assert client.cookies["sid"] != sid


async def test_too_many_failed_attempts_lock_the_account_for_a_while(client):
    user = await make_user()
    for _ in range(5):
        r = await post_form(client, "/login", {"identifier": user.identifier, "password": "nope-nope"}, headers=EN)
        assert r.status_code == 422
    blocked = await post_form(client, "/login", {"identifier": user.identifier, "password": PASSWORD}, headers=EN)
    assert blocked.status_code == 429
    assert "Too many failed attempts for this account" in blocked.text


async def test_too_many_attempts_from_one_address_are_refused(client, override_settings):
    override_settings(login_per_ip=3)
    for i in range(3):
        await post_form(client, "/login", {"identifier": f"x{i}@example.com", "password": "whatever1"})
    r = await post_form(client, "/login", {"identifier": "y@example.com", "password": "whatever1"}, headers=EN)
    assert r.status_code == 429
    assert "Too many login attempts from your network" in r.text


async def test_login_rehashes_when_argon2_parameters_change(client):
    from argon2 import PasswordHasher

    user = await make_user()
    old = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(PASSWORD)
    await User.update({User.password_hash: old}).where(User.id == user.id)
    await login(client, user)
    new = (await User.select(User.password_hash).where(User.id == user.id).first())["password_hash"]
    assert new != old and new.startswith("$argon2id$") and "m=8192" in new


async def test_a_banned_user_cannot_log_in_and_loses_open_sessions(client, new_client):
    from app.accounts.services import set_user_status
    from tests.factories import SYSTEM

    user = await make_user()
    await login(client, user)
    await set_user_status(actor=SYSTEM, user_id=user.id, status="banned", reason="spam")
    me = await client.get("/me", headers=EN)
    assert "Log in to see your orders" in me.text  # signed out
    async with new_client() as other:
        r = await post_form(other, "/login", {"identifier": user.identifier, "password": PASSWORD}, headers=EN)
        assert r.status_code == 422 and "suspended" in r.text


async def test_demo_data_loads_once_and_its_logins_work(client):
    from app import demo
    from app.sellers.tables import Shop

    assert await demo.load(products=20, image_pool=0) is True
    assert await demo.load(products=20, image_pool=0) is False  # idempotent
    assert await User.count() == 12 and await Shop.count() == 10
    admin = next(login for login in demo.LOGINS if login.role == "admin")
    r = await post_form(
        client, "/login", {"identifier": admin.identifier, "password": admin.password, "next": "/admin/"}
    )
    assert r.headers["location"] == "/admin/"
    assert (await client.get("/admin/")).status_code == 200
