"""Flash sales (秒杀): the platform's sessions, sellers' nominations, approval (which moves the flash stock out of the
SKU's stock), what the storefront shows, the per-session results, and the sweep that gives unsold flash stock back
once a session is over. Buying goes through checkout (app/flash/checkout.py is what place_order calls).

Lock order: a SKU row before its flash item (approval), a flash item before its SKU only where no checkout can
still take it (the end-of-session sweep, a release after the stock went back), products last in id order."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.config import get_settings
from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.core.errors import DomainError, NotFound, ValidationFailed
from app.core.i18n import N_
from app.core.principal import Actor
from app.flash import rules
from app.moderation.services import record_audit

SESSION_NOT_FOUND = N_("Flash sale session not found.")
ITEM_NOT_FOUND = N_("Flash sale item not found.")
SKU_NOT_FOUND = N_("Choose one of your shop's products.")


class FlashError(DomainError):
    code = "flash_error"


# ---------------------------------------------------------------------------------------------------------------
# helpers


def _tz() -> ZoneInfo:
    return ZoneInfo(get_settings().display_timezone)


def parse_local(text: str) -> datetime | None:
    """A datetime-local input ('2026-11-23T14:00') in the display time zone → aware UTC; None if unreadable."""
    value = (text or "").strip()
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=_tz())
    return parsed.astimezone(ZoneInfo("UTC"))


def local_input(value: datetime | None) -> str:
    """The datetime-local value of an aware datetime, in the display time zone."""
    return value.astimezone(_tz()).strftime("%Y-%m-%dT%H:%M") if value else ""


def _spec(raw: Any) -> str:
    specs = json.loads(raw) if isinstance(raw, str) else (raw or {})
    return " / ".join(f"{k}: {v}" for k, v in specs.items())


async def _refresh_products(product_ids: list[int]) -> None:
    """The catalog's stock summaries, in the caller's transaction; product rows locked in id order first."""
    from app.catalog.services import refresh_product_summaries

    ids = sorted(set(product_ids))
    if not ids:
        return
    await fetch("SELECT id FROM product WHERE id = ANY({}::int[]) ORDER BY id FOR NO KEY UPDATE", ids)
    await refresh_product_summaries(product_ids=ids)


# ---------------------------------------------------------------------------------------------------------------
# sessions (admin)


@dataclass(frozen=True, slots=True)
class SessionRow:
    id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    status: str
    phase: str
    nominated: int = 0
    approved: int = 0


def _session_row(r: dict[str, Any], now: datetime) -> SessionRow:
    return SessionRow(
        id=r["id"],
        title=r["title"],
        starts_at=r["starts_at"],
        ends_at=r["ends_at"],
        status=r["status"],
        phase=rules.phase(starts_at=r["starts_at"], ends_at=r["ends_at"], status=r["status"], now=now),
        nominated=int(r.get("nominated") or 0),
        approved=int(r.get("approved") or 0),
    )


def _check_session(title: str, starts_at: datetime | None, ends_at: datetime | None) -> dict[str, Any]:
    errors: dict[str, str] = {}
    title = (title or "").strip()
    if not title:
        errors["title"] = N_("Enter a title.")
    elif len(title) > 60:
        errors["title"] = N_("The title is at most 60 characters.")
    if starts_at is None:
        errors["starts_at"] = N_("Enter the start date and time.")
    if ends_at is None:
        errors["ends_at"] = N_("Enter the end date and time.")
    elif starts_at is not None and ends_at <= starts_at:
        errors["ends_at"] = N_("The end must be after the start.")
    elif starts_at is not None and ends_at - starts_at > timedelta(days=7):
        errors["ends_at"] = N_("A session lasts at most 7 days.")
    if errors:
        raise ValidationFailed(errors)
    return {"title": title, "starts_at": starts_at, "ends_at": ends_at}


async def create_session(*, actor: Actor, title: str, starts_at: datetime | None, ends_at: datetime | None) -> int:
    values = _check_session(title, starts_at, ends_at)
    async with engine().transaction():
        row = await fetchrow(
            "INSERT INTO flash_session (title, starts_at, ends_at, status, created_at) "
            "VALUES ({}, {}, {}, 'scheduled', {}) RETURNING id",
            values["title"],
            values["starts_at"],
            values["ends_at"],
            clock.now(),
        )
        assert row is not None
        await record_audit(
            actor=actor,
            action="flash.session_create",
            target_type="flash_session",
            target_id=row["id"],
            after={k: str(v) for k, v in values.items()},
        )
    return int(row["id"])


async def update_session(
    *, actor: Actor, session_id: int, title: str, starts_at: datetime | None, ends_at: datetime | None
) -> None:
    """Title and times of a session not cancelled and not over."""
    values = _check_session(title, starts_at, ends_at)
    async with engine().transaction():
        before = await fetchrow(
            "SELECT id, title, starts_at, ends_at, status FROM flash_session WHERE id = {} FOR UPDATE", session_id
        )
        if before is None:
            raise NotFound(SESSION_NOT_FOUND)
        if before["status"] == "cancelled" or before["ends_at"] <= clock.now():
            raise FlashError(N_("This session is over or cancelled and can no longer be changed."))
        await fetch(
            "UPDATE flash_session SET title = {}, starts_at = {}, ends_at = {} WHERE id = {}",
            values["title"],
            values["starts_at"],
            values["ends_at"],
            session_id,
        )
        await record_audit(
            actor=actor,
            action="flash.session_update",
            target_type="flash_session",
            target_id=session_id,
            before={k: str(before[k]) for k in ("title", "starts_at", "ends_at")},
            after={k: str(v) for k, v in values.items()},
        )


async def cancel_session(*, actor: Actor, session_id: int) -> int:
    """Cancel a session that is not over: its approved items stop selling and their unsold flash stock goes back
    to the SKUs now. Returns how many items gave stock back."""
    async with engine().transaction():
        row = await fetchrow("SELECT id, status, ends_at FROM flash_session WHERE id = {} FOR UPDATE", session_id)
        if row is None:
            raise NotFound(SESSION_NOT_FOUND)
        if row["status"] == "cancelled":
            raise FlashError(N_("This session is already cancelled."))
        if row["ends_at"] <= clock.now():
            raise FlashError(N_("This session is over or cancelled and can no longer be changed."))
        await fetch("UPDATE flash_session SET status = 'cancelled' WHERE id = {}", session_id)
        items = await fetch(
            "SELECT id FROM flash_item WHERE session = {} AND stock_reserved AND NOT returned ORDER BY id FOR UPDATE",
            session_id,
        )
        returned = await _return_items([r["id"] for r in items])
        await record_audit(
            actor=actor,
            action="flash.session_cancel",
            target_type="flash_session",
            target_id=session_id,
            before={"status": row["status"]},
            after={"status": "cancelled", "items_returned": returned},
        )
    return returned


async def admin_sessions(*, limit: int = 60) -> list[SessionRow]:
    """Sessions not ended more than 30 days ago, the latest start first, with their nomination counts."""
    now = clock.now()
    rows = await fetch(
        "SELECT s.id, s.title, s.starts_at, s.ends_at, s.status, "
        "count(f.id) FILTER (WHERE f.status = 'nominated') AS nominated, "
        "count(f.id) FILTER (WHERE f.status = 'approved') AS approved "
        "FROM flash_session s LEFT JOIN flash_item f ON f.session = s.id WHERE s.ends_at > {} "
        "GROUP BY s.id ORDER BY s.starts_at DESC, s.id DESC LIMIT {}",
        now - timedelta(days=30),
        limit,
    )
    return [_session_row(r, now) for r in rows]


async def get_session(*, session_id: int) -> SessionRow:
    row = await fetchrow("SELECT id, title, starts_at, ends_at, status FROM flash_session WHERE id = {}", session_id)
    if row is None:
        raise NotFound(SESSION_NOT_FOUND)
    return _session_row(row, clock.now())


# ---------------------------------------------------------------------------------------------------------------
# items: what admins and sellers see


@dataclass(frozen=True, slots=True)
class ItemRow:
    id: int
    session_id: int
    shop_id: int
    shop_name: str
    product_id: int
    sku_id: int
    title: str
    spec: str
    image_key: str
    image_width: int
    image_height: int
    price_fen: int  # the SKU's price today
    sku_stock: int
    flash_price_fen: int
    flash_stock: int
    sold: int
    returned_qty: int
    per_user_limit: int
    status: str
    reason: str
    orders: int = 0  # paid orders
    gmv_fen: int = 0  # what those orders paid for this item

    @property
    def total(self) -> int:
        return self.flash_stock + self.sold + self.returned_qty

    @property
    def sold_pct(self) -> int:
        return 100 * self.sold // self.total if self.total else 0


_ITEM_SQL = """
SELECT f.id, f.session AS session_id, f.shop AS shop_id, sh.name AS shop_name, f.product AS product_id,
       f.sku AS sku_id, p.title, s.spec_values, s.price_fen, s.stock AS sku_stock, f.flash_price_fen, f.flash_stock,
       f.sold, f.returned_qty, f.per_user_limit, f.status, f.reason,
       coalesce(img.key, '') AS image_key, coalesce(img.width, 0) AS image_width,
       coalesce(img.height, 0) AS image_height
FROM flash_item f JOIN sku s ON s.id = f.sku JOIN product p ON p.id = f.product JOIN shop sh ON sh.id = f.shop
LEFT JOIN LATERAL (SELECT i.key, i.width, i.height FROM product_image i WHERE i.product = p.id
                   ORDER BY (i.position = s.image_position) DESC, i.position LIMIT 1) img ON true
"""


def _item(r: dict[str, Any], stats: dict[int, dict[str, Any]] | None = None) -> ItemRow:
    stat = (stats or {}).get(r["id"], {})
    return ItemRow(
        id=r["id"],
        session_id=r["session_id"],
        shop_id=r["shop_id"],
        shop_name=r["shop_name"],
        product_id=r["product_id"],
        sku_id=r["sku_id"],
        title=r["title"],
        spec=_spec(r["spec_values"]),
        image_key=r["image_key"],
        image_width=int(r["image_width"]),
        image_height=int(r["image_height"]),
        price_fen=int(r["price_fen"]),
        sku_stock=int(r["sku_stock"]),
        flash_price_fen=int(r["flash_price_fen"]),
        flash_stock=int(r["flash_stock"]),
        sold=int(r["sold"]),
        returned_qty=int(r["returned_qty"]),
        per_user_limit=int(r["per_user_limit"]),
        status=r["status"],
        reason=r["reason"],
        orders=int(stat.get("orders") or 0),
        gmv_fen=int(stat.get("gmv") or 0),
    )


async def _paid_stats(item_ids: list[int]) -> dict[int, dict[str, Any]]:
    """Paid orders and what they paid per flash item (order items whose stock came from it)."""
    if not item_ids:
        return {}
    rows = await fetch(
        "SELECT substr(i.stock_source, 7)::int AS item, count(DISTINCT o.id) AS orders, sum(i.paid_fen) AS gmv "
        'FROM order_item i JOIN shop_order o ON o.id = i."order" '
        "WHERE i.stock_source = ANY({}::text[]) AND o.paid_at IS NOT NULL GROUP BY i.stock_source",
        [f"flash:{i}" for i in item_ids],
    )
    return {r["item"]: r for r in rows}


@dataclass(frozen=True, slots=True)
class SessionResults:
    session: SessionRow
    items: list[ItemRow]
    sold: int
    orders: int
    gmv_fen: int


async def session_results(*, session_id: int) -> SessionResults:
    """The admin's view of one session: every nomination, and for the approved ones units sold, paid orders, GMV."""
    session = await get_session(session_id=session_id)
    rows = await fetch(_ITEM_SQL + " WHERE f.session = {} ORDER BY f.status = 'nominated' DESC, f.id", session_id)
    stats = await _paid_stats([r["id"] for r in rows if r["status"] == "approved"])
    items = [_item(r, stats) for r in rows]
    approved = [i for i in items if i.status == "approved"]
    return SessionResults(
        session=session,
        items=items,
        sold=sum(i.sold for i in approved),
        orders=sum(i.orders for i in approved),
        gmv_fen=sum(i.gmv_fen for i in approved),
    )


# ---------------------------------------------------------------------------------------------------------------
# approval (admin)


async def item_session_id(*, item_id: int) -> int:
    row = await fetchrow("SELECT session FROM flash_item WHERE id = {}", item_id)
    if row is None:
        raise NotFound(ITEM_NOT_FOUND)
    return int(row["session"])


async def approve_item(*, actor: Actor, item_id: int) -> None:
    """Approve a nomination: its flash stock leaves the SKU's stock with one conditional UPDATE (refused with a
    message when the SKU no longer has it), then the product's stock summary is refreshed."""
    item = await fetchrow(
        "SELECT f.id, f.sku, f.product, f.flash_stock, f.status, s.status AS session_status, s.ends_at "
        "FROM flash_item f JOIN flash_session s ON s.id = f.session WHERE f.id = {}",
        item_id,
    )
    if item is None:
        raise NotFound(ITEM_NOT_FOUND)
    if item["status"] != "nominated":
        raise FlashError(N_("This nomination has already been decided or withdrawn."))
    if item["session_status"] == "cancelled" or item["ends_at"] <= clock.now():
        raise FlashError(N_("This session is over or cancelled and can no longer be changed."))
    async with engine().transaction():
        taken = await fetchrow(
            "UPDATE sku SET stock = stock - {} WHERE id = {} AND stock >= {} RETURNING stock",
            item["flash_stock"],
            item["sku"],
            item["flash_stock"],
        )
        if taken is None:
            left = await fetchrow("SELECT stock FROM sku WHERE id = {}", item["sku"])
            raise FlashError(
                N_("The SKU has only %(left)s in stock: %(want)s cannot be reserved for the flash sale."),
                left=int(left["stock"]) if left else 0,
                want=item["flash_stock"],
            )
        done = await fetchrow(
            "UPDATE flash_item SET status = 'approved', stock_reserved = true, reviewed_by = {}, reviewed_at = {} "
            "WHERE id = {} AND status = 'nominated' RETURNING id",
            actor.user_id,
            clock.now(),
            item_id,
        )
        if done is None:  # decided meanwhile: the stock UPDATE above rolls back with this error
            raise FlashError(N_("This nomination has already been decided or withdrawn."))
        await _refresh_products([item["product"]])
        await record_audit(
            actor=actor,
            action="flash.item_approve",
            target_type="flash_item",
            target_id=item_id,
            before={"status": "nominated"},
            after={"status": "approved", "reserved": item["flash_stock"], "sku": item["sku"]},
        )


async def reject_item(*, actor: Actor, item_id: int, reason: str) -> None:
    reason = (reason or "").strip()
    if not reason:
        raise ValidationFailed({"reason": N_("Tell the seller why.")})
    if len(reason) > 200:
        raise ValidationFailed({"reason": N_("The reason is at most 200 characters.")})
    async with engine().transaction():
        done = await fetchrow(
            "UPDATE flash_item SET status = 'rejected', reason = {}, reviewed_by = {}, reviewed_at = {} "
            "WHERE id = {} AND status = 'nominated' RETURNING id, shop",
            reason,
            actor.user_id,
            clock.now(),
            item_id,
        )
        if done is None:
            if await fetchrow("SELECT id FROM flash_item WHERE id = {}", item_id) is None:
                raise NotFound(ITEM_NOT_FOUND)
            raise FlashError(N_("This nomination has already been decided or withdrawn."))
        await record_audit(
            actor=actor,
            action="flash.item_reject",
            target_type="flash_item",
            target_id=item_id,
            before={"status": "nominated"},
            after={"status": "rejected", "reason": reason},
        )


# ---------------------------------------------------------------------------------------------------------------
# nominations (seller)


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


# ---------------------------------------------------------------------------------------------------------------
# storefront


@dataclass(frozen=True, slots=True)
class ShopperSession:
    session: SessionRow
    countdown: rules.Countdown
    items: list[ItemRow]


async def storefront_sessions() -> list[SessionRow]:
    """Today's sessions (display time zone) and tomorrow's, in start order: ended, running and upcoming."""
    now = clock.now()
    local = now.astimezone(_tz())
    day_start = local.replace(hour=0, minute=0, second=0, microsecond=0)
    rows = await fetch(
        "SELECT id, title, starts_at, ends_at, status FROM flash_session WHERE status = 'scheduled' "
        "AND ends_at > {} AND starts_at < {} ORDER BY starts_at, id LIMIT 12",
        day_start,
        day_start + timedelta(days=2),
    )
    return [_session_row(r, now) for r in rows]


def default_session(sessions: list[SessionRow]) -> SessionRow | None:
    """The tab opened first: the running session, else the next one, else the last."""
    for wanted in (rules.RUNNING, rules.UPCOMING):
        for s in sessions:
            if s.phase == wanted:
                return s
    return sessions[-1] if sessions else None


async def shopper_session(*, session_id: int, limit: int = 60) -> ShopperSession:
    """One session as shoppers see it: its countdown at the server's now and its approved items on sale."""
    row = await fetchrow(
        "SELECT id, title, starts_at, ends_at, status FROM flash_session WHERE id = {} AND status = 'scheduled'",
        session_id,
    )
    if row is None:
        raise NotFound(SESSION_NOT_FOUND)
    now = clock.now()
    rows = await fetch(
        _ITEM_SQL + " WHERE f.session = {} AND f.status = 'approved' AND p.status = 'active' "
        "AND sh.status = 'active' ORDER BY f.id LIMIT {}",
        session_id,
        limit,
    )
    return ShopperSession(
        session=_session_row(row, now),
        countdown=rules.countdown(starts_at=row["starts_at"], ends_at=row["ends_at"], status=row["status"], now=now),
        items=[_item(r) for r in rows],
    )


async def strip_session() -> ShopperSession | None:
    """For the home page: the running session (the one ending first), else the next one starting within a day."""
    now = clock.now()
    row = await fetchrow(
        "SELECT id FROM flash_session WHERE status = 'scheduled' AND ends_at > {} AND starts_at < {} "
        "AND EXISTS (SELECT 1 FROM flash_item f WHERE f.session = flash_session.id AND f.status = 'approved') "
        "ORDER BY (starts_at <= {}) DESC, CASE WHEN starts_at <= {} THEN ends_at ELSE starts_at END, id LIMIT 1",
        now,
        now + timedelta(days=1),
        now,
        now,
    )
    if row is None:
        return None
    return await shopper_session(session_id=row["id"], limit=6)


@dataclass(frozen=True, slots=True)
class BuyState:
    item_id: int
    session_id: int
    sku_id: int
    product_id: int
    phase: str
    status: str
    flash_stock: int
    per_user_limit: int

    @property
    def refusal(self) -> str | None:
        return rules.buy_refusal(phase_now=self.phase, item_status=self.status, flash_stock=self.flash_stock)


async def buy_state(*, item_id: int) -> BuyState:
    """The cheap read before a buy: one row by primary key joined to its session."""
    r = await fetchrow(
        "SELECT f.id, f.session, f.sku, f.product, f.status, f.flash_stock, f.per_user_limit, s.starts_at, s.ends_at, "
        "s.status AS session_status FROM flash_item f JOIN flash_session s ON s.id = f.session WHERE f.id = {}",
        item_id,
    )
    if r is None:
        raise NotFound(ITEM_NOT_FOUND)
    return BuyState(
        item_id=r["id"],
        session_id=r["session"],
        sku_id=r["sku"],
        product_id=r["product"],
        phase=rules.phase(starts_at=r["starts_at"], ends_at=r["ends_at"], status=r["session_status"], now=clock.now()),
        status=r["status"],
        flash_stock=int(r["flash_stock"]),
        per_user_limit=int(r["per_user_limit"]),
    )


async def bought(*, buyer_id: int, item_ids: list[int]) -> dict[int, int]:
    """How many units of these items the buyer holds in orders not cancelled."""
    if not item_ids:
        return {}
    rows = await fetch(
        "SELECT item, quantity FROM flash_purchase WHERE buyer = {} AND item = ANY({}::int[])", buyer_id, item_ids
    )
    return {r["item"]: int(r["quantity"]) for r in rows}


# ---------------------------------------------------------------------------------------------------------------
# giving unsold stock back


async def _return_items(item_ids: list[int]) -> int:
    """Give each item's unsold flash stock back to its SKU, once (the items are locked by the caller)."""
    if not item_ids:
        return 0
    rows = await fetch(
        "UPDATE flash_item SET returned = true, returned_qty = returned_qty + flash_stock, flash_stock = 0 "
        "WHERE id = ANY({}::int[]) AND stock_reserved AND NOT returned "
        "RETURNING id, sku, product, returned_qty, flash_stock",
        item_ids,
    )
    moved: dict[int, int] = {}
    for r in rows:
        # returned_qty now holds what went back (plus nothing earlier: `returned` is set once)
        moved[r["sku"]] = moved.get(r["sku"], 0) + int(r["returned_qty"])
    for sku_id in sorted(moved):
        if moved[sku_id]:
            await fetch("UPDATE sku SET stock = stock + {} WHERE id = {}", moved[sku_id], sku_id)
    await _refresh_products([r["product"] for r in rows])
    return len(rows)


async def return_unsold_stock(*, batch: int = 100) -> int:
    """The worker's sweep: for every approved item of a session that has ended (or was cancelled), its unsold flash
    stock goes back to the SKU, once. Safe with several workers (SKIP LOCKED) and against a late cancellation
    (release_flash_stock locks the same item row)."""
    done = 0
    while True:
        async with engine().transaction():
            rows = await fetch(
                "SELECT f.id FROM flash_item f JOIN flash_session s ON s.id = f.session "
                "WHERE f.stock_reserved AND NOT f.returned AND (s.ends_at <= {} OR s.status = 'cancelled') "
                "ORDER BY f.id LIMIT {} FOR UPDATE OF f SKIP LOCKED",
                clock.now(),
                batch,
            )
            done += await _return_items([r["id"] for r in rows])
        if len(rows) < batch:
            return done
