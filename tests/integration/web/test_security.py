import re

from tests.factories import PASSWORD, csrf_token, make_user

PAGES = ["/", "/categories", "/cart", "/me", "/login", "/register", "/no-such-page"]


async def test_a_post_without_the_csrf_token_is_refused_with_a_clear_page(client):
    user = await make_user()
    await client.get("/login")
    r = await client.post(
        "/login", data={"identifier": user.identifier, "password": PASSWORD}, headers={"Accept-Language": "en"}
    )
    assert r.status_code == 403
    assert "This form has expired" in r.text
    assert "sid" not in r.cookies


async def test_a_post_with_a_forged_token_is_refused(client):
    await client.get("/login")
    r = await client.post("/logout", data={"_csrf_token": "0" * 128})
    assert r.status_code == 403


async def test_htmx_sends_the_token_in_a_header(client):
    user = await make_user()
    token = await csrf_token(client)
    r = await client.post(
        "/login", data={"identifier": user.identifier, "password": PASSWORD}, headers={"x-csrftoken": token}
    )
    assert r.status_code == 303


async def test_every_page_has_a_strict_csp_and_no_inline_script_or_style(client):
    for path in PAGES:
        r = await client.get(path)
        csp = r.headers["content-security-policy"]
        assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
        assert "frame-ancestors 'none'" in csp
        assert r.headers["x-content-type-options"] == "nosniff"
        assert r.headers["referrer-policy"] == "strict-origin-when-cross-origin"
        scripts = re.findall(r"<script\b([^>]*)>", r.text)
        # JSON-LD data blocks are never executed; every other script is a file
        assert scripts and all("src=" in a or 'type="application/ld+json"' in a for a in scripts), path
        assert not re.search(r"<style\b", r.text) and not re.search(r"\sstyle=", r.text), path
        assert not re.search(r"\son[a-z]+=", r.text), path  # no inline event handlers


async def test_static_files_are_hashed_cached_forever_and_precompressed(client):
    page = await client.get("/")
    css = re.search(r'href="(/static/css/app\.[0-9a-f]+\.css)"', page.text)
    assert css, "stylesheet URL is content-hashed"
    r = await client.get(css.group(1), headers={"Accept-Encoding": "br, gzip"})
    assert r.status_code == 200
    assert r.headers["content-encoding"] == "br"
    assert "immutable" in r.headers["cache-control"] and "max-age=315360000" in r.headers["cache-control"]
    again = await client.get(css.group(1), headers={"If-None-Match": r.headers["etag"], "Accept-Encoding": "br"})
    assert again.status_code == 304
    js = re.search(r'src="(/static/js/htmx\.min\.[0-9a-f]+\.js)"', page.text)
    assert js and (await client.get(js.group(1))).status_code == 200
