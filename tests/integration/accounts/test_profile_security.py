from app.accounts.tables import User
from tests.factories import PASSWORD, login, make_user, post_form

EN = {"Accept-Language": "en"}


async def test_log_out_everywhere_ends_every_session(client, new_client):
    user = await make_user()
    await login(client, user)
    async with new_client() as phone:
        await login(phone, user)
        assert (await phone.get("/me/profile")).status_code == 200
        r = await post_form(client, "/me/logout-everywhere")
        assert r.status_code == 303 and r.headers["location"] == "/login"
        assert (await phone.get("/me/profile")).status_code == 303  # back to login
    assert (await client.get("/me/profile")).status_code == 303


async def test_changing_the_password_keeps_this_session_and_ends_the_others(client, new_client):
    user = await make_user()
    await login(client, user)
    async with new_client() as other:
        await login(other, user)
        r = await post_form(
            client, "/me/password", {"current": PASSWORD, "new": "a-new-pass-123", "confirm": "a-new-pass-123"}
        )
        assert r.status_code == 303
        assert (await client.get("/me/profile")).status_code == 200
        assert (await other.get("/me/profile")).status_code == 303
    await post_form(client, "/logout")
    await login(client, user, password="a-new-pass-123")


async def test_change_password_with_a_wrong_current_password_says_so(client):
    user = await make_user()
    await login(client, user)
    r = await post_form(
        client,
        "/me/password",
        {"current": "not-it-at-all", "new": "a-new-pass-123", "confirm": "a-new-pass-124"},
        headers=EN,
    )
    assert r.status_code == 422
    assert "Your current password is not correct." in r.text


async def test_profile_saves_nickname_and_language(client):
    user = await make_user()
    await login(client, user)
    r = await post_form(client, "/me/profile", {"display_name": "Lily", "locale": "en"})
    assert r.status_code == 303
    row = await User.select(User.display_name, User.locale).where(User.id == user.id).first()
    assert row == {"display_name": "Lily", "locale": "en"}
    page = await client.get("/me", headers={"Accept-Language": "zh-CN"})
    assert "Profile and language" in page.text  # the account's setting beats the browser


async def test_profile_rejects_an_empty_nickname(client):
    user = await make_user()
    await login(client, user)
    r = await post_form(client, "/me/profile", {"display_name": "  ", "locale": ""}, headers=EN)
    assert r.status_code == 422 and "Enter a nickname." in r.text
