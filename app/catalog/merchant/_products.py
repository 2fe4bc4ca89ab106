"""A shop's products in the seller center: the editor (create/update with specs and SKUs), the status flow,
the product list and its counts, and stock.

Status flow: draft → pending_review → active / rejected; active → delisted → active (unchanged content) or
pending_review (changed since approval). Saving an active product's content (title, subtitle, description,
images, category, brand, specs) sends it to review again; prices and stock apply at once. Every query is
filtered by the shop, so another shop's product is simply not found."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

import nh3

from app.catalog import search
from app.catalog.errors import ProductNotFound
from app.catalog.merchant._form import (
    ProductData,
    ProductForm,
    ProductInvalid,
    form_from_product,
    ordered,
    validate,
)
from app.catalog.merchant._library import image_refs
from app.catalog.richtext import sanitize_description
from app.catalog.services import category_tree, refresh_product_summaries
from app.core.db import engine, fetch, fetchrow
from app.core.errors import DomainError, Forbidden
from app.core.i18n import N_
from app.core.principal import Actor
from app.moderation.sensitive import screen
from app.moderation.services import record_audit
from app.sellers.permissions import has_permission

PAGE_SIZE = 20
TABS = {
    "on_sale": "p.status = 'active'",
    "warehouse": "p.status IN ('draft', 'delisted')",
    "pending": "p.status = 'pending_review'",
    "rejected": "p.status = 'rejected'",
    "low_stock": "EXISTS (SELECT 1 FROM sku s WHERE s.product = p.id AND s.stock <= p.low_stock_threshold)",
    "all": "true",
}
ACTIONS = ("submit", "delist", "relist")


class ShopCannotList(DomainError):
    code = "shop_cannot_list"
    status_code = 403


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


# ---------------------------------------------------------------- rules shared with bulk import
async def ensure_can_submit(shop_id: int) -> None:
    """A suspended shop, or one under rectification (documents lapsed), may not send products to review."""
    shop = await fetchrow("SELECT status, rectification_since FROM shop WHERE id = {}", shop_id)
    if shop is None or shop["status"] != "active":
        raise ShopCannotList(N_("Your shop is not open, so it cannot submit products for review."))
    if shop["rectification_since"] is not None:
        raise ShopCannotList(
            N_("Your shop must renew its documents (rectification) before it can submit products for review.")
        )


@dataclass(frozen=True)
class CategoryChoice:
    id: int
    label: str


async def category_choices(*, shop_id: int, locale: str = "zh_CN") -> list[CategoryChoice]:
    """The level-3 categories the shop may sell in: those under (or equal to) a category it was granted."""
    _roots, nodes = await category_tree()
    grants = [
        r["path"]
        for r in await fetch(
            "SELECT c.path FROM shop_category_grant g JOIN category c ON c.id = g.category WHERE g.shop = {}", shop_id
        )
    ]
    out = []
    for node in nodes.values():
        if node.level == 3 and any(node.path.startswith(p) for p in grants):
            trail, cursor = [], node
            while cursor is not None:
                trail.append(cursor.name(locale))
                cursor = nodes.get(cursor.parent_id) if cursor.parent_id else None
            out.append(CategoryChoice(node.id, " › ".join(reversed(trail))))
    return sorted(out, key=lambda c: c.label)


async def category_allowed(*, shop_id: int, category_id: int) -> bool:
    row = await fetchrow(
        "SELECT 1 AS ok FROM category c WHERE c.id = {} AND c.level = 3 AND EXISTS (SELECT 1 "
        "FROM shop_category_grant g JOIN category gc ON gc.id = g.category WHERE g.shop = {} "
        "AND c.path LIKE gc.path || '%')",
        category_id,
        shop_id,
    )
    return row is not None


async def brand_id(name: str) -> int | None:
    """An existing brand by its Chinese or English name; '' → no brand. Raises LookupError when unknown."""
    if not name.strip():
        return None
    row = await fetchrow(
        "SELECT id FROM brand WHERE lower(name) = lower({}) OR lower(name_en) = lower({}) ORDER BY id LIMIT 1",
        name.strip(),
        name.strip(),
    )
    if row is None:
        raise LookupError(name)
    return int(row["id"])


async def brand_names(limit: int = 500) -> list[str]:
    return [r["name"] for r in await fetch("SELECT name FROM brand ORDER BY name LIMIT {}", limit)]


def _plain(html: str) -> str:
    return nh3.clean(html or "", tags=set())


async def screen_fields(data: ProductData) -> tuple[dict[str, tuple[str, dict[str, Any]]], list[str]]:
    """Blocked words as field errors naming the word; flagged words (saved, shown to moderators) as a list."""
    errors: dict[str, tuple[str, dict[str, Any]]] = {}
    flagged: list[str] = []
    specs = " ".join(f"{name} {' '.join(values)}" for name, values in data.specs)
    for name, text in (("title", data.title), ("subtitle", data.subtitle), ("description", _plain(data.description)),
                       ("specs", specs)):  # fmt: skip
        found = await screen(text)
        if found.blocked:
            errors[name] = (
                N_("“%(word)s” is not allowed. Remove it and save again."),
                {"word": found.blocked[0]},
            )
        flagged += [w for w in found.flagged if w not in flagged]
    return errors, flagged


async def check_references(*, shop_id: int, data: ProductData) -> tuple[int | None, dict[str, tuple[int, int]]]:
    """Category granted, brand known, images from the shop's library: (brand id, image sizes) or ProductInvalid."""
    errors: dict[str, tuple[str, dict[str, Any]]] = {}
    if not await category_allowed(shop_id=shop_id, category_id=data.category_id):
        errors["category_id"] = (N_("Choose a level-3 category your shop may sell in."), {})
    brand = None
    try:
        brand = await brand_id(data.brand)
    except LookupError:
        errors["brand"] = (N_("There is no brand named %(name)s: pick one from the list or leave it empty."),
                           {"name": data.brand})  # fmt: skip
    refs = await image_refs(shop_id=shop_id, keys=data.images)
    if any(key not in refs for key in data.images):
        errors["images"] = (N_("Pick images from your image library."), {})
    if errors:
        raise ProductInvalid(errors)
    return brand, refs


def content_digest(content: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, sort_keys=True).encode()).hexdigest()


async def _content(product_id: int) -> dict[str, Any]:
    """What a moderator approves: changing any of it sends an active product back to review."""
    row = await fetchrow(
        "SELECT title, subtitle, description_html, category, brand, specs FROM product WHERE id = {}", product_id
    )
    assert row is not None
    images = await fetch("SELECT key FROM product_image WHERE product = {} ORDER BY position, id", product_id)
    return {**row, "specs": _json(row["specs"]) or [], "images": [i["key"] for i in images]}


def _new_content(data: ProductData, brand: int | None, description: str) -> dict[str, Any]:
    return {
        "title": data.title,
        "subtitle": data.subtitle,
        "description_html": description,
        "category": data.category_id,
        "brand": brand,
        "specs": data.specs_json,
        "images": list(data.images),
    }


async def write_skus(product_id: int, data: ProductData) -> None:
    """Replace the product's SKUs with data.skus: rows with an id are updated (404 for an id of another
    product), the rest inserted, the missing deleted. Codes left blank are generated."""
    existing = {r["id"] for r in await fetch("SELECT id FROM sku WHERE product = {}", product_id)}
    posted = {s.id for s in data.skus if s.id is not None}
    if posted - existing:
        raise ProductNotFound(N_("This product does not exist or is no longer sold."))
    await fetch("DELETE FROM sku WHERE product = {} AND NOT (id = ANY({}::int[]))", product_id, sorted(posted))
    # codes are unique per product: park the kept rows' codes so two SKUs may swap theirs
    await fetch("UPDATE sku SET code = '#' || id WHERE product = {}", product_id)
    used = {s.code for s in data.skus if s.code}
    for position, sku in enumerate(data.skus):
        code = sku.code
        n = position + 1
        while not code:
            candidate = f"{product_id}-{n}"
            code = candidate if candidate not in used else ""
            n += 100
        used.add(code)
        values = json.dumps(sku.spec_values, ensure_ascii=False)
        if sku.id is not None:
            await fetch(
                "UPDATE sku SET code = {}, spec_values = {}::jsonb, price_fen = {}, list_price_fen = {}, stock = {}, "
                "weight_g = {}, position = {} WHERE id = {} AND product = {}",
                code, values, sku.price_fen, sku.list_price_fen, sku.stock, sku.weight_g, position, sku.id, product_id,
            )  # fmt: skip
        else:
            await fetch(
                "INSERT INTO sku (product, code, spec_values, price_fen, list_price_fen, stock, weight_g, position) "
                "VALUES ({}, {}, {}::jsonb, {}, {}, {}, {}, {})",
                product_id, code, values, sku.price_fen, sku.list_price_fen, sku.stock, sku.weight_g, position,
            )  # fmt: skip


async def write_images(product_id: int, keys: list[str], refs: dict[str, tuple[int, int]]) -> None:
    await fetch("DELETE FROM product_image WHERE product = {}", product_id)
    for position, key in enumerate(keys):
        width, height = refs[key]
        await fetch(
            "INSERT INTO product_image (product, position, key, width, height) VALUES ({}, {}, {}, {}, {})",
            product_id, position, key, width, height,
        )  # fmt: skip


async def insert_product(
    *, shop_id: int, data: ProductData, brand: int | None, refs: dict[str, tuple[int, int]], status: str = "draft"
) -> int:
    """A new product with its SKUs and images, inside the caller's transaction."""
    row = await fetchrow(
        "INSERT INTO product (shop, category, brand, title, subtitle, description_html, specs, status, "
        "low_stock_threshold, created_at, updated_at) VALUES ({}, {}, {}, {}, {}, {}, {}::jsonb, {}, {}, now(), now()) "
        "RETURNING id",
        shop_id, data.category_id, brand, data.title, data.subtitle, sanitize_description(data.description),
        json.dumps(data.specs_json, ensure_ascii=False), status, data.low_stock_threshold,
    )  # fmt: skip
    assert row is not None
    pid = int(row["id"])
    await write_skus(pid, data)
    await write_images(pid, data.images, refs)
    return pid


# ---------------------------------------------------------------- the editor
@dataclass(frozen=True)
class EditorMeta:
    id: int
    status: str
    review_note: str
    updated_at: Any
    cover: dict[str, Any] | None = None


async def editor(*, shop_id: int, product_id: int) -> tuple[ProductForm, EditorMeta]:
    product = await fetchrow(
        "SELECT p.*, b.name AS brand_name FROM product p LEFT JOIN brand b ON b.id = p.brand "
        "WHERE p.id = {} AND p.shop = {}",
        product_id,
        shop_id,
    )
    if product is None:
        raise ProductNotFound(N_("This product does not exist or is no longer sold."))
    skus = await fetch("SELECT * FROM sku WHERE product = {} ORDER BY position, id", product_id)
    images = await fetch("SELECT key FROM product_image WHERE product = {} ORDER BY position, id", product_id)
    product = {**product, "specs": _json(product["specs"]) or []}
    skus = [{**s, "spec_values": _json(s["spec_values"]) or {}} for s in skus]
    form = form_from_product(product, skus, [i["key"] for i in images])
    return form, EditorMeta(product["id"], product["status"], product["review_note"], product["updated_at"])


async def image_sizes(*, shop_id: int, keys: list[str]) -> dict[str, tuple[int, int]]:
    return await image_refs(shop_id=shop_id, keys=keys)


@dataclass(frozen=True)
class Saved:
    product_id: int
    status: str
    previous_status: str | None
    flagged: list[str] = field(default_factory=list)


async def save_product(
    *, actor: Actor, shop_id: int, role: str, form: ProductForm, product_id: int | None = None, submit: bool = False
) -> Saved:
    """Create (as a draft, or straight to review with submit=True) or update a product from the editor."""
    if not has_permission(role, "products.edit"):
        raise Forbidden(N_("Your role may not edit products."))
    data = validate(form)
    errors, flagged = await screen_fields(data)
    if errors:
        raise ProductInvalid(errors)
    brand, refs = await check_references(shop_id=shop_id, data=data)
    description = sanitize_description(data.description)
    async with engine().transaction():
        if product_id is None:
            if not has_permission(role, "prices.edit"):
                raise Forbidden(N_("Your role may not set prices."))
            status = "draft"
            if submit:
                await _ready_for_review(shop_id, data)
                status = "pending_review"
            pid = await insert_product(shop_id=shop_id, data=data, brand=brand, refs=refs, status=status)
            await refresh_product_summaries(product_ids=[pid])
            await record_audit(
                actor=actor, action="product.create", target_type="product", target_id=pid,
                after={"shop": shop_id, "title": data.title, "status": status, "skus": len(data.skus)},
            )  # fmt: skip
            saved = Saved(pid, status, None, flagged)
        else:
            saved = await _update(actor, shop_id, role, product_id, data, brand, refs, description, submit, flagged)
    await search.reindex_products(product_ids=[saved.product_id])
    return saved


async def _ready_for_review(shop_id: int, data: ProductData) -> None:
    await ensure_can_submit(shop_id)
    if not data.images:
        raise ProductInvalid({"images": (N_("Add at least one image before submitting for review."), {})})


async def _update(
    actor: Actor,
    shop_id: int,
    role: str,
    product_id: int,
    data: ProductData,
    brand: int | None,
    refs: dict[str, tuple[int, int]],
    description: str,
    submit: bool,
    flagged: list[str],
) -> Saved:
    row = await fetchrow("SELECT id, status FROM product WHERE id = {} AND shop = {} FOR UPDATE", product_id, shop_id)
    if row is None:
        raise ProductNotFound(N_("This product does not exist or is no longer sold."))
    before = await _content(product_id)
    after = _new_content(data, brand, description)
    old_skus = {
        r["id"]: r for r in await fetch("SELECT id, price_fen, list_price_fen FROM sku WHERE product = {}", product_id)
    }
    prices_changed = any(
        s.id is None
        or s.id not in old_skus
        or (old_skus[s.id]["price_fen"], old_skus[s.id]["list_price_fen"]) != (s.price_fen, s.list_price_fen)
        for s in data.skus
    )
    if prices_changed and not has_permission(role, "prices.edit"):
        raise Forbidden(N_("Your role may not change prices."))
    status = row["status"]
    new_status = status
    if status == "active" and before != after:
        new_status = "pending_review"
    elif submit and status in ("draft", "rejected"):
        new_status = "pending_review"
    if new_status == "pending_review" and status != "pending_review":
        await _ready_for_review(shop_id, data)
    await fetch(
        "UPDATE product SET title = {}, subtitle = {}, description_html = {}, category = {}, brand = {}, "
        "specs = {}::jsonb, low_stock_threshold = {}, status = {}, "
        "review_note = CASE WHEN {}::boolean THEN '' ELSE review_note END WHERE id = {}",
        data.title, data.subtitle, description, data.category_id, brand,
        json.dumps(data.specs_json, ensure_ascii=False), data.low_stock_threshold, new_status,
        new_status == "pending_review" and status != "pending_review", product_id,
    )  # fmt: skip
    await write_skus(product_id, data)
    await write_images(product_id, data.images, refs)
    await refresh_product_summaries(product_ids=[product_id])
    changed = sorted(k for k in after if before.get(k) != after[k])
    await record_audit(
        actor=actor, action="product.update", target_type="product", target_id=product_id,
        before={"status": status, **{k: before[k] for k in changed if k != "description_html"}},
        after={"status": new_status, "skus": len(data.skus),
               **{k: after[k] for k in changed if k != "description_html"}},
    )  # fmt: skip
    return Saved(product_id, new_status, status, flagged)


# ---------------------------------------------------------------- status changes
@dataclass(frozen=True)
class StatusResult:
    done: list[int]
    skipped: list[tuple[int, str]]  # (product id, msgid why)


async def change_status(*, actor: Actor, shop_id: int, product_ids: list[int], action: str) -> StatusResult:
    """submit (draft/rejected → pending_review), delist (active → delisted), relist (delisted → active when
    unchanged since approval, else → pending_review). Products in another status are skipped with a reason."""
    if action not in ACTIONS:
        raise DomainError(N_("Choose an action."))
    ids = sorted(set(product_ids))
    done: list[int] = []
    skipped: list[tuple[int, str]] = []
    can_submit: str | None = None
    try:
        await ensure_can_submit(shop_id)
    except ShopCannotList as exc:
        can_submit = exc.message
    async with engine().transaction():
        rows = await fetch(
            "SELECT p.id, p.status, p.approved_digest, "
            "(SELECT count(*) FROM product_image i WHERE i.product = p.id) AS images, "
            "(SELECT count(*) FROM sku s WHERE s.product = p.id) AS skus "
            "FROM product p WHERE p.shop = {} AND p.id = ANY({}::int[]) ORDER BY p.id FOR UPDATE",
            shop_id,
            ids,
        )
        if len(rows) != len(ids):
            raise ProductNotFound(N_("This product does not exist or is no longer sold."))
        for row in rows:
            status, target, digest = row["status"], None, row["approved_digest"]
            if action == "submit":
                if status not in ("draft", "rejected"):
                    skipped.append((row["id"], N_("Only drafts and rejected products can be submitted for review.")))
                    continue
                target = "pending_review"
            elif action == "delist":
                if status != "active":
                    skipped.append((row["id"], N_("Only products on sale can be delisted.")))
                    continue
                target, digest = "delisted", content_digest(await _content(row["id"]))
            else:
                if status != "delisted":
                    skipped.append((row["id"], N_("Only delisted products can be listed again.")))
                    continue
                unchanged = digest and digest == content_digest(await _content(row["id"]))
                target = "active" if unchanged else "pending_review"
            if target == "pending_review":
                if can_submit:
                    skipped.append((row["id"], can_submit))
                    continue
                if not row["images"] or not row["skus"]:
                    skipped.append((row["id"], N_("Add at least one image before submitting for review.")))
                    continue
            await fetch(
                "UPDATE product SET status = {}, approved_digest = {}, "
                "review_note = CASE WHEN {}::text = 'pending_review' THEN '' ELSE review_note END WHERE id = {}",
                target,
                digest,
                target,
                row["id"],
            )
            await record_audit(
                actor=actor,
                action=f"product.{action}",
                target_type="product",
                target_id=row["id"],
                before={"status": status},
                after={"status": target},
            )
            done.append(row["id"])
        if done:
            await refresh_product_summaries(product_ids=done)
    return StatusResult(done, skipped)


async def delete_product(*, actor: Actor, shop_id: int, product_id: int) -> None:
    """Only a draft or a rejected product (never sold) can be deleted; the others are delisted instead."""
    async with engine().transaction():
        row = await fetchrow(
            "SELECT id, status, title FROM product WHERE id = {} AND shop = {} FOR UPDATE", product_id, shop_id
        )
        if row is None:
            raise ProductNotFound(N_("This product does not exist or is no longer sold."))
        if row["status"] not in ("draft", "rejected"):
            raise DomainError(N_("Only drafts and rejected products can be deleted; delist the others."))
        await fetch("DELETE FROM product WHERE id = {}", product_id)
        await record_audit(
            actor=actor, action="product.delete", target_type="product", target_id=product_id,
            before={"title": row["title"], "status": row["status"]},
        )  # fmt: skip


# ---------------------------------------------------------------- the list and its counts
@dataclass(frozen=True)
class ProductPage:
    rows: list[dict[str, Any]]
    page: int
    has_next: bool
    total: int


async def list_products(*, shop_id: int, tab: str = "on_sale", q: str = "", page: int = 1) -> ProductPage:
    """One tab of the shop's products, newest change first; q matches the title or a SKU code."""
    where = TABS.get(tab, TABS["on_sale"])
    page = max(page, 1)
    pattern = f"%{q.strip().replace('%', '').replace('_', '')}%" if q.strip() else None
    condition = (
        f"p.shop = {{}} AND {where} AND ({{}}::text IS NULL OR p.title ILIKE {{}} "  # noqa: S608 (fixed fragments)
        "OR EXISTS (SELECT 1 FROM sku s WHERE s.product = p.id AND s.code ILIKE {}))"
    )
    args = [shop_id, pattern, pattern, pattern]
    total = await fetchrow(f"SELECT count(*) AS n FROM product p WHERE {condition}", *args)  # noqa: S608
    rows = await fetch(
        "SELECT p.id, p.title, p.status, p.review_note, p.price_min_fen, p.price_max_fen, p.stock_total, "  # noqa: S608
        "p.sku_count, p.sales_count, p.updated_at, p.low_stock_threshold, "
        "(SELECT count(*) FROM sku s WHERE s.product = p.id AND s.stock <= p.low_stock_threshold) AS low_skus, "
        "img.key AS cover_key, img.width AS cover_width, img.height AS cover_height "
        "FROM product p LEFT JOIN LATERAL (SELECT i.key, i.width, i.height FROM product_image i "
        "WHERE i.product = p.id ORDER BY i.position, i.id LIMIT 1) img ON true "
        f"WHERE {condition} ORDER BY p.updated_at DESC, p.id DESC LIMIT {{}} OFFSET {{}}",
        *args,
        PAGE_SIZE + 1,
        (page - 1) * PAGE_SIZE,
    )
    return ProductPage(rows[:PAGE_SIZE], page, len(rows) > PAGE_SIZE, int(total["n"]) if total else 0)


async def product_counts(shop_id: int) -> dict[str, int]:
    """Products per status (every status present, 0 when none), for the dashboard and the list's tabs."""
    counts = {s: 0 for s in ("draft", "pending_review", "active", "rejected", "delisted")}
    for r in await fetch("SELECT status, count(*) AS n FROM product WHERE shop = {} GROUP BY status", shop_id):
        counts[r["status"]] = int(r["n"])
    return counts


async def low_stock_count(shop_id: int) -> int:
    """Products with at least one SKU at or below the product's low-stock threshold (库存预警)."""
    row = await fetchrow(f"SELECT count(*) AS n FROM product p WHERE p.shop = {{}} AND {TABS['low_stock']}", shop_id)  # noqa: S608
    return int(row["n"]) if row else 0


async def tab_counts(shop_id: int) -> dict[str, int]:
    c = await product_counts(shop_id)
    return {
        "on_sale": c["active"],
        "warehouse": c["draft"] + c["delisted"],
        "pending": c["pending_review"],
        "rejected": c["rejected"],
        "low_stock": await low_stock_count(shop_id),
        "all": sum(c.values()),
    }


# ---------------------------------------------------------------- stock
@dataclass(frozen=True)
class StockSheet:
    id: int
    title: str
    status: str
    low_stock_threshold: int
    skus: list[dict[str, Any]]


async def stock_sheet(*, shop_id: int, product_id: int) -> StockSheet:
    row = await fetchrow(
        "SELECT id, title, status, low_stock_threshold, specs FROM product WHERE id = {} AND shop = {}",
        product_id,
        shop_id,
    )
    if row is None:
        raise ProductNotFound(N_("This product does not exist or is no longer sold."))
    row = dict(row)
    names = [s["name"] for s in _json(row.pop("specs")) or [] if isinstance(s, dict)]
    skus = await fetch(
        "SELECT id, code, spec_values, price_fen, stock FROM sku WHERE product = {} ORDER BY position, id", product_id
    )
    return StockSheet(**row, skus=[{**s, "spec_values": ordered(_json(s["spec_values"]) or {}, names)} for s in skus])


async def update_stock(
    *, actor: Actor, shop_id: int, role: str, product_id: int, stocks: dict[int, str], threshold: str
) -> None:
    """Set each SKU's stock and the product's low-stock threshold (no review needed)."""
    from app.catalog.merchant._form import MAX_STOCK, parse_count

    if not has_permission(role, "stock.edit"):
        raise Forbidden(N_("Your role may not change stock."))
    errors: dict[str, tuple[str, dict[str, Any]]] = {}
    values: dict[int, int] = {}
    for sku_id, text in stocks.items():
        value = parse_count(text)
        if value is None:
            errors[f"stock-{sku_id}"] = (N_("Enter a whole number from 0 to %(max)s."), {"max": MAX_STOCK})
        else:
            values[sku_id] = value
    limit = parse_count(threshold, upper=100_000)
    if limit is None:
        errors["low_stock_threshold"] = (N_("Enter a whole number from 0 to %(max)s."), {"max": 100_000})
    if errors:
        raise ProductInvalid(errors)
    async with engine().transaction():
        row = await fetchrow(
            "SELECT id, low_stock_threshold FROM product WHERE id = {} AND shop = {} FOR UPDATE", product_id, shop_id
        )
        if row is None:
            raise ProductNotFound(N_("This product does not exist or is no longer sold."))
        old = {r["id"]: r["stock"] for r in await fetch("SELECT id, stock FROM sku WHERE product = {}", product_id)}
        if set(values) - set(old):
            raise ProductNotFound(N_("This product does not exist or is no longer sold."))
        changed = {k: v for k, v in values.items() if old[k] != v}
        for sku_id in sorted(changed):
            await fetch("UPDATE sku SET stock = {} WHERE id = {}", changed[sku_id], sku_id)
        await fetch("UPDATE product SET low_stock_threshold = {} WHERE id = {}", limit, product_id)
        await refresh_product_summaries(product_ids=[product_id])
        await record_audit(
            actor=actor, action="product.stock", target_type="product", target_id=product_id,
            before={"stock": {str(k): old[k] for k in changed}, "low_stock_threshold": row["low_stock_threshold"]},
            after={"stock": {str(k): v for k, v in changed.items()}, "low_stock_threshold": limit},
        )  # fmt: skip
