"""The points mall (积分商城): items that points buy. A coupon item grants the coupon at once (through app/coupons);
a gift item records a redemption the platform then ships. Redeeming debits the ledger and takes one from stock in
one transaction: the member's ledger lock first, then one conditional UPDATE of the stock (CHECK stock >= 0)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.core.errors import DomainError, NotFound, ValidationFailed
from app.core.i18n import N_
from app.core.principal import Actor
from app.membership import coupon_link, ledger
from app.moderation.services import record_audit


@dataclass(frozen=True, slots=True)
class MallItem:
    id: int
    title: str
    description: str
    kind: str
    coupon_template_id: int | None
    gift_sku_id: int | None
    cost_points: int
    stock: int
    per_user_limit: int
    active: bool


_COLUMNS = "id, title, description, kind, coupon_template_id, gift_sku_id, cost_points, stock, per_user_limit, active"


def _item(row: dict) -> MallItem:  # type: ignore[type-arg]
    return MallItem(**{k: row[k] for k in MallItem.__dataclass_fields__})


async def list_items(*, active_only: bool = True) -> list[MallItem]:
    where = "WHERE active" if active_only else ""
    rows = await fetch(f"SELECT {_COLUMNS} FROM points_mall_item {where} ORDER BY cost_points, id")  # noqa: S608
    return [_item(r) for r in rows]


async def get_item(item_id: int) -> MallItem:
    row = await fetchrow(f"SELECT {_COLUMNS} FROM points_mall_item WHERE id = {{}}", item_id)  # noqa: S608
    if row is None:
        raise NotFound(N_("This item is not in the points mall."))
    return _item(row)


async def redeemed_counts(user_id: int) -> dict[int, int]:
    rows = await fetch('SELECT item, count(*) AS n FROM points_redemption WHERE "user" = {} GROUP BY item', user_id)
    return {int(r["item"]): int(r["n"]) for r in rows}


@dataclass(frozen=True, slots=True)
class Redemption:
    id: int
    item_title: str
    kind: str
    cost_points: int
    status: str
    created_at: datetime


async def my_redemptions(user_id: int, *, limit: int = 20) -> list[Redemption]:
    rows = await fetch(
        "SELECT r.id, i.title, i.kind, r.cost_points, r.status, r.created_at FROM points_redemption r "
        'JOIN points_mall_item i ON i.id = r.item WHERE r."user" = {} ORDER BY r.id DESC LIMIT {}',
        user_id,
        limit,
    )
    return [Redemption(r["id"], r["title"], r["kind"], r["cost_points"], r["status"], r["created_at"]) for r in rows]


async def redeem(*, user_id: int, item_id: int) -> Redemption:
    """Spend points on one item. Refused: paused or unknown item, out of stock, per-user limit reached, not enough
    points, a coupon item while coupons are unavailable. Everything or nothing."""
    async with engine().transaction():
        await ledger.lock_member(user_id)  # per-user limit and balance are checked under the member's lock
        item = await get_item(item_id)
        if not item.active:
            raise DomainError(N_("This item is paused."))
        if item.kind == "coupon" and (item.coupon_template_id is None or not coupon_link.available()):
            raise DomainError(N_("Coupons cannot be redeemed right now. Your points have not been used."))
        address: dict[str, Any] = {}
        if item.kind == "gift":
            address = await _default_address(user_id)
            if not address:
                raise DomainError(N_("Add a default delivery address first: the gift is shipped there."))
        count = await fetchrow(
            'SELECT count(*) AS n FROM points_redemption WHERE "user" = {} AND item = {}', user_id, item_id
        )
        if count and int(count["n"]) >= item.per_user_limit:
            raise DomainError(
                N_("You have redeemed this item %(limit)s times, the most allowed."), limit=item.per_user_limit
            )
        taken = await fetchrow(
            "UPDATE points_mall_item SET stock = stock - 1 WHERE id = {} AND active AND stock > 0 RETURNING id", item_id
        )
        if taken is None:
            raise DomainError(N_("Sorry, this item is out of stock."))
        row = await fetchrow(
            'INSERT INTO points_redemption (item, "user", cost_points, status, address, created_at) '
            "VALUES ({}, {}, {}, {}, {}::jsonb, {}) RETURNING id, created_at",
            item_id,
            user_id,
            item.cost_points,
            "granted" if item.kind == "coupon" else "pending",
            json.dumps(address, ensure_ascii=False),
            clock.now(),
        )
        assert row is not None
        await ledger.debit(user_id=user_id, points=item.cost_points, reason="mall", ref=str(row["id"]))
        if item.kind == "coupon":
            assert item.coupon_template_id is not None
            coupon_id = await coupon_link.grant(
                template_id=item.coupon_template_id, user_id=user_id, ref=f"mall:{row['id']}"
            )
            await fetch("UPDATE points_redemption SET user_coupon_id = {} WHERE id = {}", coupon_id, row["id"])
    return Redemption(
        row["id"],
        item.title,
        item.kind,
        item.cost_points,
        "granted" if item.kind == "coupon" else "pending",
        row["created_at"],
    )


async def _default_address(user_id: int) -> dict[str, Any]:
    from app.accounts.addresses import address_snapshot, default_address

    found = await default_address(user_id=user_id)
    return await address_snapshot(user_id=user_id, address_id=found.id) if found else {}


# -- admin -----------------------------------------------------------------------------------------------------


def _whole(form: dict[str, str], name: str, errors: dict[str, str], lo: int, msg: str) -> int:
    try:
        value = int((form.get(name) or "").strip())
    except ValueError:
        errors[name] = msg
        return 0
    if value < lo or value > 10**9:
        errors[name] = msg
    return value


def _optional_id(form: dict[str, str], name: str, errors: dict[str, str], msg: str) -> int | None:
    raw = (form.get(name) or "").strip()
    if not raw:
        return None
    try:
        value = int(raw)
    except ValueError:
        value = 0
    if value <= 0:
        errors[name] = msg
        return None
    return value


def parse_item(form: dict[str, str]) -> dict[str, object]:
    errors: dict[str, str] = {}
    title = (form.get("title") or "").strip()
    if not title or len(title) > 80:
        errors["title"] = N_("Enter a title of 1 to 80 characters.")
    description = (form.get("description") or "").strip()
    if len(description) > 300:
        errors["description"] = N_("Keep the description under 300 characters.")
    kind = form.get("kind", "")
    if kind not in ("coupon", "gift"):
        errors["kind"] = N_("Choose a coupon or a gift.")
    template = _optional_id(form, "coupon_template_id", errors, N_("Enter a coupon template number."))
    sku = _optional_id(form, "gift_sku_id", errors, N_("Enter a SKU number, or leave it empty."))
    if kind == "coupon" and template is None and "coupon_template_id" not in errors:
        errors["coupon_template_id"] = N_("A coupon item needs a coupon template.")
    values: dict[str, object] = {
        "title": title,
        "description": description,
        "kind": kind,
        "coupon_template_id": template if kind == "coupon" else None,
        "gift_sku_id": sku if kind == "gift" else None,
        "cost_points": _whole(form, "cost_points", errors, 1, N_("Enter a cost of 1 point or more.")),
        "stock": _whole(form, "stock", errors, 0, N_("Enter a stock of 0 or more.")),
        "per_user_limit": _whole(form, "per_user_limit", errors, 1, N_("Enter a limit of 1 or more.")),
        "active": form.get("active") in ("on", "1", "true"),
    }
    if errors:
        raise ValidationFailed(errors)
    return values


async def save_item(*, actor: Actor, item_id: int | None, form: dict[str, str]) -> int:
    values = parse_item(form)
    cols = list(values)
    async with engine().transaction():
        before = None
        if item_id is not None:
            row = await fetchrow(f"SELECT {_COLUMNS} FROM points_mall_item WHERE id = {{}} FOR UPDATE", item_id)  # noqa: S608
            if row is None:
                raise NotFound(N_("This item is not in the points mall."))
            before = asdict(_item(row))
            await fetch(
                "UPDATE points_mall_item SET "  # noqa: S608 (fixed column names)
                + ", ".join(f"{c} = {{}}" for c in cols)
                + " WHERE id = {}",
                *values.values(),
                item_id,
            )
        else:
            row = await fetchrow(
                f"INSERT INTO points_mall_item ({', '.join(cols)}, created_at) VALUES ("  # noqa: S608
                + ", ".join("{}" for _ in cols)
                + ", now()) RETURNING id",
                *values.values(),
            )
            assert row is not None
            item_id = int(row["id"])
        await record_audit(
            actor=actor,
            action="points_mall_item.create" if before is None else "points_mall_item.update",
            target_type="points_mall_item",
            target_id=item_id,
            before=before,
            after=values,
        )
    return item_id


async def set_item_active(*, actor: Actor, item_id: int, active: bool) -> None:
    async with engine().transaction():
        row = await fetchrow("UPDATE points_mall_item SET active = {} WHERE id = {} RETURNING id", active, item_id)
        if row is None:
            raise NotFound(N_("This item is not in the points mall."))
        await record_audit(
            actor=actor,
            action="points_mall_item.resume" if active else "points_mall_item.pause",
            target_type="points_mall_item",
            target_id=item_id,
            after={"active": active},
        )


@dataclass(frozen=True, slots=True)
class GiftToShip:
    id: int
    item_title: str
    user_id: int
    user_label: str
    address: dict[str, Any]
    created_at: datetime


async def gifts_to_ship(*, limit: int = 100) -> list[GiftToShip]:
    """Gift redemptions the platform has not shipped yet, oldest first."""
    rows = await fetch(
        "SELECT r.id, i.title, r.\"user\", coalesce(u.email, u.phone, '') AS label, r.address, r.created_at "
        'FROM points_redemption r JOIN points_mall_item i ON i.id = r.item JOIN app_user u ON u.id = r."user" '
        "WHERE r.status = 'pending' ORDER BY r.id LIMIT {}",
        limit,
    )
    return [
        GiftToShip(
            r["id"],
            r["title"],
            r["user"],
            r["label"],
            json.loads(r["address"]) if isinstance(r["address"], str) else (r["address"] or {}),
            r["created_at"],
        )
        for r in rows
    ]


async def mark_shipped(*, actor: Actor, redemption_id: int) -> None:
    async with engine().transaction():
        row = await fetchrow(
            "UPDATE points_redemption SET status = 'shipped', shipped_at = {} "
            "WHERE id = {} AND status = 'pending' RETURNING \"user\"",
            clock.now(),
            redemption_id,
        )
        if row is None:
            raise NotFound(N_("This gift has been shipped already or does not exist."))
        await record_audit(
            actor=actor,
            action="points_redemption.ship",
            target_type="points_redemption",
            target_id=redemption_id,
            after={"status": "shipped"},
        )
