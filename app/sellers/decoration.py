"""Shop decoration (店铺装修): logo, banner, notice (公告), description, featured products and the shop's own
sections (店铺分类).

Editing writes shop.decoration_draft only; the preview renders the real shop page from the draft; publish()
copies the draft to shop.decoration (with a snapshot of the sections' names and order) and mirrors logo,
banner, notice and description into their shop columns. Shoppers only ever see what was published, read in
one query together with the featured products' cards (published_view()).

Sections live in their own tables (their products are assigned directly), but their tabs appear on the
shop page as published. Every id a seller sends (section, product) must belong to the acting shop, or the
answer is NotFound. Every change is audited.
"""
# ruff: noqa: S608 - SQL joins only this module's fixed fragments; every value travels as a {} argument

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

from app.catalog.images import store_image
from app.catalog.search import CARD_JSON, ProductCard, card_from_row
from app.core.db import engine, fetch, fetchrow
from app.core.errors import NotFound, ValidationFailed
from app.core.i18n import N_
from app.core.principal import Actor
from app.moderation.sensitive import screen
from app.moderation.services import record_audit
from app.sellers.tables import ProductShopSection, ShopSection

NOTICE_MAX = 200
DESCRIPTION_MAX = 2000
SECTION_NAME_MAX = 20
MAX_SECTIONS = 20
MAX_FEATURED = 8
IMAGE_KINDS = ("logo", "banner")
PRODUCT_PICKER_LIMIT = 200

SECTION_NOT_FOUND = N_("This shop category does not exist.")
PRODUCT_NOT_FOUND = N_("This product does not exist in your shop.")


@dataclass
class Decoration:
    """What the shop page shows besides its products. Stored as JSON: to_json()/from_json()."""

    notice: str = ""
    description: str = ""
    logo: dict[str, Any] | None = None  # {"key", "width", "height"} as store_image returned them
    banner: dict[str, Any] | None = None
    featured: list[int] = field(default_factory=list)
    sections: list[dict[str, Any]] = field(default_factory=list)  # [{"id", "name"}] in order (published only)

    @classmethod
    def from_json(cls, raw: Any) -> Decoration:
        data = json.loads(raw) if isinstance(raw, str) else (raw or {})
        if not isinstance(data, dict):
            data = {}

        def image(value: Any) -> dict[str, Any] | None:
            if isinstance(value, dict) and value.get("key") and value.get("width") and value.get("height"):
                return {"key": str(value["key"]), "width": int(value["width"]), "height": int(value["height"])}
            return None

        return cls(
            notice=str(data.get("notice") or ""),
            description=str(data.get("description") or ""),
            logo=image(data.get("logo")),
            banner=image(data.get("banner")),
            featured=[int(i) for i in data.get("featured") or [] if isinstance(i, int)],
            sections=[
                {"id": int(s["id"]), "name": str(s["name"])}
                for s in data.get("sections") or []
                if isinstance(s, dict) and isinstance(s.get("id"), int) and s.get("name")
            ],
        )

    def to_json(self) -> str:
        return json.dumps(
            {
                "notice": self.notice,
                "description": self.description,
                "logo": self.logo,
                "banner": self.banner,
                "featured": self.featured,
                "sections": self.sections,
            },
            ensure_ascii=False,
        )

    @property
    def is_empty(self) -> bool:
        return self == Decoration()


# ---------------------------------------------------------------- reading
async def _row(shop_id: int, *, lock: bool = False) -> dict[str, Any]:
    row = await fetchrow(
        "SELECT id, decoration, decoration_draft, notice, description, logo_key, banner_key FROM shop WHERE id = {}"
        + (" FOR UPDATE" if lock else ""),
        shop_id,
    )
    if row is None:
        raise NotFound(N_("This shop does not exist or is closed."))
    return row


def _draft_of(row: dict[str, Any]) -> Decoration:
    """The draft; before the first edit, a copy of what is published (or of the shop's columns)."""
    draft = Decoration.from_json(row["decoration_draft"])
    if not draft.is_empty:
        return draft
    published = Decoration.from_json(row["decoration"])
    if not published.is_empty:
        published.sections = []
        return published
    return Decoration(notice=row["notice"] or "", description=row["description"] or "")


async def draft(*, shop_id: int) -> Decoration:
    return _draft_of(await _row(shop_id))


async def published(*, shop_id: int) -> Decoration:
    return Decoration.from_json((await _row(shop_id))["decoration"])


async def has_unpublished_changes(*, shop_id: int) -> bool:
    row = await _row(shop_id)
    current = _draft_of(row)
    live = Decoration.from_json(row["decoration"])
    live_sections = live.sections
    live.sections = []
    sections = [{"id": s.id, "name": s.name} for s in await list_sections(shop_id=shop_id)]
    return current != live or sections != live_sections


async def _save_draft(*, actor: Actor, shop_id: int, change: str, before: Decoration, after: Decoration) -> None:
    await fetch("UPDATE shop SET decoration_draft = {}::jsonb WHERE id = {}", after.to_json(), shop_id)
    await record_audit(
        actor=actor,
        action=f"shop.decoration_{change}",
        target_type="shop",
        target_id=shop_id,
        before=json.loads(before.to_json()),
        after=json.loads(after.to_json()),
    )


# ---------------------------------------------------------------- editing the draft
async def save_texts(*, actor: Actor, shop_id: int, notice: str, description: str) -> None:
    notice, description = notice.strip(), description.strip()
    errors: dict[str, str] = {}
    if len(notice) > NOTICE_MAX:
        errors["notice"] = N_("Keep the notice to at most 200 characters.")
    if len(description) > DESCRIPTION_MAX:
        errors["description"] = N_("Keep the description to at most 2,000 characters.")
    if errors:
        raise ValidationFailed(errors)
    screening = await screen(notice, description)
    if not screening.ok:
        raise ValidationFailed({"notice": N_("This text contains words that are not allowed. Please rephrase it.")})
    async with engine().transaction():
        current = _draft_of(await _row(shop_id, lock=True))
        after = Decoration(**{**current.__dict__, "notice": notice, "description": description})
        if after != current:
            await _save_draft(actor=actor, shop_id=shop_id, change="texts", before=current, after=after)


async def upload_image(*, actor: Actor, shop_id: int, kind: str, data: bytes) -> None:
    """Logo or banner: decoded and re-encoded by store_image (ImageRejected with a clear message)."""
    if kind not in IMAGE_KINDS:
        raise NotFound(N_("Page not found"))
    stored = await store_image(data, prefix="s")  # before the transaction: no row lock held while encoding
    async with engine().transaction():
        current = _draft_of(await _row(shop_id, lock=True))
        image = {"key": stored.key, "width": stored.width, "height": stored.height}
        after = Decoration(**{**current.__dict__, kind: image})
        await _save_draft(actor=actor, shop_id=shop_id, change=kind, before=current, after=after)


async def remove_image(*, actor: Actor, shop_id: int, kind: str) -> None:
    if kind not in IMAGE_KINDS:
        raise NotFound(N_("Page not found"))
    async with engine().transaction():
        current = _draft_of(await _row(shop_id, lock=True))
        if getattr(current, kind) is None:
            return
        after = Decoration(**{**current.__dict__, kind: None})
        await _save_draft(actor=actor, shop_id=shop_id, change=kind, before=current, after=after)


async def _own_products(shop_id: int, product_ids: list[int], *, active_only: bool = False) -> None:
    """NotFound unless every id is a product of this shop (and active, when asked)."""
    if not product_ids:
        return
    rows = await fetch(
        "SELECT id FROM product WHERE shop = {} AND id = ANY({}::int[])"
        + (" AND status = 'active'" if active_only else ""),
        shop_id,
        product_ids,
    )
    if len(rows) != len(set(product_ids)):
        raise NotFound(PRODUCT_NOT_FOUND)


async def set_featured(*, actor: Actor, shop_id: int, product_ids: list[int]) -> None:
    chosen = list(dict.fromkeys(product_ids))
    if len(chosen) > MAX_FEATURED:
        raise ValidationFailed({"featured": N_("Choose at most 8 featured products.")})
    await _own_products(shop_id, chosen, active_only=True)
    async with engine().transaction():
        current = _draft_of(await _row(shop_id, lock=True))
        after = Decoration(**{**current.__dict__, "featured": chosen})
        if after != current:
            await _save_draft(actor=actor, shop_id=shop_id, change="featured", before=current, after=after)


async def choose_featured(*, actor: Actor, shop_id: int, shown: list[int], chosen: list[int]) -> None:
    """From the picker: of the products it showed, the chosen ones are featured and the others not; featured
    products it did not show (filtered out by a search) stay, in their order, before the new ones."""
    if not set(chosen) <= set(shown):
        raise NotFound(PRODUCT_NOT_FOUND)
    current = await draft(shop_id=shop_id)
    kept = [i for i in current.featured if i not in shown or i in chosen]
    still_sold = {  # a featured product delisted since then is dropped rather than refused
        r["id"]
        for r in await fetch(
            "SELECT id FROM product WHERE shop = {} AND id = ANY({}::int[]) AND status = 'active'", shop_id, kept
        )
    }
    kept = [i for i in kept if i in still_sold or i in chosen]
    await set_featured(actor=actor, shop_id=shop_id, product_ids=kept + [i for i in chosen if i not in kept])


async def discard_draft(*, actor: Actor, shop_id: int) -> None:
    async with engine().transaction():
        row = await _row(shop_id, lock=True)
        await fetch("UPDATE shop SET decoration_draft = {}::jsonb WHERE id = {}", Decoration().to_json(), shop_id)
        await record_audit(
            actor=actor,
            action="shop.decoration_discard",
            target_type="shop",
            target_id=shop_id,
            before=json.loads(_draft_of(row).to_json()),
        )


async def publish(*, actor: Actor, shop_id: int) -> None:
    """Draft → published, with the sections as they are now; the shop's columns follow."""
    async with engine().transaction():
        row = await _row(shop_id, lock=True)
        before = Decoration.from_json(row["decoration"])
        after = _draft_of(row)
        after.sections = [{"id": s.id, "name": s.name} for s in await list_sections(shop_id=shop_id)]
        await fetch(
            "UPDATE shop SET decoration = {}::jsonb, decoration_draft = {}::jsonb, notice = {}, description = {}, "
            "logo_key = {}, banner_key = {} WHERE id = {}",
            after.to_json(),
            Decoration(**{**after.__dict__, "sections": []}).to_json(),
            after.notice,
            after.description,
            (after.logo or {}).get("key", ""),
            (after.banner or {}).get("key", ""),
            shop_id,
        )
        await record_audit(
            actor=actor,
            action="shop.decoration_publish",
            target_type="shop",
            target_id=shop_id,
            before=json.loads(before.to_json()),
            after=json.loads(after.to_json()),
        )


# ---------------------------------------------------------------- sections (店铺分类)
@dataclass(frozen=True, slots=True)
class Section:
    id: int
    name: str
    position: int
    products: int = 0


async def list_sections(*, shop_id: int) -> list[Section]:
    rows = await fetch(
        "SELECT s.id, s.name, s.position, (SELECT count(*) FROM product_shop_section ps JOIN product p "
        "ON p.id = ps.product AND p.shop = s.shop WHERE ps.section = s.id) AS products "
        "FROM shop_section s WHERE s.shop = {} ORDER BY s.position, s.id",
        shop_id,
    )
    return [Section(r["id"], r["name"], r["position"], r["products"]) for r in rows]


async def section(*, shop_id: int, section_id: int) -> Section:
    row = (
        await ShopSection.select(ShopSection.id, ShopSection.name, ShopSection.position)
        .where((ShopSection.id == section_id) & (ShopSection.shop == shop_id))
        .first()
    )
    if row is None:
        raise NotFound(SECTION_NOT_FOUND)
    return Section(row["id"], row["name"], row["position"])


async def _check_name(shop_id: int, name: str, *, other_than: int | None = None) -> str:
    name = " ".join(name.split())
    if not name or len(name) > SECTION_NAME_MAX:
        raise ValidationFailed({"name": N_("Enter a name of at most 20 characters.")})
    if not (await screen(name)).ok:
        raise ValidationFailed({"name": N_("This text contains words that are not allowed. Please rephrase it.")})
    taken = ShopSection.exists().where((ShopSection.shop == shop_id) & (ShopSection.name == name))
    if other_than is not None:
        taken = taken.where(ShopSection.id != other_than)
    if await taken:
        raise ValidationFailed({"name": N_("Your shop already has a category with this name.")})
    return name


async def add_section(*, actor: Actor, shop_id: int, name: str) -> int:
    async with engine().transaction():
        await _row(shop_id, lock=True)  # serialises section changes of one shop
        name = await _check_name(shop_id, name)
        if await ShopSection.count().where(ShopSection.shop == shop_id) >= MAX_SECTIONS:
            raise ValidationFailed({"name": N_("A shop can have at most 20 categories.")})
        top = await fetchrow("SELECT coalesce(max(position), 0) AS top FROM shop_section WHERE shop = {}", shop_id)
        new_id = (
            await ShopSection.insert(
                ShopSection(shop=shop_id, name=name, position=(top or {}).get("top", 0) + 1)
            ).returning(ShopSection.id)
        )[0]["id"]
        await record_audit(
            actor=actor, action="shop.section_add", target_type="shop", target_id=shop_id,
            after={"section": new_id, "name": name},
        )  # fmt: skip
    return int(new_id)


async def rename_section(*, actor: Actor, shop_id: int, section_id: int, name: str) -> None:
    async with engine().transaction():
        await _row(shop_id, lock=True)
        current = await section(shop_id=shop_id, section_id=section_id)
        name = await _check_name(shop_id, name, other_than=section_id)
        if name == current.name:
            return
        await ShopSection.update({ShopSection.name: name}).where(ShopSection.id == section_id)
        await record_audit(
            actor=actor, action="shop.section_rename", target_type="shop", target_id=shop_id,
            before={"section": section_id, "name": current.name}, after={"section": section_id, "name": name},
        )  # fmt: skip


async def move_section(*, actor: Actor, shop_id: int, section_id: int, direction: str) -> None:
    """Swap with the neighbour above ("up") or below ("down"); positions are renumbered 1..n."""
    async with engine().transaction():
        await _row(shop_id, lock=True)
        await section(shop_id=shop_id, section_id=section_id)
        ids = [s.id for s in await list_sections(shop_id=shop_id)]
        i = ids.index(section_id)
        j = i - 1 if direction == "up" else i + 1
        if direction not in ("up", "down") or not 0 <= j < len(ids):
            return
        before = list(ids)
        ids[i], ids[j] = ids[j], ids[i]
        await fetch(
            "UPDATE shop_section s SET position = o.n FROM unnest({}::int[]) WITH ORDINALITY AS o(id, n) "
            "WHERE s.id = o.id AND s.shop = {}",
            ids,
            shop_id,
        )
        await record_audit(
            actor=actor, action="shop.section_order", target_type="shop", target_id=shop_id,
            before={"order": before}, after={"order": ids},
        )  # fmt: skip


async def delete_section(*, actor: Actor, shop_id: int, section_id: int) -> None:
    """Gone from the editor and from the published tabs at once (a tab must never point at nothing)."""
    async with engine().transaction():
        row = await _row(shop_id, lock=True)
        current = await section(shop_id=shop_id, section_id=section_id)
        await ShopSection.delete().where(ShopSection.id == section_id)
        live = Decoration.from_json(row["decoration"])
        if any(s["id"] == section_id for s in live.sections):
            live.sections = [s for s in live.sections if s["id"] != section_id]
            await fetch("UPDATE shop SET decoration = {}::jsonb WHERE id = {}", live.to_json(), shop_id)
        await record_audit(
            actor=actor, action="shop.section_delete", target_type="shop", target_id=shop_id,
            before={"section": section_id, "name": current.name},
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class PickableProduct:
    id: int
    title: str
    status: str
    chosen: bool


async def products_for_picker(
    *, shop_id: int, q: str = "", section_id: int | None = None, featured: list[int] | None = None
) -> list[PickableProduct]:
    """The shop's products matching `q` (in the title), chosen ones first: marked when in the section, or
    when among `featured` (then only active products, the ones a shopper can see)."""
    if section_id is not None:
        sql = (
            "SELECT p.id, p.title, p.status, ps.product IS NOT NULL AS chosen FROM product p "
            "LEFT JOIN product_shop_section ps ON ps.product = p.id AND ps.section = {} WHERE p.shop = {}"
        )
        args: list[Any] = [section_id, shop_id]
    else:
        sql = (
            "SELECT p.id, p.title, p.status, p.id = ANY({}::int[]) AS chosen FROM product p "
            "WHERE p.shop = {} AND p.status = 'active'"
        )
        args = [featured or [], shop_id]
    if q.strip():
        sql += " AND p.title ILIKE {}"
        args.append("%" + q.strip().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%")
    sql += " ORDER BY chosen DESC, p.id DESC LIMIT {}"
    args.append(PRODUCT_PICKER_LIMIT)
    rows = await fetch(sql, *args)
    return [PickableProduct(r["id"], r["title"], r["status"], bool(r["chosen"])) for r in rows]


async def assign_products(*, actor: Actor, shop_id: int, section_id: int, shown: list[int], chosen: list[int]) -> None:
    """Of the products the form showed, put the chosen ones in the section and take the others out (products
    not shown, e.g. filtered out by a search, keep their place)."""
    chosen_set = set(chosen)
    if not chosen_set <= set(shown):
        raise NotFound(PRODUCT_NOT_FOUND)
    async with engine().transaction():
        await section(shop_id=shop_id, section_id=section_id)
        await _own_products(shop_id, list(set(shown)))
        before = {
            r["product"]
            for r in await ProductShopSection.select(ProductShopSection.product).where(
                ProductShopSection.section == section_id
            )
        }
        add = sorted(chosen_set - before)
        drop = sorted((set(shown) - chosen_set) & before)
        if drop:
            await ProductShopSection.delete().where(
                (ProductShopSection.section == section_id) & ProductShopSection.product.is_in(drop)
            )
        if add:
            await ProductShopSection.insert(*[ProductShopSection(section=section_id, product=p) for p in add])
        if add or drop:
            await record_audit(
                actor=actor, action="shop.section_products", target_type="shop", target_id=shop_id,
                after={"section": section_id, "added": add, "removed": drop},
            )  # fmt: skip


# ---------------------------------------------------------------- the storefront's view
def _cards(raw: Any) -> list[ProductCard]:
    data = json.loads(raw) if isinstance(raw, str) else raw
    return [card_from_row(r) for r in data or []]


@dataclass
class ShopView:
    """The shop page's decoration: published for shoppers, the draft (with live sections) for the preview."""

    decoration: Decoration
    featured: list[ProductCard]
    preview: bool = False


async def published_view(*, shop_id: int) -> ShopView:
    """One query: the published decoration and its featured products that shoppers may see, in order."""
    row = await fetchrow(
        "SELECT s.decoration, (SELECT json_agg(" + CARD_JSON + " ORDER BY f.n) "
        "FROM jsonb_array_elements_text(CASE WHEN jsonb_typeof(s.decoration -> 'featured') = 'array' "
        "THEN s.decoration -> 'featured' ELSE '[]'::jsonb END) WITH ORDINALITY AS f(id, n) "
        "JOIN product p ON p.id = f.id::int AND p.shop = s.id AND p.status = 'active') AS featured "
        "FROM shop s WHERE s.id = {} AND s.status = 'active'",
        shop_id,
    )
    if row is None:
        return ShopView(Decoration(), [])
    return ShopView(Decoration.from_json(row["decoration"]), _cards(row["featured"]))


async def preview_view(*, shop_id: int) -> ShopView:
    """The draft as the shop page would show it once published (sections as they are now)."""
    current = await draft(shop_id=shop_id)
    current.sections = [{"id": s.id, "name": s.name} for s in await list_sections(shop_id=shop_id)]
    rows = await fetch(
        "SELECT " + CARD_JSON + " AS card FROM unnest({}::int[]) WITH ORDINALITY AS f(id, n) "
        "JOIN product p ON p.id = f.id AND p.shop = {} AND p.status = 'active' JOIN shop s ON s.id = p.shop "
        "ORDER BY f.n",
        current.featured,
        shop_id,
    )
    cards = _cards([json.loads(r["card"]) if isinstance(r["card"], str) else r["card"] for r in rows])
    return ShopView(current, cards, preview=True)
