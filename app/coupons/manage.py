"""Coupon templates for the seller center (a shop's own) and the admin (the platform's): create, edit, activate,
pause, resume, end, with statistics. `shop_id` None means the platform; every query filters by it, so another
shop's template (or a platform one, for a seller) is simply not found. Every change is audited in the same
transaction.

Editing is strict once copies exist: shoppers hold coupons with the terms they claimed, so after the first claim
only the name, the total quantity (not below what was claimed) and the end of the claim window may change."""

# ruff: noqa: S608  (SQL is assembled only from fixed fragments and column names in this file; values are parameters)

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.core.errors import ValidationFailed
from app.core.i18n import N_
from app.core.principal import Actor
from app.coupons.errors import CouponNotFound, TemplateLocked
from app.coupons.forms import TemplateInput, day_of
from app.moderation.services import record_audit

NOT_FOUND = N_("Coupon not found")
CODE_TAKEN = N_("This code is already used by another coupon.")
LOCKED_AFTER_CLAIMS = N_("Shoppers have claimed this coupon: only its name, quantity and claim end may change.")
BELOW_CLAIMED = N_("At least %(claimed)s: that many have been claimed.")
ENDED_LOCKED = N_("This coupon has ended and can no longer be changed.")

DAY_COLUMNS = {"claim_start_at": False, "claim_end_at": True, "use_start_at": False, "use_end_at": True}

# What may still change once someone has claimed a copy.
AFTER_CLAIMS = frozenset({"name", "total_quantity", "claim_end_at"})

TRANSITIONS = {
    "activate": ({"draft"}, "active"),
    "pause": ({"active"}, "paused"),
    "resume": ({"paused"}, "active"),
    "end": ({"draft", "active", "paused"}, "ended"),
}
ILLEGAL = N_("This coupon cannot be changed that way in its current state.")

_COLUMNS = (
    "id, issuer, shop, name, kind, amount_fen, threshold_fen, percent, cap_fen, min_spend_fen, scope, scope_ids, "
    "claim_start_at, claim_end_at, use_start_at, use_end_at, use_days, total_quantity, claimed_count, "
    "per_user_limit, new_user_only, redeem_code, welcome_pack, status, created_by, created_at, updated_at"
)


@dataclass(frozen=True, slots=True)
class Stats:
    claimed: int = 0
    used: int = 0
    orders: int = 0
    gmv_fen: int = 0  # what buyers paid for the items the coupon discounted (paid orders)
    cost_fen: int = 0  # the discount given on them

    @property
    def roi(self) -> float | None:
        return round(self.gmv_fen / self.cost_fen, 2) if self.cost_fen else None


def _owner(shop_id: int | None) -> tuple[str, list[Any]]:
    return ("shop = {}", [shop_id]) if shop_id is not None else ("issuer = 'platform'", [])


async def get_template(*, shop_id: int | None, template_id: int, lock: bool = False) -> dict[str, Any]:
    where, args = _owner(shop_id)
    row = await fetchrow(
        f"SELECT {_COLUMNS} FROM coupon_template WHERE id = {{}} AND {where}" + (" FOR UPDATE" if lock else ""),
        template_id,
        *args,
    )
    if row is None:
        raise CouponNotFound(NOT_FOUND)
    return row


async def list_templates(*, shop_id: int | None) -> list[dict[str, Any]]:
    where, args = _owner(shop_id)
    rows = await fetch(f"SELECT {_COLUMNS} FROM coupon_template WHERE {where} ORDER BY id DESC LIMIT 500", *args)
    stats = await stats_of([r["id"] for r in rows])
    return [{**r, "need_fen": need_of(r), "stats": stats.get(r["id"], Stats(claimed=r["claimed_count"]))} for r in rows]


def need_of(row: dict[str, Any]) -> int:
    return max(row["min_spend_fen"], row["threshold_fen"] if row["kind"] == "threshold" else 0)


async def stats_of(template_ids: list[int]) -> dict[int, Stats]:
    """Claimed and used copies, and from the paid orders whose items carry "coupon:<user coupon id>"
    adjustments: orders, GMV (what those items were paid) and cost (the coupon's discount on them)."""
    if not template_ids:
        return {}
    counts = await fetch(
        "SELECT t.id, t.claimed_count, (SELECT count(*) FROM user_coupon uc WHERE uc.template = t.id "
        "AND uc.status = 'used') AS used FROM coupon_template t WHERE t.id = ANY({}::int[])",
        template_ids,
    )
    money = await fetch(
        "SELECT uc.template, count(DISTINCT o.id) AS orders, COALESCE(sum(oi.paid_fen), 0) AS gmv, "
        "COALESCE(-sum((a->>'amount_fen')::bigint), 0) AS cost "
        'FROM user_coupon uc JOIN shop_order o ON o."group" = uc.used_group AND o.paid_at IS NOT NULL '
        'JOIN order_item oi ON oi."order" = o.id '
        "CROSS JOIN LATERAL jsonb_array_elements(oi.adjustments) a "
        "WHERE uc.template = ANY({}::int[]) AND uc.status = 'used' AND a->>'source' = 'coupon:' || uc.id "
        "GROUP BY uc.template",
        template_ids,
    )
    by_id = {m["template"]: m for m in money}
    out: dict[int, Stats] = {}
    for c in counts:
        m = by_id.get(c["id"], {})
        out[c["id"]] = Stats(
            claimed=c["claimed_count"],
            used=int(c["used"]),
            orders=int(m.get("orders", 0)),
            gmv_fen=int(m.get("gmv", 0)),
            cost_fen=int(m.get("cost", 0)),
        )
    return out


def _jsonable(row: dict[str, Any]) -> dict[str, Any]:
    return {k: (v.isoformat() if isinstance(v, datetime) else list(v) if isinstance(v, tuple) else v)
            for k, v in row.items()}  # fmt: skip


async def _code_free(code: str | None, *, except_id: int | None = None) -> None:
    if not code:
        return
    row = await fetchrow(
        "SELECT id FROM coupon_template WHERE redeem_code = {} AND id IS DISTINCT FROM {}", code, except_id
    )
    if row is not None:
        raise ValidationFailed({"redeem_code": CODE_TAKEN})


async def create_template(*, actor: Actor, shop_id: int | None, data: TemplateInput) -> int:
    values = data.columns()
    if shop_id is not None:
        values["welcome_pack"] = False
    async with engine().transaction():
        await _code_free(data.redeem_code)
        names = list(values)
        row = await fetchrow(
            f"INSERT INTO coupon_template (issuer, shop, {', '.join(names)}, claimed_count, status, created_by, "
            "created_at, updated_at) VALUES ({}, {}, "
            + ", ".join("{}" for _ in names)
            + ", 0, 'draft', {}, {}, {}) RETURNING id",
            "shop" if shop_id is not None else "platform",
            shop_id,
            *[list(v) if isinstance(v, tuple) else v for v in values.values()],
            actor.user_id,
            clock.now(),
            clock.now(),
        )
        assert row is not None
        await record_audit(
            actor=actor, action="coupon.create", target_type="coupon_template", target_id=row["id"],
            after=_jsonable({"shop": shop_id, **values}),
        )  # fmt: skip
    return int(row["id"])


async def update_template(*, actor: Actor, shop_id: int | None, template_id: int, data: TemplateInput) -> None:
    values = data.columns()
    if shop_id is not None:
        values["welcome_pack"] = False
    async with engine().transaction():
        before = await get_template(shop_id=shop_id, template_id=template_id, lock=True)
        if before["status"] == "ended":
            raise TemplateLocked(ENDED_LOCKED)
        current = {k: (tuple(before[k] or ()) if k == "scope_ids" else before[k]) for k in values}
        for key, end in DAY_COLUMNS.items():  # the form edits whole days: the same day is no change
            if (
                values[key] is not None
                and current[key] is not None
                and day_of(values[key], end=end) == day_of(current[key], end=end)
            ):
                values[key] = current[key]
        changed = {k for k, v in values.items() if current[k] != v}
        if not changed:
            return
        if before["claimed_count"] > 0:
            locked = sorted(changed - AFTER_CLAIMS)
            if locked:
                raise ValidationFailed(
                    {"__all__": LOCKED_AFTER_CLAIMS, **{_field(k): LOCKED_AFTER_CLAIMS for k in locked}}
                )
        if values["total_quantity"] < before["claimed_count"]:
            raise ValidationFailed({"total_quantity": BELOW_CLAIMED})
        await _code_free(data.redeem_code, except_id=template_id)
        sets = ", ".join(f"{k} = {{}}" for k in sorted(changed))
        await fetch(
            f"UPDATE coupon_template SET {sets}, updated_at = {{}} WHERE id = {{}}",
            *[list(values[k]) if isinstance(values[k], tuple) else values[k] for k in sorted(changed)],
            clock.now(),
            template_id,
        )
        await record_audit(
            actor=actor, action="coupon.update", target_type="coupon_template", target_id=template_id,
            before=_jsonable({k: current[k] for k in changed}), after=_jsonable({k: values[k] for k in changed}),
        )  # fmt: skip


def _field(column: str) -> str:
    """The form field that edits a column (for the field errors)."""
    return {
        "amount_fen": "amount",
        "threshold_fen": "threshold",
        "cap_fen": "cap",
        "min_spend_fen": "min_spend",
        "claim_start_at": "claim_start",
        "claim_end_at": "claim_end",
        "use_start_at": "use_start",
        "use_end_at": "use_end",
    }.get(column, column)


async def change_status(*, actor: Actor, shop_id: int | None, template_id: int, action: str) -> str:
    if action not in TRANSITIONS:
        raise CouponNotFound(NOT_FOUND)
    sources, target = TRANSITIONS[action]
    async with engine().transaction():
        before = await get_template(shop_id=shop_id, template_id=template_id, lock=True)
        if before["status"] not in sources:
            raise TemplateLocked(ILLEGAL)
        await fetch(
            "UPDATE coupon_template SET status = {}, updated_at = {} WHERE id = {}", target, clock.now(), template_id
        )
        await record_audit(
            actor=actor, action=f"coupon.{action}", target_type="coupon_template", target_id=template_id,
            before={"status": before["status"]}, after={"status": target},
        )  # fmt: skip
    return target
