"""Coupons for shoppers: claiming (coupon centre, product and shop pages, redeem codes), the welcome pack on
registration, the wallet under "me", and the expiry sweep. Template management is in app/coupons/manage.py.

Claiming is race-safe. One transaction: after the cheap checks, the template row is locked (SELECT ... FOR
UPDATE), so concurrent claims of one template queue there and run the rest one after the other. Under the lock
the remaining quantity and the user's copies are counted (READ COMMITTED: each statement takes a new snapshot,
after the lock was granted, so it sees every copy committed by the claims before it); then `claimed_count`
goes up with one conditional UPDATE (`WHERE claimed_count < total_quantity AND status = 'active'`) and the
copy is inserted. CHECK (claimed_count <= total_quantity) is the last guard. Every refusal comes before any
write, so a refusal inside a caller's transaction leaves nothing behind."""

# ruff: noqa: S608  (SQL is assembled only from fixed fragments and column names in this file; values are parameters)

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from app.config import get_settings
from app.core import clock
from app.core.clock import format_day
from app.core.db import engine, fetch, fetchrow
from app.core.i18n import N_
from app.coupons.errors import ClaimRefused, CouponNotFound
from app.coupons.forms import normalise_code
from app.coupons.rules import CouponTerms, terms_of

log = logging.getLogger(__name__)

NOT_FOUND = N_("Coupon not found")
SOLD_OUT = N_("Sorry, all of these coupons have been claimed.")
LIMIT_REACHED = N_("You have already claimed this coupon the most times allowed (%(limit)s).")
NOT_STARTED = N_("Claiming starts on %(date)s.")
ENDED = N_("Claiming this coupon has ended.")
PAUSED = N_("This coupon cannot be claimed right now.")
NEW_USERS_ONLY = N_("This coupon is for new shoppers only (before their first paid order).")
WRONG_CODE = N_("That code is not valid. Check it and try again.")
NEEDS_CODE = N_("This coupon is claimed by entering its code.")
WELCOME_ONLY = N_("This coupon is a gift to new members on sign-up.")
EMPTY_CODE = N_("Enter a code.")

TEMPLATE_COLUMNS = (
    "t.id, t.issuer, t.shop, t.name, t.kind, t.amount_fen, t.threshold_fen, t.percent, t.cap_fen, t.min_spend_fen, "
    "t.scope, t.scope_ids, t.claim_start_at, t.claim_end_at, t.use_start_at, t.use_end_at, t.use_days, "
    "t.total_quantity, t.claimed_count, t.per_user_limit, t.new_user_only, t.redeem_code, t.welcome_pack, t.status"
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Offer(CouponTerms):
    """A template as a shopper sees it (coupon centre, product and shop pages)."""

    id: int
    shop_id: int | None
    shop_name: str
    name: str
    claim_end_at: datetime
    use_start_at: datetime | None
    use_end_at: datetime | None
    use_days: int | None
    new_user_only: bool
    left: int
    total: int
    mine: int  # copies this shopper has claimed
    per_user_limit: int

    @property
    def sold_out(self) -> bool:
        return self.left <= 0

    @property
    def at_limit(self) -> bool:
        return self.mine >= self.per_user_limit

    @property
    def claimed_pct(self) -> int:
        return 100 - self.left * 100 // self.total if self.total else 100


@dataclass(frozen=True, slots=True)
class Claimed:
    user_coupon_id: int
    template_id: int
    name: str
    valid_until: datetime


def _date(moment: datetime) -> str:
    return format_day(moment, get_settings().display_timezone)


def _offer(row: dict[str, Any]) -> Offer:
    return Offer(
        id=row["id"],
        shop_id=row["shop"],
        shop_name=row.get("shop_name") or "",
        name=row["name"],
        **terms_of(row),
        claim_end_at=row["claim_end_at"],
        use_start_at=row["use_start_at"],
        use_end_at=row["use_end_at"],
        use_days=row["use_days"],
        new_user_only=row["new_user_only"],
        left=row["total_quantity"] - row["claimed_count"],
        total=row["total_quantity"],
        mine=int(row.get("mine") or 0),
        per_user_limit=row["per_user_limit"],
    )


# ---------------------------------------------------------------- claiming
async def _is_new(user_id: int) -> bool:
    row = await fetchrow(
        "SELECT EXISTS (SELECT 1 FROM order_group WHERE buyer = {} AND paid_at IS NOT NULL) AS bought", user_id
    )
    return not (row and row["bought"])


def _check_claimable(t: dict[str, Any], now: datetime) -> None:
    if t["status"] == "ended" or now >= t["claim_end_at"] or (t["use_end_at"] is not None and now >= t["use_end_at"]):
        raise ClaimRefused(ENDED)
    if t["status"] != "active":
        raise ClaimRefused(PAUSED)
    if now < t["claim_start_at"]:
        raise ClaimRefused(NOT_STARTED, date=_date(t["claim_start_at"]))


async def _claim_locked(*, user_id: int, t: dict[str, Any], now: datetime) -> Claimed:
    """Inside the caller's transaction: all checks, then the conditional UPDATE and the per-user recount."""
    _check_claimable(t, now)
    if t["new_user_only"] and not await _is_new(user_id):
        raise ClaimRefused(NEW_USERS_ONLY)
    count_sql = 'SELECT count(*) AS n FROM user_coupon WHERE template = {} AND "user" = {}'
    mine = await fetchrow(count_sql, t["id"], user_id)
    if mine and mine["n"] >= t["per_user_limit"]:  # the common case, answered without touching the template
        raise ClaimRefused(LIMIT_REACHED, limit=t["per_user_limit"])
    if t["claimed_count"] >= t["total_quantity"]:  # sold out already: no need to queue for the lock
        raise ClaimRefused(SOLD_OUT)
    # Lock the template row: concurrent claims of this template queue here, so what follows sees every copy the
    # claims before it committed, and every refusal comes before anything is written (safe inside a caller's
    # transaction too).
    locked = await fetchrow(
        "SELECT status, claimed_count, total_quantity FROM coupon_template WHERE id = {} FOR UPDATE", t["id"]
    )
    if locked is None or locked["status"] != "active":
        raise ClaimRefused(ENDED if locked and locked["status"] == "ended" else PAUSED)
    if locked["claimed_count"] >= locked["total_quantity"]:
        raise ClaimRefused(SOLD_OUT)
    mine = await fetchrow(count_sql, t["id"], user_id)
    if mine and mine["n"] >= t["per_user_limit"]:
        raise ClaimRefused(LIMIT_REACHED, limit=t["per_user_limit"])
    taken = await fetchrow(
        "UPDATE coupon_template SET claimed_count = claimed_count + 1 "
        "WHERE id = {} AND status = 'active' AND claimed_count < total_quantity RETURNING claimed_count",
        t["id"],
    )
    if taken is None:  # cannot happen under the lock; the CHECK constraint would be the last guard anyway
        raise ClaimRefused(SOLD_OUT)
    valid_from = t["use_start_at"] or now
    valid_until = t["use_end_at"] or now + timedelta(days=t["use_days"])
    row = await fetchrow(
        'INSERT INTO user_coupon (template, "user", status, claimed_at, valid_from, valid_until) '
        "VALUES ({}, {}, 'unused', {}, {}, {}) RETURNING id",
        t["id"],
        user_id,
        now,
        valid_from,
        valid_until,
    )
    assert row is not None
    return Claimed(row["id"], t["id"], t["name"], valid_until)


async def claim(*, user_id: int, template_id: int) -> Claimed:
    """Claim one copy of a template from the coupon centre, a product or a shop page."""
    now = clock.now()
    async with engine().transaction():
        t = await fetchrow(f"SELECT {TEMPLATE_COLUMNS} FROM coupon_template t WHERE t.id = {{}}", template_id)
        if t is None or t["status"] == "draft":
            raise CouponNotFound(NOT_FOUND)
        if t["redeem_code"]:
            raise ClaimRefused(NEEDS_CODE)
        if t["welcome_pack"]:
            raise ClaimRefused(WELCOME_ONLY)
        return await _claim_locked(user_id=user_id, t=t, now=now)


async def redeem(*, user_id: int, code: str) -> Claimed:
    """Claim the template whose redeem code this is (case-insensitive: codes are stored upper-case)."""
    code = normalise_code(code)
    if not code:
        raise ClaimRefused(EMPTY_CODE, field="code")
    now = clock.now()
    async with engine().transaction():
        t = await fetchrow(f"SELECT {TEMPLATE_COLUMNS} FROM coupon_template t WHERE t.redeem_code = {{}}", code[:32])
        if t is None or t["status"] == "draft":
            raise ClaimRefused(WRONG_CODE, field="code")
        try:
            return await _claim_locked(user_id=user_id, t=t, now=now)
        except ClaimRefused as exc:
            exc.field = "code"
            raise


async def grant(*, template_id: int, user_id: int, source: str = "") -> int:
    """Give one copy to a user from another domain (birthday gift, points mall), in the caller's transaction (or
    its own). The template must be active and not sold out; the claim window, the per-user limit and new-user
    rule are the caller's business. Raises ClaimRefused / CouponNotFound so the caller rolls back. Returns the
    user coupon id."""
    now = clock.now()
    async with engine().transaction():
        t = await fetchrow(f"SELECT {TEMPLATE_COLUMNS} FROM coupon_template t WHERE t.id = {{}}", template_id)
        if t is None or t["status"] == "draft":
            raise CouponNotFound(NOT_FOUND)
        if t["status"] != "active" or (t["use_end_at"] is not None and now >= t["use_end_at"]):
            raise ClaimRefused(ENDED if t["status"] == "ended" else PAUSED)
        granted = await _claim_locked(
            user_id=user_id, t={**t, "claim_start_at": now, "claim_end_at": now + timedelta(days=1),
                                "new_user_only": False, "per_user_limit": 1_000_000}, now=now,
        )  # fmt: skip
        log.info("coupon %s granted to user %s (%s)", granted.user_coupon_id, user_id, source)
        return granted.user_coupon_id


async def grant_welcome_pack(*, user_id: int) -> list[Claimed]:
    """On registration: one copy of every active platform template flagged welcome_pack, as far as quantities
    allow. Never raises: a sign-up must not fail because of a coupon."""
    granted: list[Claimed] = []
    try:
        now = clock.now()
        rows = await fetch(
            f"SELECT {TEMPLATE_COLUMNS} FROM coupon_template t WHERE t.welcome_pack AND t.issuer = 'platform' "
            "AND t.status = 'active' AND t.claim_start_at <= {} AND t.claim_end_at > {} ORDER BY t.id",
            now,
            now,
        )
        for t in rows:
            try:
                async with engine().transaction():
                    granted.append(await _claim_locked(user_id=user_id, t=t, now=now))
            except ClaimRefused:
                continue
    except Exception:
        log.exception("welcome pack for user %s failed", user_id)
    return granted


# ---------------------------------------------------------------- what shoppers see
_CLAIMABLE = (
    "t.status = 'active' AND t.redeem_code IS NULL AND NOT t.welcome_pack AND t.claim_start_at <= {now} "
    "AND t.claim_end_at > {now} AND (t.use_end_at IS NULL OR t.use_end_at > {now})"
)


async def _offers(where: str, args: list[Any], *, user_id: int | None, limit: int) -> list[Offer]:
    now = clock.now()
    sql = (
        f"SELECT {TEMPLATE_COLUMNS}, s.name AS shop_name, "
        + (
            '(SELECT count(*) FROM user_coupon uc WHERE uc.template = t.id AND uc."user" = {}) AS mine '
            if user_id
            else "0 AS mine "
        )
        + "FROM coupon_template t LEFT JOIN shop s ON s.id = t.shop WHERE "
        + _CLAIMABLE.replace("{now}", "{}")
        + f" AND ({where}) "
        + "ORDER BY (t.shop IS NOT NULL), (t.claimed_count >= t.total_quantity), t.claim_end_at, t.id LIMIT {}"
    )
    params: list[Any] = [*([user_id] if user_id else []), now, now, now, *args, limit]
    return [_offer(r) for r in await fetch(sql, *params)]


async def centre(*, user_id: int | None) -> list[Offer]:
    """The coupon centre: every claimable template, platform ones first."""
    return await _offers("s.id IS NULL OR s.status = 'active'", [], user_id=user_id, limit=200)


async def for_product(*, product_id: int, user_id: int | None) -> list[Offer]:
    """Claimable coupons that apply to this product: its shop's and platform ones whose scope includes it."""
    p = await fetchrow(
        "SELECT p.shop, c.path FROM product p JOIN category c ON c.id = p.category "
        "WHERE p.id = {} AND p.status = 'active'",
        product_id,
    )
    if p is None:
        return []
    categories = [int(x) for x in p["path"].strip("/").split("/") if x.isdigit()]
    where = (
        "(t.shop = {} OR t.shop IS NULL) AND (t.scope = 'all' OR (t.scope = 'products' AND {} = ANY(t.scope_ids)) "
        "OR (t.scope = 'categories' AND t.scope_ids && {}::int[]) OR (t.scope = 'shops' AND {} = ANY(t.scope_ids)))"
    )
    return await _offers(where, [p["shop"], product_id, categories, p["shop"]], user_id=user_id, limit=6)


async def for_shop(*, shop_id: int, user_id: int | None) -> list[Offer]:
    """The shop page: the shop's own claimable coupons and platform coupons for this shop."""
    where = "t.shop = {} OR (t.shop IS NULL AND t.scope = 'shops' AND {} = ANY(t.scope_ids))"
    return await _offers(where, [shop_id, shop_id], user_id=user_id, limit=6)


async def offer(*, template_id: int, user_id: int | None) -> Offer | None:
    found = await _offers("t.id = {}", [template_id], user_id=user_id, limit=1)
    return found[0] if found else None


@dataclass(frozen=True, slots=True, kw_only=True)
class WalletCoupon(CouponTerms):
    id: int
    status: str  # unused | used | expired (an unused coupon past its window shows as expired)
    name: str
    shop_id: int | None
    shop_name: str
    valid_from: datetime
    valid_until: datetime
    used_at: datetime | None
    not_yet: bool


WALLET_TABS = ("unused", "used", "expired")


async def wallet(*, user_id: int, tab: str) -> list[WalletCoupon]:
    """The shopper's coupons under "me": unused (soonest to expire first), used, expired."""
    now = clock.now()
    if tab == "used":
        where, order = "uc.status = 'used'", "uc.used_at DESC"
    elif tab == "expired":
        where, order = (
            "(uc.status = 'expired' OR (uc.status = 'unused' AND uc.valid_until <= {}))",
            "uc.valid_until DESC",
        )
    else:
        where, order = "uc.status = 'unused' AND uc.valid_until > {}", "uc.valid_until"
    rows = await fetch(
        "SELECT uc.id, uc.status, uc.valid_from, uc.valid_until, uc.used_at, t.name, t.shop, s.name AS shop_name, "
        "t.kind, t.amount_fen, t.threshold_fen, t.percent, t.cap_fen, t.min_spend_fen, t.scope "
        "FROM user_coupon uc JOIN coupon_template t ON t.id = uc.template LEFT JOIN shop s ON s.id = t.shop "
        f'WHERE uc."user" = {{}} AND {where} ORDER BY {order}, uc.id LIMIT 200',
        user_id,
        *([now] if "{}" in where else []),
    )
    return [
        WalletCoupon(
            id=r["id"],
            status="expired" if r["status"] == "unused" and r["valid_until"] <= now else r["status"],
            name=r["name"],
            shop_id=r["shop"],
            shop_name=r["shop_name"] or "",
            **terms_of(r),
            valid_from=r["valid_from"],
            valid_until=r["valid_until"],
            used_at=r["used_at"],
            not_yet=r["valid_from"] > now,
        )
        for r in rows
    ]


async def wallet_counts(*, user_id: int) -> dict[str, int]:
    now = clock.now()
    row = await fetchrow(
        "SELECT count(*) FILTER (WHERE status = 'unused' AND valid_until > {}) AS unused, "
        "count(*) FILTER (WHERE status = 'used') AS used, "
        "count(*) FILTER (WHERE status = 'expired' OR (status = 'unused' AND valid_until <= {})) AS expired "
        'FROM user_coupon WHERE "user" = {}',
        now,
        now,
        user_id,
    )
    return {tab: int(row[tab]) if row else 0 for tab in WALLET_TABS}


# ---------------------------------------------------------------- sweep
async def expire_coupons(*, batch: int = 1000) -> int:
    """Mark unused coupons past their window as expired; batches with SKIP LOCKED, safe with several workers."""
    total = 0
    while True:
        rows = await fetch(
            "UPDATE user_coupon SET status = 'expired' WHERE id IN (SELECT id FROM user_coupon "
            "WHERE status = 'unused' AND valid_until <= {} ORDER BY id LIMIT {} FOR UPDATE SKIP LOCKED) "
            "AND status = 'unused' RETURNING id",
            clock.now(),
            batch,
        )
        total += len(rows)
        if len(rows) < batch:
            return total
