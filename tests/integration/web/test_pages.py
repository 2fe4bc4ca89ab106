from litestar import get

from app.core.i18n import translations
from app.main import create_app, wrap
from tests.factories import login, make_user

EN = {"Accept-Language": "en-US,en;q=0.9"}
ZH = {"Accept-Language": "zh-CN,zh;q=0.9"}


async def test_storefront_pages_render_with_the_tab_bar_and_empty_states(client):
    for path, active in (("/", "/"), ("/categories", "/categories"), ("/cart", "/cart"), ("/me", "/me")):
        r = await client.get(path, headers=EN)
        assert r.status_code == 200
        assert 'class="tabbar"' in r.text
        assert f'class="tabbar__item" href="{active}" aria-current="page"' in r.text
    assert "Your cart is empty" in (await client.get("/cart", headers=EN)).text


async def test_404_is_a_real_page_in_both_languages(client):
    en = await client.get("/no/such/page", headers=EN)
    assert en.status_code == 404 and "Page not found" in en.text and 'class="tabbar"' in en.text
    zh = await client.get("/no/such/page", headers=ZH)
    assert zh.status_code == 404 and "页面" in zh.text
    assert "Traceback" not in en.text + zh.text


async def test_404_under_the_admin_uses_the_admin_layout(client):
    admin = await make_user(roles=("admin",))
    await login(client, admin)
    r = await client.get("/admin/no-such-thing", headers=EN)
    assert r.status_code == 404 and "surface-admin" in r.text


async def test_400_for_a_malformed_parameter(client):
    admin = await make_user(roles=("admin",))
    await login(client, admin)
    r = await client.get("/admin/users/?page=abc", headers=EN)
    assert r.status_code == 400 and "Bad request" in r.text and "Traceback" not in r.text


async def test_a_crash_shows_the_500_page_without_a_stack_trace():
    import httpx

    @get("/boom")
    async def boom() -> None:
        raise RuntimeError("secret internals")

    app = create_app(manage_pool=False)
    app.register(boom)
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=wrap(app), raise_app_exceptions=False), base_url="http://testserver"
    ) as c:
        zh_title = translations("zh_CN").ugettext("Something went wrong on our side")
        assert zh_title != "Something went wrong on our side"
        for headers, text in ((EN, "Something went wrong on our side"), (ZH, zh_title)):
            r = await c.get("/boom", headers=headers)
            assert r.status_code == 500
            assert text in r.text
            assert "secret internals" not in r.text and "Traceback" not in r.text


async def test_locale_comes_from_the_account_then_the_cookie_then_the_browser(client):
    assert "Log in" in (await client.get("/login", headers=EN)).text
    assert "登录" in (await client.get("/login", headers=ZH)).text
    r = await client.get("/locale/en?next=/cart", headers=ZH)
    assert r.status_code == 303 and r.headers["location"] == "/cart"
    assert "Your cart is empty" in (await client.get("/cart", headers=ZH)).text  # cookie beats the browser
    user = await make_user(locale="zh_CN")
    await login(client, user)
    assert "购物车" in (await client.get("/cart", headers=EN)).text  # the account beats the cookie


async def test_the_locale_link_refuses_to_redirect_off_site(client):
    r = await client.get("/locale/en?next=https://evil.example/")
    assert r.headers["location"] == "/"


async def test_health_and_readiness(client):
    assert (await client.get("/healthz")).json() == {"status": "ok"}
    assert (await client.get("/readyz")).json() == {"status": "ok"}
