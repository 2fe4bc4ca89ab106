"""图片空间: a shop's uploaded images in one place. Uploads are re-encoded by app.catalog.images.store_image
(content-addressed keys, so the same picture uploaded twice is one row); product images name them by key.
Stored files are never deleted here: a key may be shared by another shop that uploaded the same picture."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from app.catalog.images import ImageRejected, store_image
from app.core.db import engine, fetch, fetchrow
from app.core.errors import DomainError, NotFound
from app.core.i18n import N_
from app.core.principal import Actor
from app.moderation.services import record_audit

PAGE_SIZE = 40
MAX_FILES = 10


class ImageInUse(DomainError):
    code = "image_in_use"
    status_code = 409


@dataclass(frozen=True)
class LibraryImage:
    id: int
    key: str
    width: int
    height: int
    bytes: int
    filename: str
    created_at: Any
    used_by: list[dict[str, Any]] = field(default_factory=list)  # {id, title}


@dataclass(frozen=True)
class Library:
    images: list[LibraryImage]
    count: int
    total_bytes: int
    page: int
    has_next: bool


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


@dataclass(frozen=True)
class UploadResult:
    keys: list[str]
    errors: list[tuple[str, str, dict[str, Any]]]  # (filename, msgid, params)


async def add_uploads(*, actor: Actor, shop_id: int, files: list[Upload]) -> UploadResult:
    """Store each readable image in the library; the others are reported by file name, the rest kept."""
    keys: list[str] = []
    errors: list[tuple[str, str, dict[str, Any]]] = []
    for upload in files[:MAX_FILES]:
        try:
            stored = await store_image(upload.data)
        except ImageRejected as exc:
            errors.append((upload.filename, exc.message, dict(exc.params)))
            continue
        async with engine().transaction():
            row = await fetchrow(
                "INSERT INTO shop_image (shop, key, width, height, bytes, filename, created_at) "
                "VALUES ({}, {}, {}, {}, {}, {}, now()) ON CONFLICT (shop, key) DO NOTHING RETURNING id",
                shop_id,
                stored.key,
                stored.width,
                stored.height,
                len(upload.data),
                upload.filename[:200],
            )
            if row is not None:
                await record_audit(
                    actor=actor,
                    action="shop_image.upload",
                    target_type="shop_image",
                    target_id=row["id"],
                    after={"shop": shop_id, "key": stored.key, "bytes": len(upload.data)},
                )
        keys.append(stored.key)
    if len(files) > MAX_FILES:
        errors.append(("", N_("At most %(max)s files at a time."), {"max": MAX_FILES}))
    return UploadResult(keys, errors)


async def library(*, shop_id: int, page: int = 1) -> Library:
    page = max(page, 1)
    totals = await fetchrow(
        "SELECT count(*) AS n, coalesce(sum(bytes), 0) AS total FROM shop_image WHERE shop = {}", shop_id
    )
    rows = await fetch(
        "SELECT id, key, width, height, bytes, filename, created_at FROM shop_image WHERE shop = {} "
        "ORDER BY created_at DESC, id DESC LIMIT {} OFFSET {}",
        shop_id,
        PAGE_SIZE + 1,
        (page - 1) * PAGE_SIZE,
    )
    keys = [r["key"] for r in rows[:PAGE_SIZE]]
    usage: dict[str, list[dict[str, Any]]] = {}
    for u in await fetch(
        "SELECT DISTINCT i.key, p.id, p.title FROM product_image i JOIN product p ON p.id = i.product "
        "WHERE p.shop = {} AND i.key = ANY({}::text[]) ORDER BY p.id",
        shop_id,
        keys,
    ):
        usage.setdefault(u["key"], []).append({"id": u["id"], "title": u["title"]})
    return Library(
        images=[LibraryImage(**r, used_by=usage.get(r["key"], [])) for r in rows[:PAGE_SIZE]],
        count=int(totals["n"]) if totals else 0,
        total_bytes=int(totals["total"]) if totals else 0,
        page=page,
        has_next=len(rows) > PAGE_SIZE,
    )


async def picker(*, shop_id: int, limit: int = 48) -> list[dict[str, Any]]:
    """The newest library images, for the product editor's "pick from the library"."""
    return await fetch(
        "SELECT key, width, height FROM shop_image WHERE shop = {} ORDER BY created_at DESC, id DESC LIMIT {}",
        shop_id,
        limit,
    )


async def image_refs(*, shop_id: int, keys: list[str]) -> dict[str, tuple[int, int]]:
    """Width and height of the keys this shop may put on a product: its library's, and those its products
    already show (demo products' images predate the library)."""
    rows = await fetch(
        "SELECT key, width, height FROM shop_image WHERE shop = {} AND key = ANY({}::text[]) "
        "UNION ALL SELECT i.key, i.width, i.height FROM product_image i JOIN product p ON p.id = i.product "
        "WHERE p.shop = {} AND i.key = ANY({}::text[])",
        shop_id,
        keys,
        shop_id,
        keys,
    )
    return {r["key"]: (r["width"], r["height"]) for r in rows}


async def delete_image(*, actor: Actor, shop_id: int, image_id: int) -> None:
    """Remove an image from the library; refused while a product of the shop shows it."""
    async with engine().transaction():
        row = await fetchrow("SELECT id, key FROM shop_image WHERE id = {} AND shop = {} FOR UPDATE", image_id, shop_id)
        if row is None:
            raise NotFound(N_("This image is not in your library."))
        used = await fetch(
            "SELECT DISTINCT p.title FROM product_image i JOIN product p ON p.id = i.product "
            "WHERE p.shop = {} AND i.key = {} ORDER BY p.title LIMIT 3",
            shop_id,
            row["key"],
        )
        if used:
            raise ImageInUse(
                N_("This image is used by “%(title)s”: remove it from the product before deleting it."),
                title=used[0]["title"],
            )
        await fetch("DELETE FROM shop_image WHERE id = {}", image_id)
        await record_audit(
            actor=actor,
            action="shop_image.delete",
            target_type="shop_image",
            target_id=image_id,
            before={"shop": shop_id, "key": row["key"]},
        )
