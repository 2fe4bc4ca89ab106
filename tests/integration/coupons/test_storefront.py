"""The coupon centre, the claim button with and without htmx, redeem codes, the product/shop fragments and the
wallet under "me"."""

from __future__ import annotations

from datetime import timedelta

from app.core.db import fetch, fetchrow
from tests.factories import login, make_category, make_product, make_shop, make_user, post_form
from tests.integration.coupons._helpers import make_template

HX = {"HX-Request": "true"}


async def test_the_centre_lists_platform_and_shop_coupons_and_hides_code_and_draft_ones(client) -> None:  # type: ignore[no-untyped-def]
    shop = await make_shop(name="江南茶社")
    await make_template(name="平台满300减30", threshold_fen=30000, amount_fen=3000)
    await make_template(shop_id=shop.id, name="茶社满99减10")
    await make_template(name="草稿券", status="draft")
    await make_template(name="口令券", redeem_code="SECRET")
    await make_template(name="新人红包", welcome_pack=True)
    page = await client.get("/coupons")
    assert page.status_code == 200
    assert "平台满300减30" in page.text and "茶社满99减10" in page.text and "江南茶社" in page.text
    assert "草稿券" not in page.text and "口令券" not in page.text and "新人红包" not in page.text
    assert "/login?next=%2Fcoupons" in page.text  # anonymous: a login link that comes back


async def test_claim_with_htmx_turns_the_button_into_claimed(client) -> None:  # type: ignore[no-untyped-def]
    user = await make_user()
    template = await make_template(name="满99减10")
    await login(client, user)
    response = await post_form(client, f"/coupons/{template}/claim", {"next": "/coupons"}, headers=HX)
    assert response.status_code == 200
    assert "Claimed" in response.text or "已领取" in response.text
    assert f'id="claim-{template}"' in response.text and "<form" not in response.text
    again = await post_form(client, f"/coupons/{template}/claim", {"next": "/coupons"}, headers=HX)
    assert again.status_code == 422
    rows = await fetch('SELECT id FROM user_coupon WHERE "user" = {}', user.id)
    assert len(rows) == 1


async def test_claim_without_js_redirects_back_with_a_flash(client) -> None:  # type: ignore[no-untyped-def]
    user = await make_user(locale="en")
    template = await make_template(total=1)
    other = await make_user()
    from app.coupons.services import claim

    await claim(user_id=other.id, template_id=template)  # the last one is gone
    await login(client, user)
    response = await post_form(client, f"/coupons/{template}/claim", {"next": "/coupons"})
    assert response.status_code == 303 and response.headers["location"] == "/coupons"
    page = await client.get("/coupons", headers={"Accept-Language": "en"})
    assert "all of these coupons have been claimed" in page.text


async def test_an_anonymous_claim_goes_to_login_and_comes_back(client) -> None:  # type: ignore[no-untyped-def]
    template = await make_template()
    response = await post_form(client, f"/coupons/{template}/claim", {"next": "/p/12"})
    assert response.status_code == 303 and response.headers["location"] == "/login?next=%2Fp%2F12"
    hx = await post_form(client, f"/coupons/{template}/claim", {"next": "/coupons"}, headers=HX)
    assert hx.headers["HX-Redirect"] == "/login?next=%2Fcoupons"
    evil = await post_form(client, f"/coupons/{template}/claim", {"next": "//evil.example"})
    assert evil.headers["location"] == "/login?next=%2Fcoupons"


async def test_redeem_code_form_keeps_what_was_typed_on_error(client) -> None:  # type: ignore[no-untyped-def]
    user = await make_user()
    await make_template(name="口令券", redeem_code="JISHI2026")
    await login(client, user)
    wrong = await post_form(client, "/coupons/redeem", {"code": "jishi2025"})
    assert wrong.status_code == 422 and 'value="jishi2025"' in wrong.text
    right = await post_form(client, "/coupons/redeem", {"code": "jishi2026"}, headers=HX)
    assert right.status_code == 200 and "口令券" in right.text
    assert (await fetchrow('SELECT count(*) AS n FROM user_coupon WHERE "user" = {}', user.id))["n"] == 1


async def test_the_product_fragment_shows_coupons_in_scope_only(client) -> None:  # type: ignore[no-untyped-def]
    shop, other_shop = await make_shop(), await make_shop()
    tea = await make_category(name="茶")
    product = await make_product(shop=shop, category=tea)
    await make_template(shop_id=shop.id, name="本店券")
    await make_template(shop_id=other_shop.id, name="别家券")
    await make_template(name="茶类平台券", scope="categories", scope_ids=[tea])
    await make_template(name="别的商品券", scope="products", scope_ids=[product + 1000])
    await make_template(name="本店指定平台券", scope="shops", scope_ids=[shop.id])
    body = (await client.get(f"/coupons/product/{product}", headers=HX)).text
    assert "本店券" in body and "茶类平台券" in body and "本店指定平台券" in body
    assert "别家券" not in body and "别的商品券" not in body
    lonely = await make_product(shop=await make_shop())
    empty = await client.get(f"/coupons/product/{lonely}", headers=HX)
    assert empty.status_code == 200 and empty.text == ""
    shop_body = (await client.get(f"/coupons/shop/{shop.id}", headers=HX)).text
    assert "本店券" in shop_body and "别家券" not in shop_body


async def test_the_signed_in_fragment_is_not_cached_and_shows_the_claim_form(client) -> None:  # type: ignore[no-untyped-def]
    shop = await make_shop()
    product = await make_product(shop=shop)
    template = await make_template(shop_id=shop.id, name="本店券")
    await login(client, await make_user())
    response = await client.get(f"/coupons/product/{product}", headers=HX)
    assert response.headers["cache-control"] == "no-store"
    assert f'action="/coupons/{template}/claim"' in response.text


async def test_the_wallet_shows_unused_used_and_expired_tabs(client) -> None:  # type: ignore[no-untyped-def]
    user = await make_user()
    shop = await make_shop(name="小米优选旗舰店")
    t1 = await make_template(shop_id=shop.id, name="小米满99减10", per_user=3)
    from app.coupons.services import claim

    ids = [(await claim(user_id=user.id, template_id=t1)).user_coupon_id for _ in range(3)]
    await fetch("UPDATE user_coupon SET status = 'used', used_at = now() WHERE id = {}", ids[0])
    await fetch("UPDATE user_coupon SET valid_until = now() - interval '1 day' WHERE id = {}", ids[1])
    await login(client, user)
    unused = await client.get("/me/coupons")
    assert unused.status_code == 200
    assert f'id="coupon-{ids[2]}"' in unused.text and f'id="coupon-{ids[0]}"' not in unused.text
    assert "小米优选旗舰店" in unused.text and "¥10.00" in unused.text and "¥99.00" in unused.text
    used = await client.get("/me/coupons?tab=used", headers=HX)
    assert f'id="coupon-{ids[0]}"' in used.text and "<html" not in used.text
    expired = await client.get("/me/coupons?tab=expired")
    assert f'id="coupon-{ids[1]}"' in expired.text


async def test_the_wallet_needs_a_login(client) -> None:  # type: ignore[no-untyped-def]
    response = await client.get("/me/coupons")
    assert response.status_code == 303 and response.headers["location"].startswith("/login?next=")


async def test_a_not_yet_usable_coupon_says_from_when(client) -> None:  # type: ignore[no-untyped-def]
    from app.core import clock

    user = await make_user()
    now = clock.now()
    await make_template(
        name="下周券", use_days=None, use_start_at=now + timedelta(days=7), use_end_at=now + timedelta(days=14)
    )
    await login(client, user)
    page = await client.get("/coupons")
    assert "下周券" in page.text
