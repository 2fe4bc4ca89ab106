"""Shop membership rules. Onboarding and staff management arrive with the sellers issue."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.db import engine, fetch
from app.core.errors import ValidationFailed
from app.core.i18n import N_
from app.core.principal import SHOP_ROLES, Actor
from app.moderation.services import record_audit
from app.sellers.tables import Shop, ShopStaff

SHOP_TYPES = ("flagship", "authorized", "specialty", "individual")


@dataclass(frozen=True, slots=True)
class Membership:
    shop_id: int
    shop_name: str
    shop_status: str
    role: str


async def memberships(*, user_id: int) -> list[Membership]:
    """The shops this user works for (not closed), oldest first."""
    rows = await fetch(
        "SELECT s.id, s.name, s.status, ss.role FROM shop_staff ss JOIN shop s ON s.id = ss.shop "
        "WHERE ss.\"user\" = {} AND s.status <> 'closed' ORDER BY s.id",
        user_id,
    )
    return [Membership(r["id"], r["name"], r["status"], r["role"]) for r in rows]


async def create_shop(*, actor: Actor, name: str, owner_id: int, shop_type: str = "individual") -> int:
    """Open a shop with its owner (used by approval later; by demo data and factories now). Audited."""
    name = name.strip()
    if not name or len(name) > 64:
        raise ValidationFailed({"name": N_("Enter a shop name of at most 64 characters.")})
    if shop_type not in SHOP_TYPES:
        raise ValidationFailed({"shop_type": N_("Choose a shop type from the list.")})
    async with engine().transaction():
        if await Shop.exists().where(Shop.name == name):
            raise ValidationFailed({"name": N_("This shop name is taken.")})
        shop = (await Shop.insert(Shop(name=name, shop_type=shop_type)).returning(Shop.id))[0]["id"]
        await ShopStaff.insert(ShopStaff(shop=shop, user=owner_id, role="owner"))
        await record_audit(
            actor=actor,
            action="shop.create",
            target_type="shop",
            target_id=shop,
            after={"name": name, "shop_type": shop_type, "owner": owner_id},
        )
    return int(shop)


async def add_staff(*, actor: Actor, shop_id: int, user_id: int, role: str) -> None:
    if role not in SHOP_ROLES:
        raise ValidationFailed({"role": N_("Choose a role from the list.")})
    async with engine().transaction():
        await ShopStaff.insert(ShopStaff(shop=shop_id, user=user_id, role=role))
        await record_audit(
            actor=actor,
            action="shop.staff_add",
            target_type="shop",
            target_id=shop_id,
            after={"user": user_id, "role": role},
        )
