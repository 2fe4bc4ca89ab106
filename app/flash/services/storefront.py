"""What shoppers see: today's sessions, one session with its countdown and items, the home strip, and the cheap
read before a buy."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from app.core import clock
from app.core.db import fetch, fetchrow
from app.core.errors import NotFound
from app.flash import rules
from app.flash.services._base import (
    _ITEM_SQL,
    ITEM_NOT_FOUND,
    SESSION_NOT_FOUND,
    ItemRow,
    SessionRow,
    _item,
    _session_row,
    _tz,
)


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
