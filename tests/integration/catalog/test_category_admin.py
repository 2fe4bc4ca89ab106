"""Category admin: create children (levels and paths), rename, commission as a percent, visibility, order,
delete only when empty; shop category grants; every change audited; only admin/operations get in."""

from __future__ import annotations

import pytest

from app.catalog.services import category_tree
from app.catalog.tables import Category
from app.moderation.tables import AuditLog
from app.sellers.tables import ShopCategoryGrant
from tests.factories import login, make_category, make_product, make_shop, make_user, post_form

EN = {"Accept-Language": "en"}


async def _cat(cid: int) -> dict:  # type: ignore[type-arg]
    return await Category.select().where(Category.id == cid).first()


@pytest.fixture
async def ops(client):  # type: ignore[no-untyped-def]
    user = await make_user(roles=("operations",))
    await login(client, user)
    return user


async def test_create_a_root_then_a_child_and_a_grandchild_with_paths_and_levels(client, ops):
    r = await post_form(
        client, "/admin/categories/new", {"name_zh": "宠物", "name_en": "Pets", "commission": "6.5", "visible": "1"}
    )
    assert r.status_code == 303
    root = await Category.select().where(Category.name_zh == "宠物").first()
    assert (root["level"], root["path"], root["commission_bp"], root["visible"]) == (1, f"/{root['id']}/", 650, True)
    await post_form(client, "/admin/categories/new", {"parent": str(root["id"]), "name_zh": "猫", "commission": "5"})
    mid = await Category.select().where(Category.name_zh == "猫").first()
    assert (mid["level"], mid["path"], mid["visible"]) == (2, f"/{root['id']}/{mid['id']}/", False)
    await post_form(
        client,
        "/admin/categories/new",
        {"parent": str(mid["id"]), "name_zh": "猫粮", "commission": "5", "visible": "1"},
    )
    leaf = await Category.select().where(Category.name_zh == "猫粮").first()
    assert leaf["level"] == 3 and leaf["path"] == f"{mid['path']}{leaf['id']}/"
    r = await post_form(
        client, "/admin/categories/new", {"parent": str(leaf["id"]), "name_zh": "太深", "commission": "5"}, headers=EN
    )
    assert r.status_code == 422 and "third-level category cannot have children" in r.text
    assert await AuditLog.count().where(AuditLog.action == "category.create") == 3
    page = await client.get("/admin/categories/", headers=EN)
    assert "猫粮" in page.text and "6.5 %" in page.text


async def test_rename_commission_and_visibility_are_saved_audited_and_the_tree_refreshes(client, ops):
    cid = await make_category(name="旧名", commission_bp=500)
    roots, _ = await category_tree()
    assert [r.name_zh for r in roots] == ["旧名"]
    form = {"name_zh": "新名", "name_en": "New", "icon": "🐱", "commission": "12.35", "sort_order": "5", "visible": ""}
    r = await post_form(client, f"/admin/categories/{cid}/edit", form)
    assert r.status_code == 303
    row = await _cat(cid)
    assert (row["name_zh"], row["name_en"], row["icon"], row["commission_bp"], row["visible"]) == (
        "新名",
        "New",
        "🐱",
        1235,
        False,
    )
    roots, _ = await category_tree()  # the cached tree was dropped: the hidden category is gone at once
    assert roots == []
    audit = await AuditLog.select().where(AuditLog.action == "category.update").first()
    assert '"commission_bp": 500' in audit["before"] and '"commission_bp": 1235' in audit["after"]


async def test_a_bad_commission_is_refused_keeping_what_was_typed(client, ops):
    cid = await make_category(name="数码")
    for value, message in [
        ("101", "between 0 and 100"),
        ("-1", "between 0 and 100"),
        ("5.555", "at most 2 decimals"),
        ("abc", "as a percentage"),
    ]:
        r = await post_form(
            client,
            f"/admin/categories/{cid}/edit",
            {"name_zh": "数码改", "commission": value, "sort_order": "0"},
            headers=EN,
        )
        assert r.status_code == 422 and message in r.text, value
        assert 'value="数码改"' in r.text
    assert (await _cat(cid))["name_zh"] == "数码"


async def test_delete_is_refused_while_a_category_has_children_or_products(client, ops):
    root = await make_category(name="家居")
    child = await make_category(name="厨具", parent=root)
    await make_product(category=child)
    r = await post_form(client, f"/admin/categories/{root}/delete", headers=EN)
    page = await client.get(r.headers["location"].split("#")[0], headers=EN)
    assert "“家居” still has 1 subcategories" in page.text
    await post_form(client, f"/admin/categories/{child}/delete", headers=EN)
    page = await client.get("/admin/categories/", headers=EN)
    assert "“厨具” still has 1 products: it can only be hidden, not deleted." in page.text
    assert await Category.count() == 2
    empty = await make_category(name="空的", parent=root)
    shop = await make_shop()
    await ShopCategoryGrant.insert(ShopCategoryGrant(shop=shop.id, category=empty))
    r = await post_form(client, f"/admin/categories/{empty}/delete", headers=EN)
    assert r.status_code == 303 and not await Category.exists().where(Category.id == empty)
    assert not await ShopCategoryGrant.exists().where(ShopCategoryGrant.category == empty)
    audit = await AuditLog.select().where(AuditLog.action == "category.delete").first()
    assert audit["target_id"] == str(empty) and f"[{shop.id}]" in audit["before"]


async def test_move_up_and_down_swaps_siblings(client, ops):
    a = await make_category(name="甲")
    b = await make_category(name="乙")
    c = await make_category(name="丙")
    await post_form(client, f"/admin/categories/{c}/move", {"direction": "up"})
    roots, _ = await category_tree()
    assert [r.id for r in roots] == [a, c, b]
    await post_form(client, f"/admin/categories/{a}/move", {"direction": "down"})
    roots, _ = await category_tree()
    assert [r.id for r in roots] == [c, a, b]
    assert await AuditLog.count().where(AuditLog.action == "category.move") == 2


async def test_shop_category_grants_add_and_remove(client, ops):
    shop = await make_shop(name="宠物小店")
    root = await make_category(name="宠物")
    leaf = await make_category(name="猫粮", parent=root)
    page = await client.get("/admin/categories/?shop_q=宠物小", headers=EN)
    assert f'href="/admin/shops/{shop.id}/categories/"' in page.text
    r = await post_form(client, f"/admin/shops/{shop.id}/categories/", {"category": str(root)})
    assert r.status_code == 303
    page = await client.get(f"/admin/shops/{shop.id}/categories/", headers=EN)
    assert "宠物" in page.text and f'<option value="{leaf}"' not in page.text  # covered by the grant on its root
    assert await ShopCategoryGrant.count().where(ShopCategoryGrant.shop == shop.id) == 1
    r = await post_form(client, f"/admin/shops/{shop.id}/categories/{root}/delete")
    assert r.status_code == 303
    assert await ShopCategoryGrant.count().where(ShopCategoryGrant.shop == shop.id) == 0
    actions = [
        r["action"]
        for r in await AuditLog.select(AuditLog.action).where(AuditLog.target_type == "shop").order_by(AuditLog.id)
    ]
    assert actions[-2:] == ["shop.category_grant", "shop.category_revoke"]
    assert (await client.get("/admin/shops/999999/categories/")).status_code == 404


async def test_buyers_sellers_and_moderators_get_403_on_every_category_route(client):
    cid = await make_category()
    shop = await make_shop()
    paths = [
        ("GET", "/admin/categories/"),
        ("GET", "/admin/categories/new"),
        ("POST", "/admin/categories/new"),
        ("GET", f"/admin/categories/{cid}/edit"),
        ("POST", f"/admin/categories/{cid}/edit"),
        ("POST", f"/admin/categories/{cid}/move"),
        ("POST", f"/admin/categories/{cid}/delete"),
        ("GET", f"/admin/shops/{shop.id}/categories/"),
        ("POST", f"/admin/shops/{shop.id}/categories/"),
        ("POST", f"/admin/shops/{shop.id}/categories/{cid}/delete"),
    ]
    for user in (await make_user(), shop.owner, await make_user(roles=("moderator",))):
        await login(client, user)
        for method, path in paths:
            r = await (client.get(path) if method == "GET" else post_form(client, path, {"category": str(cid)}))
            assert r.status_code == 403, (method, path, r.status_code)
    assert await Category.exists().where(Category.id == cid)
