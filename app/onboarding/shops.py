"""Fees (保证金 / 年费) and the platform's hold on shops: fee rules, what a shop owes, the admin's payment
confirmation that opens a pending shop, and suspending, reopening and closing shops."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from app.catalog import search as catalog_search
from app.core.db import engine, fetch, fetchrow
from app.core.errors import DomainError, NotFound, ValidationFailed
from app.core.i18n import N_
from app.core.money import InvalidAmount, parse_yuan
from app.core.principal import Actor
from app.moderation.services import record_audit
from app.onboarding.documents import notify_owners
from app.onboarding.forms import SHOP_TYPES

PAGE_SIZE = 50
REASON_MAX = 500
SHOP_STATUSES = ("pending", "active", "suspended", "closed")
# admin action → (statuses it applies to, new status)
SHOP_ACTIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "suspend": (("active",), "suspended"),
    "reopen": (("suspended",), "active"),
    "close": (("pending", "active", "suspended"), "closed"),
}


# ---------------------------------------------------------------- fee rules
async def fee_rules() -> list[dict[str, Any]]:
    return await fetch(
        "SELECT id, shop_type, category, deposit_fen, annual_fee_fen, updated_at FROM fee_rule "
        "ORDER BY array_position(ARRAY['flagship', 'authorized', 'specialty', 'individual']::varchar[], shop_type), "
        "category"
    )


async def save_fee_rule(*, actor: Actor, shop_type: str, category: str, deposit: str, annual_fee: str) -> None:
    """Adds or replaces the rule for (shop type, category); amounts typed in yuan, stored in fen. Audited."""
    errors: dict[str, str] = {}
    if shop_type not in SHOP_TYPES:
        errors["shop_type"] = N_("Choose a shop type from the list.")
    try:
        category_id = int(category or 0)
    except ValueError:
        category_id = -1
    if category_id < 0 or (
        category_id and not await fetchrow("SELECT 1 FROM category WHERE id = {} AND level = 1", category_id)
    ):
        errors["category"] = N_("Choose categories from the list.")
    amounts: dict[str, int] = {}
    for name, raw in (("deposit", deposit), ("annual_fee", annual_fee)):
        try:
            amounts[name] = parse_yuan(raw or "0")
        except InvalidAmount as exc:
            errors[name] = exc.message
    if errors:
        raise ValidationFailed(errors)
    async with engine().transaction():
        before = await fetchrow(
            "SELECT deposit_fen, annual_fee_fen FROM fee_rule WHERE shop_type = {} AND category = {}",
            shop_type,
            category_id,
        )
        await fetch(
            "INSERT INTO fee_rule (shop_type, category, deposit_fen, annual_fee_fen, updated_at) "
            "VALUES ({}, {}, {}, {}, now()) ON CONFLICT (shop_type, category) DO UPDATE SET "
            "deposit_fen = excluded.deposit_fen, annual_fee_fen = excluded.annual_fee_fen, updated_at = now()",
            shop_type,
            category_id,
            amounts["deposit"],
            amounts["annual_fee"],
        )
        await record_audit(
            actor=actor,
            action="fee_rule.save",
            target_type="fee_rule",
            target_id=f"{shop_type}/{category_id}",
            before=dict(before) if before else None,
            after={"deposit_fen": amounts["deposit"], "annual_fee_fen": amounts["annual_fee"]},
        )


async def delete_fee_rule(*, actor: Actor, rule_id: int) -> None:
    async with engine().transaction():
        row = await fetchrow(
            "DELETE FROM fee_rule WHERE id = {} RETURNING shop_type, category, deposit_fen, annual_fee_fen", rule_id
        )
        if row is None:
            raise NotFound(N_("This fee rule does not exist."))
        await record_audit(
            actor=actor, action="fee_rule.delete", target_type="fee_rule", target_id=rule_id, before=dict(row)
        )


async def fees_for(*, shop_type: str, categories: list[int]) -> tuple[int, int]:
    """(deposit, annual fee) in fen: the highest among the categories, each falling back to the shop type's
    rule for category 0; nothing configured → no fee."""
    rows = await fetch("SELECT category, deposit_fen, annual_fee_fen FROM fee_rule WHERE shop_type = {}", shop_type)
    by_category = {r["category"]: r for r in rows}
    default = by_category.get(0)
    picked = [by_category.get(c) or default for c in categories or [0]]
    picked = [r for r in picked if r]
    return max((r["deposit_fen"] for r in picked), default=0), max((r["annual_fee_fen"] for r in picked), default=0)


# ---------------------------------------------------------------- what a shop owes
async def shop_fees(shop_id: int) -> list[dict[str, Any]]:
    return await fetch(
        "SELECT f.id, f.kind, f.amount_fen, f.paid_at, f.reference, u.display_name AS confirmed_by_name "
        "FROM shop_fee f LEFT JOIN app_user u ON u.id = f.confirmed_by WHERE f.shop = {} ORDER BY f.kind",
        shop_id,
    )


async def confirm_fee(*, actor: Actor, shop_id: int, fee_id: int, reference: str) -> bool:
    """Records a payment (no gateway yet: the admin confirms it with the bank or transfer reference). The shop
    opens when nothing is left to pay. Returns True when the shop opened. Audited; the owners are told."""
    reference = " ".join((reference or "").split())
    if not reference or len(reference) > 64:
        raise ValidationFailed({"reference": N_("Enter the payment reference (at most 64 characters).")})
    async with engine().transaction():
        shop = await fetchrow("SELECT id, name, status FROM shop WHERE id = {} FOR UPDATE", shop_id)
        fee = await fetchrow(
            "UPDATE shop_fee SET paid_at = now(), reference = {}, confirmed_by = {} "
            "WHERE id = {} AND shop = {} AND paid_at IS NULL RETURNING kind, amount_fen",
            reference,
            actor.user_id,
            fee_id,
            shop_id,
        )
        if shop is None or fee is None:
            raise NotFound(N_("This fee does not exist or is already paid."))
        await record_audit(
            actor=actor,
            action="shop.fee_paid",
            target_type="shop",
            target_id=shop_id,
            after={"fee": fee_id, "kind": fee["kind"], "amount_fen": fee["amount_fen"], "reference": reference},
        )
        opened = await fetchrow(
            "UPDATE shop SET status = 'active' WHERE id = {} AND status = 'pending' AND NOT EXISTS "
            "(SELECT 1 FROM shop_fee WHERE shop = {} AND paid_at IS NULL) RETURNING id",
            shop_id,
            shop_id,
        )
        if opened:
            await record_audit(
                actor=actor,
                action="shop.open",
                target_type="shop",
                target_id=shop_id,
                before={"status": "pending"},
                after={"status": "active"},
            )
    await notify_owners(
        shop_id,
        kind="shop.fee_paid",
        title=N_("Payment recorded"),
        body=N_("The platform has recorded your payment (reference %(reference)s)."),
        params={"reference": reference},
        link="/seller/apply/status",
    )
    if opened:
        await notify_owners(
            shop_id,
            kind="shop.opened",
            title=N_("Your shop is open"),
            body=N_("%(shop)s is open: welcome to the Seller Center."),
            params={"shop": shop["name"]},
            link="/seller/",
        )
    return bool(opened)


# ---------------------------------------------------------------- shops in the admin
@dataclass(frozen=True)
class ShopPage:
    rows: list[dict[str, Any]]
    page: int
    has_next: bool


async def list_shops(*, q: str = "", status: str = "", page: int = 1) -> ShopPage:
    page = max(page, 1)
    conds, args = ["TRUE"], []
    if q.strip():
        conds.append("(s.name ILIKE {} OR u.email ILIKE {} OR u.phone ILIKE {})")
        like = "%" + q.strip().replace("%", "").replace("_", "\\_") + "%"
        args += [like, like, like]
    if status in SHOP_STATUSES:
        conds.append("s.status = {}")
        args.append(status)
    rows = await fetch(
        "SELECT s.id, s.name, s.shop_type, s.status, s.rectification_since, s.created_at, "
        "u.display_name AS owner_name, coalesce(u.email, u.phone) AS owner_identifier "
        "FROM shop s LEFT JOIN shop_staff ss ON ss.shop = s.id AND ss.role = 'owner' "
        'LEFT JOIN app_user u ON u.id = ss."user" WHERE ' + " AND ".join(conds) + " "
        "ORDER BY s.id DESC LIMIT {} OFFSET {}",
        *args,
        PAGE_SIZE + 1,
        (page - 1) * PAGE_SIZE,
    )
    return ShopPage(rows=rows[:PAGE_SIZE], page=page, has_next=len(rows) > PAGE_SIZE)


async def shop_for_admin(shop_id: int) -> dict[str, Any]:
    row = await fetchrow(
        "SELECT s.id, s.name, s.shop_type, s.status, s.status_reason, s.rectification_since, s.created_at, "
        "(SELECT count(*) FROM product p WHERE p.shop = s.id AND p.status = 'active') AS active_products "
        "FROM shop s WHERE s.id = {}",
        shop_id,
    )
    if row is None:
        raise NotFound(N_("This shop does not exist."))
    row = dict(row)
    row["owners"] = await fetch(
        "SELECT u.id, u.display_name, coalesce(u.email, u.phone) AS identifier FROM shop_staff ss "
        "JOIN app_user u ON u.id = ss.\"user\" WHERE ss.shop = {} AND ss.role = 'owner' ORDER BY u.id",
        shop_id,
    )
    row["application"] = await fetchrow(
        "SELECT id FROM seller_application WHERE shop = {} ORDER BY id DESC LIMIT 1", shop_id
    )
    return row


async def change_shop_status(*, actor: Actor, shop_id: int, action: str, reason: str) -> str:
    """suspend (products hidden from shoppers, orders still served) / reopen / close, with a reason (required to
    suspend or close; shown to the shop). Audited; the owners are told. Returns the new status."""
    if action not in SHOP_ACTIONS:
        raise DomainError(N_("This shop cannot be changed that way in its current state."))
    reason = " ".join((reason or "").split())
    if action != "reopen" and not reason:
        raise ValidationFailed({"reason": N_("Enter the reason: the shop will see it.")})
    if len(reason) > REASON_MAX:
        raise ValidationFailed({"reason": N_("Use at most 500 characters for the reason.")})
    sources, target = SHOP_ACTIONS[action]
    async with engine().transaction():
        shop = await fetchrow("SELECT id, name, status, status_reason FROM shop WHERE id = {} FOR UPDATE", shop_id)
        if shop is None:
            raise NotFound(N_("This shop does not exist."))
        if shop["status"] not in sources:
            raise DomainError(N_("This shop cannot be changed that way in its current state."))
        await fetch("UPDATE shop SET status = {}, status_reason = {} WHERE id = {}", target, reason, shop_id)
        await record_audit(
            actor=actor,
            action=f"shop.{action}",
            target_type="shop",
            target_id=shop_id,
            before={"status": shop["status"], "reason": shop["status_reason"]},
            after={"status": target, "reason": reason},
        )
    catalog_search.forget_cached_results()  # this process's listings at once; others within their few seconds
    messages = {
        "suspend": (N_("Your shop has been suspended"), N_("%(shop)s is suspended: %(reason)s")),
        "reopen": (N_("Your shop has been reopened"), N_("%(shop)s is open again.")),
        "close": (N_("Your shop has been closed"), N_("%(shop)s has been closed: %(reason)s")),
    }
    title, body = messages[action]
    await notify_owners(
        shop_id,
        kind=f"shop.{action}",
        title=title,
        body=body,
        params={"shop": shop["name"], "reason": reason},
        link="/seller/" if target != "closed" else "/me",
    )
    return target
