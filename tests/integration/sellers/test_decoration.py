"""Shop decoration (店铺装修): edits go to a draft that the preview shows and shoppers do not; publishing makes
it the shop page's. Sections (店铺分类) group the shop's own products into tabs. Other shops' ids: 404."""

from __future__ import annotations

import io
import json

from PIL import Image

from app.moderation.tables import AuditLog
from app.sellers.tables import ProductShopSection, Shop, ShopSection
from tests.factories import login, make_product, make_shop, post_form
from tests.integration.sellers.helpers import EN, shop_with, text_of


def png(width: int = 300, height: int = 100) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), (200, 30, 40)).save(buf, "PNG")
    return buf.getvalue()


async def _upload(client, kind: str, data: bytes, name: str = "logo.png"):  # type: ignore[no-untyped-def]
    token = client.cookies.get("csrftoken") or (await client.get("/login")).cookies["csrftoken"]
    return await client.post(
        f"/seller/shop/images/{kind}",
        data={"_csrf_token": token},
        files={"image": (name, data, "image/png")},
        headers=EN,
    )


async def test_shoppers_see_only_what_was_published_and_the_preview_shows_the_draft(client, new_client):
    shop = await make_shop(name="江南茶社")
    await make_product(shop=shop, title="明前龙井")
    await login(client, shop.owner)
    saved = await post_form(client, "/seller/shop/texts", {"notice": "春茶上新，满99包邮", "description": "百年茶号"})
    assert saved.status_code == 303

    async with new_client() as shopper:
        page = await shopper.get(f"/s/{shop.id}", headers=EN)
        assert page.status_code == 200 and "春茶上新" not in page.text
        preview = await client.get("/seller/shop/preview", headers=EN)
        assert preview.status_code == 200 and preview.headers["content-type"].startswith("text/html")
        assert "春茶上新，满99包邮" in preview.text and "百年茶号" in preview.text
        assert "Shoppers will see it once you publish it." in preview.text and "明前龙井" in preview.text
        assert (await shopper.get("/seller/shop/preview")).status_code in (303, 401)  # not for shoppers

        published = await post_form(client, "/seller/shop/publish")
        assert published.status_code == 303
        page = await shopper.get(f"/s/{shop.id}", headers=EN)
        assert "春茶上新，满99包邮" in page.text and "百年茶号" in page.text and "once you publish" not in page.text

        # the next draft edit is again invisible until published
        await post_form(client, "/seller/shop/texts", {"notice": "国庆休息三天", "description": "百年茶号"})
        page = await shopper.get(f"/s/{shop.id}", headers=EN)
        assert "春茶上新" in page.text and "国庆休息三天" not in page.text
    row = await Shop.select(Shop.notice, Shop.description).where(Shop.id == shop.id).first()
    assert row == {"notice": "春茶上新，满99包邮", "description": "百年茶号"}
    audit = await AuditLog.select(AuditLog.actor).where(AuditLog.action == "shop.decoration_publish")
    assert audit == [{"actor": shop.owner.id}]


async def test_a_notice_longer_than_allowed_is_refused_keeping_what_was_typed(client):
    shop = await make_shop()
    await login(client, shop.owner)
    sent = await post_form(client, "/seller/shop/texts", {"notice": "公" * 201, "description": "保留我"}, headers=EN)
    assert sent.status_code == 422
    assert "at most 200 characters" in sent.text and "保留我" in sent.text


async def test_logo_upload_re_encodes_an_image_and_refuses_anything_else_clearly(client, new_client):
    shop = await make_shop()
    await login(client, shop.owner)
    bad = await _upload(client, "logo", b"<?php echo 'hi'; ?>", name="logo.png")
    assert bad.status_code == 422
    assert "This file is not an image we can read. Use a JPEG, PNG or WebP photo." in bad.text

    good = await _upload(client, "banner", png(900, 300), name="banner.png")
    assert good.status_code == 303
    draft = json.loads((await Shop.select(Shop.decoration_draft).where(Shop.id == shop.id).first())["decoration_draft"])
    assert draft["banner"]["width"] == 900 and draft["banner"]["key"].startswith("s/")
    await post_form(client, "/seller/shop/publish")
    row = await Shop.select(Shop.banner_key).where(Shop.id == shop.id).first()
    assert row["banner_key"] == draft["banner"]["key"]
    async with new_client() as shopper:
        page = await shopper.get(f"/s/{shop.id}")
        assert 'class="shopbanner' in page.text and draft["banner"]["key"] in page.text


async def test_sections_become_tabs_that_filter_the_shop_page(client, new_client):
    shop = await make_shop()
    tea = await make_product(shop=shop, title="西湖龙井")
    cup = await make_product(shop=shop, title="青瓷茶杯")
    await login(client, shop.owner)
    assert (await post_form(client, "/seller/shop/sections", {"name": "绿茶"})).status_code == 303
    assert (await post_form(client, "/seller/shop/sections", {"name": "茶具"})).status_code == 303
    dup = await post_form(client, "/seller/shop/sections", {"name": "绿茶"}, headers=EN)
    assert dup.status_code == 422 and "already has a category with this name" in dup.text
    green = (await ShopSection.select(ShopSection.id).where(ShopSection.name == "绿茶").first())["id"]
    ware = (await ShopSection.select(ShopSection.id).where(ShopSection.name == "茶具").first())["id"]

    picker = await client.get(f"/seller/shop/sections/{green}", headers=EN)
    assert "西湖龙井" in picker.text and "青瓷茶杯" in picker.text
    sent = await post_form(
        client, f"/seller/shop/sections/{green}/products", {"shown": [str(tea), str(cup)], "product": [str(tea)]}
    )
    assert sent.status_code == 303
    assert [r["product"] for r in await ProductShopSection.select().where(ProductShopSection.section == green)] == [tea]
    # reorder: 茶具 first
    await post_form(client, f"/seller/shop/sections/{ware}/move", {"direction": "up"})
    await post_form(client, f"/seller/shop/sections/{ware}/rename", {"name": "精品茶具"})
    await post_form(client, "/seller/shop/publish")

    async with new_client() as shopper:
        page = await shopper.get(f"/s/{shop.id}", headers=EN)
        tabs = page.text[page.text.index('class="tabs shoptabs"') :]
        assert tabs.index("精品茶具") < tabs.index("绿茶")
        tab = await shopper.get(f"/s/{shop.id}/t/{green}", headers=EN)
        assert tab.status_code == 200
        results = tab.text[tab.text.index('id="results"') :]
        assert "西湖龙井" in results and "青瓷茶杯" not in results
        assert "1 product" in text_of(results)
        # the follow button and the search inside the shop are still there
        assert f'action="/s/{shop.id}/t/{green}"' in tab.text and "Follow" in tab.text
        assert (await shopper.get(f"/s/{shop.id}/t/999999")).status_code == 404

    # deleting a section removes its tab at once
    await post_form(client, f"/seller/shop/sections/{green}/delete")
    async with new_client() as shopper:
        assert (await shopper.get(f"/s/{shop.id}/t/{green}")).status_code == 404
        assert "绿茶" not in (await shopper.get(f"/s/{shop.id}")).text


async def test_another_shops_products_and_sections_are_not_found(client):
    shop = await make_shop()
    mine = await make_product(shop=shop, title="我的商品")
    other = await make_shop()
    theirs = await make_product(shop=other, title="别人的商品")
    await login(client, shop.owner)
    await post_form(client, "/seller/shop/sections", {"name": "分类"})
    section = (await ShopSection.select(ShopSection.id).where(ShopSection.shop == shop.id).first())["id"]
    foreign = await post_form(
        client,
        f"/seller/shop/sections/{section}/products",
        {"shown": [str(mine), str(theirs)], "product": [str(theirs)]},
    )
    assert foreign.status_code == 404
    assert not await ProductShopSection.exists().where(ProductShopSection.section == section)
    assert "别人的商品" not in (await client.get(f"/seller/shop/sections/{section}")).text

    other_section = (await ShopSection.insert(ShopSection(shop=other.id, name="他们的")).returning(ShopSection.id))[0][
        "id"
    ]
    assert (await client.get(f"/seller/shop/sections/{other_section}")).status_code == 404
    assert (await post_form(client, f"/seller/shop/sections/{other_section}/rename", {"name": "x"})).status_code == 404
    assert (await post_form(client, f"/seller/shop/sections/{other_section}/delete")).status_code == 404
    assert await ShopSection.exists().where(ShopSection.id == other_section)

    featured = await post_form(client, "/seller/shop/featured", {"shown": [str(theirs)], "product": [str(theirs)]})
    assert featured.status_code == 404


async def test_featured_products_show_first_on_the_shop_page(client, new_client):
    shop = await make_shop()
    first = await make_product(shop=shop, title="主推茶礼盒", sales=1)
    await make_product(shop=shop, title="普通茶叶", sales=50)
    hidden = await make_product(shop=shop, title="草稿商品", status="draft")
    await login(client, shop.owner)
    picker = await client.get("/seller/shop/featured")
    assert "主推茶礼盒" in picker.text and "草稿商品" not in picker.text  # only products on sale
    assert (
        await post_form(client, "/seller/shop/featured", {"shown": [str(hidden)], "product": [str(hidden)]})
    ).status_code == 404
    sent = await post_form(client, "/seller/shop/featured", {"shown": [str(first)], "product": [str(first)]})
    assert sent.status_code == 303
    await post_form(client, "/seller/shop/publish")
    async with new_client() as shopper:
        page = await shopper.get(f"/s/{shop.id}", headers=EN)
        featured = page.text[page.text.index("shopfeatured") : page.text.index('id="results"')]
        assert "主推茶礼盒" in featured and "普通茶叶" not in featured


async def test_staff_without_shop_settings_cannot_decorate(client):
    _shop, clerk = await shop_with("warehouse")
    await login(client, clerk)
    assert (await client.get("/seller/shop/")).status_code == 403
    assert (await post_form(client, "/seller/shop/texts", {"notice": "x"})).status_code == 403
    assert (await post_form(client, "/seller/shop/publish")).status_code == 403
