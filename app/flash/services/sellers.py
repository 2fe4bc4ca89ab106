"""The seller center's side: the sessions open for nominations, the shop's SKUs, nominating and withdrawing. Every
query is filtered by the shop, so another shop's row is not found."""

from __future__ import annotations

from dataclasses import dataclass

from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.core.errors import NotFound, ValidationFailed
from app.core.i18n import N_
from app.core.principal import Actor
from app.flash import rules
from app.flash.services._base import (
    _ITEM_SQL,
    ITEM_NOT_FOUND,
    SKU_NOT_FOUND,
    FlashError,
    ItemRow,
    SessionRow,
    _item,
    _paid_stats,
    _session_row,
    _spec,
)
from app.moderation.services import record_audit


async def open_sessions() -> list[SessionRow]:
    """Sessions sellers may nominate for: scheduled and not started yet."""
    now = clock.now()
    rows = await fetch(
        "SELECT id, title, starts_at, ends_at, status FROM flash_session WHERE status = 'scheduled' "
        "AND starts_at > {} ORDER BY starts_at, id LIMIT 50",
        now,
    )
    return [_session_row(r, now) for r in rows]


@dataclass(frozen=True, slots=True)
class ShopSku:
    sku_id: int
    title: str
    spec: str
    price_fen: int
    stock: int


async def shop_skus(*, shop_id: int, limit: int = 300) -> list[ShopSku]:
    """The shop's SKUs of products on sale, for the nomination form."""
    rows = await fetch(
        "SELECT s.id, p.title, s.spec_values, s.price_fen, s.stock FROM sku s JOIN product p ON p.id = s.product "
        "WHERE p.shop = {} AND p.status = 'active' ORDER BY p.id DESC, s.position, s.id LIMIT {}",
        shop_id,
        limit,
    )
    return [ShopSku(r["id"], r["title"], _spec(r["spec_values"]), int(r["price_fen"]), int(r["stock"])) for r in rows]


async def nominate(
    *,
    actor: Actor,
    shop_id: int,
    session_id: int | None,
    sku_id: int | None,
    flash_price_fen: int | None,
    flash_stock: int | None,
    per_user_limit: int | None,
) -> int:
    """A seller proposes one of its own active SKUs for an upcoming session. Another shop's SKU is not found."""
    errors: dict[str, str] = {}
    if flash_price_fen is None:
        errors["flash_price"] = N_("Enter an amount such as 12.30")
    if flash_stock is None:
        errors["flash_stock"] = N_("Enter a flash stock between 1 and 100000.")
    if per_user_limit is None:
        errors["per_user_limit"] = N_("Enter a limit per buyer between 1 and 99.")
    async with engine().transaction():
        session = None
        if session_id is not None:
            session = await fetchrow(
                "SELECT id, starts_at, status FROM flash_session WHERE id = {} AND status = 'scheduled'", session_id
            )
        if session is None or session["starts_at"] <= clock.now():
            errors["session"] = N_("Choose a session that has not started.")
        sku = None
        if sku_id is not None:  # locked: two nominations of one SKU at once cannot both pass the duplicate check
            sku = await fetchrow(
                "SELECT s.id, s.product, s.price_fen, s.stock FROM sku s JOIN product p ON p.id = s.product "
                "WHERE s.id = {} AND p.shop = {} AND p.status = 'active' FOR UPDATE OF s",
                sku_id,
                shop_id,
            )
        if sku is None:
            errors["sku"] = SKU_NOT_FOUND
        if sku is not None and flash_price_fen is not None and flash_stock is not None and per_user_limit is not None:
            errors.update(
                {
                    k: v
                    for k, v in rules.check_nomination(
                        flash_price_fen=flash_price_fen,
                        list_price_fen=int(sku["price_fen"]),
                        flash_stock=flash_stock,
                        sku_stock=int(sku["stock"]),
                        per_user_limit=per_user_limit,
                    ).items()
                    if k not in errors
                }
            )
        if sku is not None and session is not None and "session" not in errors:
            dup = await fetchrow(
                "SELECT id FROM flash_item WHERE session = {} AND sku = {} AND status IN ('nominated', 'approved')",
                session_id,
                sku_id,
            )
            if dup is not None:
                errors["sku"] = N_("This SKU is already nominated for this session.")
        if errors:
            raise ValidationFailed(errors)
        assert sku is not None
        row = await fetchrow(
            "INSERT INTO flash_item (session, shop, product, sku, flash_price_fen, flash_stock, sold, returned_qty, "
            "per_user_limit, status, reason, stock_reserved, returned, created_at) "
            "VALUES ({}, {}, {}, {}, {}, {}, 0, 0, {}, 'nominated', '', false, false, {}) RETURNING id",
            session_id,
            shop_id,
            sku["product"],
            sku_id,
            flash_price_fen,
            flash_stock,
            per_user_limit,
            clock.now(),
        )
        assert row is not None
        await record_audit(
            actor=actor,
            action="flash.item_nominate",
            target_type="flash_item",
            target_id=row["id"],
            after={
                "shop": shop_id,
                "session": session_id,
                "sku": sku_id,
                "flash_price_fen": flash_price_fen,
                "flash_stock": flash_stock,
                "per_user_limit": per_user_limit,
            },
        )
    return int(row["id"])


async def withdraw(*, actor: Actor, shop_id: int, item_id: int) -> None:
    """The seller takes back a nomination the platform has not decided yet."""
    async with engine().transaction():
        done = await fetchrow(
            "UPDATE flash_item SET status = 'withdrawn' WHERE id = {} AND shop = {} AND status = 'nominated' "
            "RETURNING id",
            item_id,
            shop_id,
        )
        if done is None:
            if await fetchrow("SELECT id FROM flash_item WHERE id = {} AND shop = {}", item_id, shop_id) is None:
                raise NotFound(ITEM_NOT_FOUND)
            raise FlashError(N_("Only a nomination waiting for review can be withdrawn."))
        await record_audit(
            actor=actor,
            action="flash.item_withdraw",
            target_type="flash_item",
            target_id=item_id,
            before={"status": "nominated"},
            after={"status": "withdrawn", "shop": shop_id},
        )


@dataclass(frozen=True, slots=True)
class ShopNomination:
    item: ItemRow
    session: SessionRow


async def shop_nominations(*, shop_id: int, limit: int = 100) -> list[ShopNomination]:
    now = clock.now()
    rows = await fetch(
        _ITEM_SQL.replace(
            "SELECT f.id,",
            "SELECT fs.title AS session_title, fs.starts_at, fs.ends_at, fs.status AS session_status, f.id,",
        )
        + " JOIN flash_session fs ON fs.id = f.session WHERE f.shop = {} ORDER BY fs.starts_at DESC, f.id DESC "
        "LIMIT {}",
        shop_id,
        limit,
    )
    stats = await _paid_stats([r["id"] for r in rows if r["status"] == "approved"])
    out = []
    for r in rows:
        session = {
            "id": r["session_id"],
            "title": r["session_title"],
            "starts_at": r["starts_at"],
            "ends_at": r["ends_at"],
            "status": r["session_status"],
        }
        out.append(ShopNomination(item=_item(r, stats), session=_session_row(session, now)))
    return out
