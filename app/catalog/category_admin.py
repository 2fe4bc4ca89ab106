"""Platform admin: the category tree (three levels, commission rates, visibility, order) and which shop may
sell in which category (ShopCategoryGrant; a grant covers the category's descendants).

Every change is audited and drops this process's cached tree (services.forget_category_tree); the tree is a
per-process cache with a TTL (services.TREE_TTL), so other processes show a change within that time."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.catalog import search as catalog_search
from app.catalog.services import forget_category_tree
from app.core.db import engine, fetch, fetchrow
from app.core.errors import DomainError, NotFound, ValidationFailed
from app.core.i18n import N_
from app.core.principal import Actor
from app.moderation.services import record_audit
from app.web.flash import flash
from app.web.forms import actor_of, field_errors, form_data
from app.web.fragments import forget_fragments
from app.web.guards import requires_platform_role

MAX_LEVEL = 3
EDITABLE = ("name_zh", "name_en", "icon", "sort_order", "visible", "commission_bp")


# ---------------------------------------------------------------- rules
def parse_commission_percent(text: str) -> int:
    """'5' / '5.5' / '12.35' / '5%' (percent, at most 2 decimals, 0–100) → basis points (500, 550, 1235)."""
    raw = (text or "").strip().removesuffix("%").strip().replace("，", ".")
    if not raw:
        raise ValidationFailed({"commission": N_("Enter the commission rate as a percentage, e.g. 5 or 2.5.")})
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ValidationFailed(
            {"commission": N_("Enter the commission rate as a percentage, e.g. 5 or 2.5.")}
        ) from None
    if not value.is_finite() or value < 0 or value > 100:
        raise ValidationFailed({"commission": N_("The commission rate must be between 0 and 100 percent.")})
    if value != value.quantize(Decimal("0.01")):
        raise ValidationFailed({"commission": N_("Use at most 2 decimals for the commission rate.")})
    return int(value * 100)


def percent_of(bp: int) -> str:
    """500 → '5', 550 → '5.5', 1235 → '12.35' (what the form shows)."""
    text = f"{Decimal(bp) / 100:.2f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def _clean(form: dict[str, str], *, with_sort: bool) -> dict[str, Any]:
    errors: dict[str, str] = {}
    name_zh = " ".join(form.get("name_zh", "").split())
    name_en = " ".join(form.get("name_en", "").split())
    icon = form.get("icon", "").strip()
    if not name_zh:
        errors["name_zh"] = N_("Enter the Chinese name.")
    elif len(name_zh) > 32:
        errors["name_zh"] = N_("Use at most 32 characters for the Chinese name.")
    if len(name_en) > 64:
        errors["name_en"] = N_("Use at most 64 characters for the English name.")
    if len(icon) > 16:
        errors["icon"] = N_("Use at most 16 characters for the icon (an emoji or a short glyph).")
    values: dict[str, Any] = {
        "name_zh": name_zh,
        "name_en": name_en,
        "icon": icon,
        "visible": bool(form.get("visible")),
    }
    try:
        values["commission_bp"] = parse_commission_percent(form.get("commission", ""))
    except ValidationFailed as exc:
        errors.update(exc.errors)
    if with_sort:
        try:
            values["sort_order"] = int(form.get("sort_order", "0").strip() or "0")
            if not -1_000_000 <= values["sort_order"] <= 1_000_000:
                raise ValueError
        except ValueError:
            errors["sort_order"] = N_("Enter a whole number for the sort order.")
    if errors:
        raise ValidationFailed(errors)
    return values


# ---------------------------------------------------------------- reading
@dataclass(frozen=True)
class AdminCategory:
    id: int
    parent_id: int | None
    name_zh: str
    name_en: str
    level: int
    path: str
    icon: str
    sort_order: int
    visible: bool
    commission_bp: int
    children: int
    products: int
    first: bool  # among its siblings
    last: bool

    @property
    def commission_percent(self) -> str:
        return percent_of(self.commission_bp)


async def admin_tree() -> list[AdminCategory]:
    """Every category (hidden ones too) in tree order, with its number of children and products."""
    rows = await fetch(
        "SELECT c.*, (SELECT count(*) FROM category k WHERE k.parent = c.id) AS children, "
        "(SELECT count(*) FROM product p WHERE p.category = c.id) AS products FROM category c "
        "ORDER BY c.sort_order, c.id"
    )
    by_parent: dict[int | None, list[dict[str, Any]]] = {}
    for r in rows:
        by_parent.setdefault(r["parent"], []).append(r)
    out: list[AdminCategory] = []

    def walk(parent: int | None) -> None:
        siblings = by_parent.get(parent, [])
        for i, r in enumerate(siblings):
            out.append(
                AdminCategory(
                    r["id"],
                    r["parent"],
                    r["name_zh"],
                    r["name_en"],
                    r["level"],
                    r["path"],
                    r["icon"],
                    r["sort_order"],
                    r["visible"],
                    r["commission_bp"],
                    r["children"],
                    r["products"],
                    i == 0,
                    i == len(siblings) - 1,
                )
            )
            walk(r["id"])

    walk(None)
    return out


async def get_category(category_id: int) -> dict[str, Any]:
    row = await fetchrow("SELECT * FROM category WHERE id = {}", category_id)
    if row is None:
        raise NotFound(N_("This category does not exist."))
    return row


def _labels(tree: list[AdminCategory]) -> dict[int, str]:
    """'手机数码 › 手机通讯 › 手机' for every category."""
    by_id = {c.id: c for c in tree}
    labels: dict[int, str] = {}
    for c in tree:
        trail = [int(x) for x in c.path.strip("/").split("/") if x]
        labels[c.id] = " › ".join(by_id[i].name_zh for i in trail if i in by_id) or c.name_zh
    return labels


# ---------------------------------------------------------------- changes
def _changed() -> None:
    forget_category_tree()
    forget_fragments()  # home shortcuts and listings render the tree
    catalog_search.forget_cached_results()


async def create_category(*, actor: Actor, parent_id: int | None, form: dict[str, str]) -> int:
    values = _clean(form, with_sort=False)
    async with engine().transaction():
        parent = None
        if parent_id is not None:
            parent = await fetchrow("SELECT id, level, path FROM category WHERE id = {} FOR UPDATE", parent_id)
            if parent is None:
                raise NotFound(N_("This category does not exist."))
            if parent["level"] >= MAX_LEVEL:
                raise DomainError(N_("Categories have three levels: a third-level category cannot have children."))
        last = await fetchrow(
            "SELECT coalesce(max(sort_order), 0) AS n FROM category WHERE parent IS NOT DISTINCT FROM {}::int",
            parent_id,
        )
        row = await fetchrow(
            "INSERT INTO category (parent, name_zh, name_en, level, path, icon, sort_order, visible, commission_bp) "
            "VALUES ({}, {}, {}, {}, '', {}, {}, {}, {}) RETURNING id",
            parent_id,
            values["name_zh"],
            values["name_en"],
            parent["level"] + 1 if parent else 1,
            values["icon"],
            (last["n"] if last else 0) + 10,
            values["visible"],
            values["commission_bp"],
        )
        assert row is not None
        path = f"{parent['path'] if parent else '/'}{row['id']}/"
        await fetch("UPDATE category SET path = {} WHERE id = {}", path, row["id"])
        await record_audit(
            actor=actor,
            action="category.create",
            target_type="category",
            target_id=row["id"],
            after={**values, "parent": parent_id, "path": path},
        )
    _changed()
    return int(row["id"])


async def update_category(*, actor: Actor, category_id: int, form: dict[str, str]) -> None:
    values = _clean(form, with_sort=True)
    async with engine().transaction():
        row = await fetchrow("SELECT * FROM category WHERE id = {} FOR UPDATE", category_id)
        if row is None:
            raise NotFound(N_("This category does not exist."))
        before = {k: row[k] for k in EDITABLE if row[k] != values[k]}
        if not before:
            return
        await fetch(
            "UPDATE category SET name_zh = {}, name_en = {}, icon = {}, sort_order = {}, visible = {}, "
            "commission_bp = {} WHERE id = {}",
            *(values[k] for k in EDITABLE),
            category_id,
        )
        await record_audit(
            actor=actor,
            action="category.update",
            target_type="category",
            target_id=category_id,
            before=before,
            after={k: values[k] for k in before},
        )
    _changed()
    if "name_zh" in before or "name_en" in before:  # the category's name is part of its products' search text
        ids = [r["id"] for r in await fetch("SELECT id FROM product WHERE category = {}", category_id)]
        if ids:
            await catalog_search.reindex_products(product_ids=ids)


async def move_category(*, actor: Actor, category_id: int, direction: str) -> None:
    """Swap places with the previous ('up') or next ('down') sibling; siblings are renumbered 10, 20, 30..."""
    if direction not in ("up", "down"):
        raise ValidationFailed({"direction": N_("Choose up or down.")})
    async with engine().transaction():
        row = await fetchrow("SELECT id, parent FROM category WHERE id = {}", category_id)
        if row is None:
            raise NotFound(N_("This category does not exist."))
        siblings = await fetch(
            "SELECT id, sort_order FROM category WHERE parent IS NOT DISTINCT FROM {}::int ORDER BY sort_order, id "
            "FOR UPDATE",
            row["parent"],
        )
        order = [s["id"] for s in siblings]
        i = order.index(category_id)
        j = i - 1 if direction == "up" else i + 1
        if not 0 <= j < len(order):
            return
        order[i], order[j] = order[j], order[i]
        await fetch(
            "UPDATE category c SET sort_order = v.n FROM unnest({}::int[], {}::int[]) AS v(id, n) WHERE c.id = v.id",
            order,
            [(k + 1) * 10 for k in range(len(order))],
        )
        await record_audit(
            actor=actor,
            action="category.move",
            target_type="category",
            target_id=category_id,
            before={"position": i + 1},
            after={"position": j + 1},
        )
    _changed()


async def delete_category(*, actor: Actor, category_id: int) -> str:
    """Only an empty category (no children, no products). Its shop grants go with it. Returns its name."""
    async with engine().transaction():
        row = await fetchrow("SELECT * FROM category WHERE id = {} FOR UPDATE", category_id)
        if row is None:
            raise NotFound(N_("This category does not exist."))
        use = await fetchrow(
            "SELECT (SELECT count(*) FROM category WHERE parent = {}) AS children, "
            "(SELECT count(*) FROM product WHERE category = {}) AS products",
            category_id,
            category_id,
        )
        assert use is not None
        if use["children"]:
            raise DomainError(
                N_("“%(name)s” still has %(num)s subcategories: move or delete them first."),
                name=row["name_zh"],
                num=use["children"],
            )
        if use["products"]:
            raise DomainError(
                N_("“%(name)s” still has %(num)s products: it can only be hidden, not deleted."),
                name=row["name_zh"],
                num=use["products"],
            )
        grants = await fetch("DELETE FROM shop_category_grant WHERE category = {} RETURNING shop", category_id)
        await fetch("DELETE FROM category WHERE id = {}", category_id)
        await record_audit(
            actor=actor,
            action="category.delete",
            target_type="category",
            target_id=category_id,
            before={
                **{k: row[k] for k in ("parent", "name_zh", "name_en", "path", *EDITABLE)},
                "granted_to_shops": sorted(g["shop"] for g in grants),
            },
        )
    _changed()
    return str(row["name_zh"])


# ---------------------------------------------------------------- shop grants
async def find_shops(*, q: str, limit: int = 20) -> list[dict[str, Any]]:
    text = q.strip()
    if not text:
        return []
    like = f"%{text.replace('%', '').replace('_', '')}%"
    return await fetch(
        "SELECT id, name, status FROM shop WHERE name ILIKE {} OR id::text = {} ORDER BY name LIMIT {}",
        like,
        text,
        limit,
    )


async def _shop(shop_id: int) -> dict[str, Any]:
    row = await fetchrow("SELECT id, name, status FROM shop WHERE id = {}", shop_id)
    if row is None:
        raise NotFound(N_("This shop does not exist."))
    return row


@dataclass(frozen=True)
class ShopGrants:
    shop: dict[str, Any]
    grants: list[dict[str, Any]]  # category_id, label, created_at
    choices: list[AdminCategory]  # every category, for the add form
    granted: set[int]
    covered: set[int]  # granted, or below a granted category


async def shop_grants(*, shop_id: int) -> ShopGrants:
    shop = await _shop(shop_id)
    tree = await admin_tree()
    labels = _labels(tree)
    rows = await fetch(
        "SELECT category, created_at FROM shop_category_grant WHERE shop = {} ORDER BY id",
        shop_id,
    )
    grants = [
        {"category_id": r["category"], "label": labels.get(r["category"], f"#{r['category']}"), "at": r["created_at"]}
        for r in rows
    ]
    grants.sort(key=lambda g: g["label"])
    granted = {g["category_id"] for g in grants}
    covered = {c.id for c in tree if any(f"/{i}/" in c.path for i in granted)}
    return ShopGrants(shop=shop, grants=grants, choices=tree, granted=granted, covered=covered)


async def grant_category(*, actor: Actor, shop_id: int, category_id: int) -> bool:
    """Let the shop sell in this category and its descendants. False when it already could (same grant)."""
    async with engine().transaction():
        await _shop(shop_id)
        await get_category(category_id)
        row = await fetchrow(
            "INSERT INTO shop_category_grant (shop, category, created_at) VALUES ({}, {}, now()) "
            "ON CONFLICT (shop, category) DO NOTHING RETURNING id",
            shop_id,
            category_id,
        )
        if row is None:
            return False
        await record_audit(
            actor=actor,
            action="shop.category_grant",
            target_type="shop",
            target_id=shop_id,
            after={"category": category_id},
        )
    return True


async def revoke_category(*, actor: Actor, shop_id: int, category_id: int) -> None:
    async with engine().transaction():
        await _shop(shop_id)
        row = await fetchrow(
            "DELETE FROM shop_category_grant WHERE shop = {} AND category = {} RETURNING id", shop_id, category_id
        )
        if row is None:
            raise NotFound(N_("This shop has no such category."))
        await record_audit(
            actor=actor,
            action="shop.category_revoke",
            target_type="shop",
            target_id=shop_id,
            before={"category": category_id},
        )


# ---------------------------------------------------------------- web
def _form_page(template: str, *, status_code: int = 200, **context: Any) -> Template:
    context.setdefault("errors", {})
    return Template(template_name=template, context=context, status_code=status_code)


def _int(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


class CategoryAdminController(Controller):
    path = "/admin/categories"
    guards = [requires_platform_role("operations")]

    @get("/", name="admin:categories")
    async def index(self, request: Request, shop_q: FromQuery[str] = "") -> Template:
        return Template(
            template_name="admin/catalog/categories.html",
            context={"tree": await admin_tree(), "shop_q": shop_q, "shops": await find_shops(q=shop_q)},
        )

    @get("/new", name="admin:category-new")
    async def new(self, request: Request, parent: FromQuery[str] = "") -> Template:
        parent_row = await get_category(int(parent)) if _int(parent) else None
        form = {"commission": percent_of(parent_row["commission_bp"] if parent_row else 500), "visible": "1"}
        return _form_page("admin/catalog/category_form.html", parent=parent_row, category=None, form=form)

    @post("/new", name="admin:category-create")
    async def create(self, request: Request) -> Template | Redirect:
        form = await form_data(request)
        parent_id = _int(form.get("parent"))
        parent_row = await get_category(parent_id) if parent_id else None
        try:
            await create_category(actor=actor_of(request), parent_id=parent_id, form=form)
        except (ValidationFailed, DomainError) as exc:
            if isinstance(exc, NotFound):
                raise
            return _form_page(
                "admin/catalog/category_form.html",
                parent=parent_row,
                category=None,
                form=form,
                errors=field_errors(exc),
                status_code=422,
            )
        flash(request, N_("The category “%(name)s” has been created."), "success", name=form.get("name_zh", "").strip())
        return Redirect(path="/admin/categories/", status_code=303)

    @get("/{category_id:int}/edit", name="admin:category-edit")
    async def edit(self, request: Request, category_id: FromPath[int]) -> Template:
        row = await get_category(category_id)
        form = {
            "name_zh": row["name_zh"],
            "name_en": row["name_en"],
            "icon": row["icon"],
            "sort_order": str(row["sort_order"]),
            "visible": "1" if row["visible"] else "",
            "commission": percent_of(row["commission_bp"]),
        }
        parent_row = await get_category(row["parent"]) if row["parent"] else None
        return _form_page("admin/catalog/category_form.html", parent=parent_row, category=row, form=form)

    @post("/{category_id:int}/edit", name="admin:category-update")
    async def update(self, request: Request, category_id: FromPath[int]) -> Template | Redirect:
        row = await get_category(category_id)
        form = await form_data(request)
        try:
            await update_category(actor=actor_of(request), category_id=category_id, form=form)
        except ValidationFailed as exc:
            parent_row = await get_category(row["parent"]) if row["parent"] else None
            return _form_page(
                "admin/catalog/category_form.html",
                parent=parent_row,
                category=row,
                form=form,
                errors=field_errors(exc),
                status_code=422,
            )
        flash(request, N_("The category has been saved."), "success")
        return Redirect(path="/admin/categories/", status_code=303)

    @post("/{category_id:int}/move", name="admin:category-move")
    async def move(self, request: Request, category_id: FromPath[int]) -> Redirect:
        form = await form_data(request)
        await move_category(actor=actor_of(request), category_id=category_id, direction=form.get("direction", ""))
        return Redirect(path=f"/admin/categories/#cat-{category_id}", status_code=303)

    @post("/{category_id:int}/delete", name="admin:category-delete")
    async def delete(self, request: Request, category_id: FromPath[int]) -> Redirect:
        try:
            name = await delete_category(actor=actor_of(request), category_id=category_id)
        except DomainError as exc:
            if isinstance(exc, NotFound):
                raise
            flash(request, exc.message, "error", **exc.params)
            return Redirect(path=f"/admin/categories/#cat-{category_id}", status_code=303)
        flash(request, N_("The category “%(name)s” has been deleted."), "success", name=name)
        return Redirect(path="/admin/categories/", status_code=303)


class ShopCategoryAdminController(Controller):
    path = "/admin/shops/{shop_id:int}/categories"
    guards = [requires_platform_role("operations")]

    @get("/", name="admin:shop-categories")
    async def index(self, request: Request, shop_id: FromPath[int]) -> Template:
        return Template(
            template_name="admin/catalog/shop_categories.html", context={"g": await shop_grants(shop_id=shop_id)}
        )

    @post("/", name="admin:shop-category-add")
    async def add(self, request: Request, shop_id: FromPath[int]) -> Redirect:
        form = await form_data(request)
        category_id = _int(form.get("category"))
        if category_id is None:
            await _shop(shop_id)
            flash(request, N_("Choose a category."), "error")
        elif await grant_category(actor=actor_of(request), shop_id=shop_id, category_id=category_id):
            flash(request, N_("The shop may now sell in this category."), "success")
        else:
            flash(request, N_("The shop could already sell in this category."), "info")
        return Redirect(path=f"/admin/shops/{shop_id}/categories/", status_code=303)

    @post("/{category_id:int}/delete", name="admin:shop-category-remove")
    async def remove(self, request: Request, shop_id: FromPath[int], category_id: FromPath[int]) -> Redirect:
        await revoke_category(actor=actor_of(request), shop_id=shop_id, category_id=category_id)
        flash(request, N_("The shop may no longer sell in this category."), "success")
        return Redirect(path=f"/admin/shops/{shop_id}/categories/", status_code=303)


ROUTES = [CategoryAdminController, ShopCategoryAdminController]
