"""Product review (商品审核): the queue of products waiting for a moderator, the product as shoppers would see
it with a diff against the last approved version, and the decision (approve / reject with a reason).

A decision is one conditional UPDATE ... WHERE status = 'pending_review', so of two moderators deciding the same
product at once exactly one wins; the other is told it has already been decided."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from app.catalog import search as catalog_search
from app.catalog.services import refresh_product_summaries
from app.core.db import engine, fetch, fetchrow
from app.core.errors import DomainError, NotFound, ValidationFailed
from app.core.i18n import N_
from app.core.principal import Actor
from app.messaging.services import notify
from app.moderation import sensitive
from app.moderation.review_diff import ProductDiff, build_diff, highlight, html_to_text
from app.moderation.services import record_audit

PAGE_SIZE = 30
REASON_MAX = 500


class AlreadyDecided(DomainError):
    code = "already_decided"
    status_code = 409


def _json(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str) else value


# ---------------------------------------------------------------- snapshot
async def product_snapshot(product_id: int) -> dict[str, Any] | None:
    """The product as a plain dict (JSON-ready): its fields, category and brand (ids and names), SKUs and
    images in display order. What a ProductRevision stores; reusable wherever a product must be frozen."""
    row = await fetchrow(
        "SELECT p.id, p.shop, p.category, p.brand, p.title, p.subtitle, p.description_html, p.specs, p.status, "
        "b.name AS brand_name, c.path AS category_path FROM product p "
        "LEFT JOIN brand b ON b.id = p.brand LEFT JOIN category c ON c.id = p.category WHERE p.id = {}",
        product_id,
    )
    if row is None:
        return None
    trail = [int(x) for x in (row["category_path"] or "").strip("/").split("/") if x]
    names = {
        r["id"]: r["name_zh"]
        for r in await fetch("SELECT id, name_zh FROM category WHERE id = ANY({}::int[])", trail or [row["category"]])
    }
    skus = await fetch(
        "SELECT code, spec_values, price_fen, list_price_fen, stock, weight_g, image_position FROM sku "
        "WHERE product = {} ORDER BY position, id",
        product_id,
    )
    images = await fetch(
        "SELECT key, width, height FROM product_image WHERE product = {} ORDER BY position, id", product_id
    )
    return {
        "id": row["id"],
        "shop_id": row["shop"],
        "status": row["status"],
        "title": row["title"],
        "subtitle": row["subtitle"],
        "category_id": row["category"],
        "category_label": " › ".join(names[i] for i in trail if i in names) or names.get(row["category"], ""),
        "brand_id": row["brand"],
        "brand": row["brand_name"] or "",
        "description_html": row["description_html"],
        "specs": _json(row["specs"]) or [],
        "skus": [{**s, "spec_values": _json(s["spec_values"]) or {}} for s in skus],
        "images": [dict(i) for i in images],
    }


async def last_approved(product_id: int) -> dict[str, Any] | None:
    row = await fetchrow(
        "SELECT snapshot FROM product_revision WHERE product = {} ORDER BY approved_at DESC, id DESC LIMIT 1",
        product_id,
    )
    return _json(row["snapshot"]) if row else None


def _screen_texts(snapshot: dict[str, Any]) -> list[str]:
    specs = " ".join(
        f"{s.get('name', '')} {' '.join(map(str, s.get('values') or []))}"
        for s in snapshot.get("specs") or []
        if isinstance(s, dict)
    )
    return [snapshot["title"], snapshot["subtitle"], html_to_text(snapshot["description_html"]), specs]


# ---------------------------------------------------------------- the queue
@dataclass(frozen=True)
class QueueItem:
    id: int
    title: str
    title_html: Any  # escaped, sensitive words marked
    shop_id: int
    shop_name: str
    category_label: str
    submitted_at: Any
    cover_key: str | None
    cover_width: int
    cover_height: int
    price_min_fen: int
    price_max_fen: int
    is_new: bool
    flagged: list[str]
    blocked: list[str]


@dataclass(frozen=True)
class Queue:
    items: list[QueueItem]
    total: int
    page: int
    has_next: bool
    shops: list[dict[str, Any]]  # shops with products waiting: id, name, n


async def review_queue(*, shop_id: int | None = None, category_id: int | None = None, page: int = 1) -> Queue:
    """Products waiting for review, oldest first, filtered by shop and by category (its subtree)."""
    page = max(page, 1)
    where = (
        "p.status = 'pending_review' AND ({}::int IS NULL OR p.shop = {}) "
        "AND ({}::int IS NULL OR c.path LIKE (SELECT path FROM category WHERE id = {}) || '%')"
    )
    args = [shop_id, shop_id, category_id, category_id]
    count = await fetchrow(
        f"SELECT count(*) AS n FROM product p JOIN category c ON c.id = p.category WHERE {where}",  # noqa: S608
        *args,
    )
    rows = await fetch(
        "SELECT p.id, p.title, p.subtitle, p.description_html, p.specs, p.shop, s.name AS shop_name, "  # noqa: S608
        "c.name_zh AS category_name, p.updated_at, p.price_min_fen, p.price_max_fen, "
        "img.key AS cover_key, img.width AS cover_width, img.height AS cover_height, "
        "EXISTS (SELECT 1 FROM product_revision r WHERE r.product = p.id) AS approved_before "
        "FROM product p JOIN category c ON c.id = p.category JOIN shop s ON s.id = p.shop "
        "LEFT JOIN LATERAL (SELECT i.key, i.width, i.height FROM product_image i WHERE i.product = p.id "
        " ORDER BY i.position, i.id LIMIT 1) img ON true "
        f"WHERE {where} "
        "ORDER BY p.updated_at, p.id LIMIT {} OFFSET {}",
        *args,
        PAGE_SIZE + 1,
        (page - 1) * PAGE_SIZE,
    )
    items = []
    for r in rows[:PAGE_SIZE]:
        found = await sensitive.screen(
            *_screen_texts({**r, "specs": _json(r["specs"]) or []})  # type: ignore[arg-type]
        )
        items.append(
            QueueItem(
                id=r["id"],
                title=r["title"],
                title_html=highlight(r["title"], found.flagged + found.blocked),
                shop_id=r["shop"],
                shop_name=r["shop_name"],
                category_label=r["category_name"],
                submitted_at=r["updated_at"],
                cover_key=r["cover_key"],
                cover_width=r["cover_width"] or 0,
                cover_height=r["cover_height"] or 0,
                price_min_fen=r["price_min_fen"],
                price_max_fen=r["price_max_fen"],
                is_new=not r["approved_before"],
                flagged=found.flagged,
                blocked=found.blocked,
            )
        )
    shops = await fetch(
        "SELECT s.id, s.name, count(*) AS n FROM product p JOIN shop s ON s.id = p.shop "
        "WHERE p.status = 'pending_review' GROUP BY s.id, s.name ORDER BY s.name"
    )
    return Queue(
        items=items, total=int(count["n"]) if count else 0, page=page, has_next=len(rows) > PAGE_SIZE, shops=shops
    )


async def pending_count() -> int:
    row = await fetchrow("SELECT count(*) AS n FROM product WHERE status = 'pending_review'")
    return int(row["n"]) if row else 0


# ---------------------------------------------------------------- one product
@dataclass(frozen=True)
class ReviewDetail:
    product: dict[str, Any]  # product_snapshot()
    shop_name: str
    review_note: str
    diff: ProductDiff
    approved_at: Any  # of the last approved revision, None when never approved
    flagged: list[str]
    blocked: list[str]
    title_html: Any
    subtitle_html: Any

    @property
    def pending(self) -> bool:
        return self.product["status"] == "pending_review"


async def review_detail(*, product_id: int) -> ReviewDetail:
    snapshot = await product_snapshot(product_id)
    if snapshot is None:
        raise NotFound(N_("This product does not exist."))
    extra = await fetchrow(
        "SELECT s.name, p.review_note FROM product p JOIN shop s ON s.id = p.shop WHERE p.id = {}", product_id
    )
    revision = await fetchrow(
        "SELECT snapshot, approved_at FROM product_revision WHERE product = {} "
        "ORDER BY approved_at DESC, id DESC LIMIT 1",
        product_id,
    )
    before = _json(revision["snapshot"]) if revision else None
    found = await sensitive.screen(*_screen_texts(snapshot))
    words = found.flagged + found.blocked
    return ReviewDetail(
        product=snapshot,
        shop_name=extra["name"] if extra else "",
        review_note=extra["review_note"] if extra else "",
        diff=build_diff(before, snapshot),
        approved_at=revision["approved_at"] if revision else None,
        flagged=found.flagged,
        blocked=found.blocked,
        title_html=highlight(snapshot["title"], words),
        subtitle_html=highlight(snapshot["subtitle"], words),
    )


# ---------------------------------------------------------------- decisions
async def _decide(*, product_id: int, status: str, note: str) -> dict[str, Any]:
    """The race-safe step: only a product still pending changes; otherwise say what it is now."""
    row = await fetchrow(
        "UPDATE product SET status = {}, review_note = {} WHERE id = {} AND status = 'pending_review' "
        "RETURNING id, shop, title",
        status,
        note,
        product_id,
    )
    if row is None:
        current = await fetchrow("SELECT status FROM product WHERE id = {}", product_id)
        if current is None:
            raise NotFound(N_("This product does not exist."))
        raise AlreadyDecided(N_("This product has already been decided: it is no longer waiting for review."))
    return row


async def _owners(shop_id: int) -> list[int]:
    rows = await fetch('SELECT "user" FROM shop_staff WHERE shop = {} AND role = \'owner\' ORDER BY "user"', shop_id)
    return [r["user"] for r in rows]


async def approve_product(*, actor: Actor, product_id: int) -> int:
    """Pending → active: stores what was approved (a ProductRevision), audits, makes it searchable and tells
    the shop's owners. Returns the revision id."""
    async with engine().transaction():
        row = await _decide(product_id=product_id, status="active", note="")
        snapshot = await product_snapshot(product_id)
        revision = await fetchrow(
            "INSERT INTO product_revision (product, snapshot, approved_by, approved_at) "
            "VALUES ({}, {}::jsonb, {}, now()) RETURNING id",
            product_id,
            json.dumps(snapshot, ensure_ascii=False, default=str),
            actor.user_id,
        )
        assert revision is not None
        await record_audit(
            actor=actor,
            action="product.approve",
            target_type="product",
            target_id=product_id,
            before={"status": "pending_review"},
            after={"status": "active", "revision": revision["id"]},
        )
        await refresh_product_summaries(product_ids=[product_id])
    # after commit: the search vector (a product never indexed has none; the partial index covers active rows)
    await catalog_search.reindex_products(product_ids=[product_id])
    catalog_search.forget_cached_results()
    for user_id in await _owners(row["shop"]):
        await notify(
            user_id=user_id,
            kind="product.approved",
            title=N_("Product approved"),
            body=N_("“%(title)s” passed review and is now on sale."),
            params={"title": row["title"]},
            link="/seller/products/",
        )
    return int(revision["id"])


async def reject_product(*, actor: Actor, product_id: int, reason: str) -> None:
    """Pending → rejected with the moderator's reason (required), which the seller sees. Audited, notified."""
    reason = " ".join(reason.split())
    if not reason:
        raise ValidationFailed(
            {"reason": N_("Enter the reason for the rejection: the seller needs it to fix the product.")}
        )
    if len(reason) > REASON_MAX:
        raise ValidationFailed({"reason": N_("Use at most 500 characters for the reason.")})
    async with engine().transaction():
        row = await _decide(product_id=product_id, status="rejected", note=reason)
        await record_audit(
            actor=actor,
            action="product.reject",
            target_type="product",
            target_id=product_id,
            before={"status": "pending_review"},
            after={"status": "rejected", "reason": reason},
        )
        await refresh_product_summaries(product_ids=[product_id])
    for user_id in await _owners(row["shop"]):
        await notify(
            user_id=user_id,
            kind="product.rejected",
            title=N_("Product not approved"),
            body=N_("“%(title)s” did not pass review: %(reason)s"),
            params={"title": row["title"], "reason": reason},
            link="/seller/products/",
        )
