"""Shop staff: the owner invites existing accounts (by email or mainland mobile), gives each a role, changes
it, removes them. Only a holder of "staff.manage" (the owner) may do any of it, whatever the entry point;
the owner's own row is never changed or removed here. Every change is audited; the invited user is
notified after commit."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.accounts.forms import parse_identifier
from app.accounts.tables import User
from app.core.db import engine, fetch, fetchrow
from app.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.core.i18n import N_
from app.core.principal import Actor
from app.messaging.services import notify
from app.moderation.services import record_audit
from app.sellers.permissions import STAFF_ROLES, has_permission
from app.sellers.tables import Shop, ShopStaff

NO_SUCH_ACCOUNT = N_("No account uses this email or mobile number. Ask them to register on Jishi first.")
ALREADY_STAFF = N_("This account already works for your shop.")
ACCOUNT_BANNED = N_("This account is banned and cannot be added.")
CHOOSE_ROLE = N_("Choose a role from the list.")
OWNER_FIXED = N_("The shop owner's role cannot be changed and the owner cannot be removed.")
STAFF_NOT_FOUND = N_("This staff member does not exist or no longer works for your shop.")


@dataclass(frozen=True, slots=True)
class StaffMember:
    id: int  # shop_staff.id: what the pages and forms name
    user_id: int
    display_name: str
    identifier: str  # email or phone, for the owner to recognise the account
    role: str
    since: datetime


async def _require_manager(*, actor: Actor, shop_id: int) -> None:
    """The actor must hold staff.manage in this shop (checked here too, not only by the route guard)."""
    row = (
        await ShopStaff.select(ShopStaff.role)
        .where((ShopStaff.shop == shop_id) & (ShopStaff.user == actor.user_id))
        .first()
    )
    if row is None or not has_permission(row["role"], "staff.manage"):
        raise Forbidden(N_("Only the shop owner can manage staff."))


async def list_staff(*, shop_id: int) -> list[StaffMember]:
    """The owner first, then the others by when they joined."""
    rows = await fetch(
        "SELECT ss.id, u.id AS user_id, u.display_name, coalesce(u.email, u.phone, '') AS identifier, ss.role, "
        'ss.created_at FROM shop_staff ss JOIN app_user u ON u.id = ss."user" WHERE ss.shop = {} '
        "ORDER BY ss.role <> 'owner', ss.created_at, ss.id",
        shop_id,
    )
    return [
        StaffMember(r["id"], r["user_id"], r["display_name"], r["identifier"], r["role"], r["created_at"]) for r in rows
    ]


async def _member(*, shop_id: int, staff_id: int) -> dict:  # type: ignore[type-arg]
    row = await fetchrow(
        'SELECT id, "user", role FROM shop_staff WHERE id = {} AND shop = {} FOR UPDATE', staff_id, shop_id
    )
    if row is None:
        raise NotFound(STAFF_NOT_FOUND)
    return dict(row)


async def invite_staff(*, actor: Actor, shop_id: int, identifier: str, role: str) -> int:
    """Add an existing account to the shop in `role`. Returns the new shop_staff id."""
    errors: dict[str, str] = {}
    ident = parse_identifier(identifier)
    if isinstance(ident, str):
        errors["identifier"] = ident
    if role not in STAFF_ROLES:
        errors["role"] = CHOOSE_ROLE
    if errors:
        raise ValidationFailed(errors)
    assert not isinstance(ident, str)
    column = User.email if ident.kind == "email" else User.phone
    async with engine().transaction():
        await _require_manager(actor=actor, shop_id=shop_id)
        user = await User.select(User.id, User.status).where(column == ident.value).first()
        if user is None:
            raise ValidationFailed({"identifier": NO_SUCH_ACCOUNT})
        if user["status"] != "active":
            raise ValidationFailed({"identifier": ACCOUNT_BANNED})
        if await ShopStaff.exists().where((ShopStaff.shop == shop_id) & (ShopStaff.user == user["id"])):
            raise ValidationFailed({"identifier": ALREADY_STAFF})
        staff_id = (
            await ShopStaff.insert(ShopStaff(shop=shop_id, user=user["id"], role=role)).returning(ShopStaff.id)
        )[0]["id"]
        await record_audit(
            actor=actor,
            action="shop.staff_add",
            target_type="shop",
            target_id=shop_id,
            after={"user": user["id"], "role": role},
        )
        shop_name = (await Shop.select(Shop.name).where(Shop.id == shop_id).first() or {}).get("name", "")
    await notify(
        user_id=user["id"],
        kind="shop.staff",
        title=N_("You have joined a shop's staff"),
        body=N_("%(shop)s added you to its staff. Open the seller center to start."),
        params={"shop": shop_name},
        link="/seller/",
    )
    return int(staff_id)


async def change_role(*, actor: Actor, shop_id: int, staff_id: int, role: str) -> None:
    if role not in STAFF_ROLES:
        raise ValidationFailed({"role": CHOOSE_ROLE})
    async with engine().transaction():
        await _require_manager(actor=actor, shop_id=shop_id)
        member = await _member(shop_id=shop_id, staff_id=staff_id)
        if member["role"] == "owner":
            raise DomainError(OWNER_FIXED)
        if member["role"] == role:
            return
        await ShopStaff.update({ShopStaff.role: role}).where(ShopStaff.id == staff_id)
        await record_audit(
            actor=actor,
            action="shop.staff_role",
            target_type="shop",
            target_id=shop_id,
            before={"user": member["user"], "role": member["role"]},
            after={"user": member["user"], "role": role},
        )


async def remove_staff(*, actor: Actor, shop_id: int, staff_id: int) -> None:
    async with engine().transaction():
        await _require_manager(actor=actor, shop_id=shop_id)
        member = await _member(shop_id=shop_id, staff_id=staff_id)
        if member["role"] == "owner" or member["user"] == actor.user_id:
            raise DomainError(OWNER_FIXED)
        await ShopStaff.delete().where(ShopStaff.id == staff_id)
        await record_audit(
            actor=actor,
            action="shop.staff_remove",
            target_type="shop",
            target_id=shop_id,
            before={"user": member["user"], "role": member["role"]},
        )
