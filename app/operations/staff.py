"""Platform staff (/admin/staff/): who holds which platform role; add a role to an existing account, remove one.
The last administrator cannot be removed. Role changes go through app/accounts/services.set_platform_roles (audited
as user.roles)."""

from __future__ import annotations

from dataclasses import dataclass

from app.accounts.forms import Identifier, parse_identifier
from app.accounts.services import set_platform_roles
from app.core.db import engine, fetch, fetchrow
from app.core.errors import NotFound, ValidationFailed
from app.core.i18n import N_
from app.core.principal import PLATFORM_ROLES, Actor

ROLE_HELP: dict[str, str] = {
    "admin": N_("Everything, including system settings, staff and roles, and the audit log."),
    "moderator": N_("Product review, reported reviews, complaints, disputes, sensitive words."),
    "finance": N_("Settlement statements, payouts, subsidies and reconciliation."),
    "operations": N_("Users, promotions, coupons, flash sales, members and points, the campaign calendar."),
}


@dataclass(frozen=True, slots=True)
class StaffRow:
    id: int
    display_name: str
    identifier: str
    status: str
    roles: tuple[str, ...]


async def list_staff() -> list[StaffRow]:
    rows = await fetch(
        "SELECT u.id, u.display_name, coalesce(u.email, u.phone, '') AS identifier, u.status, "
        'array_agg(r.role ORDER BY r.role) AS roles FROM platform_role r JOIN app_user u ON u.id = r."user" '
        "GROUP BY u.id ORDER BY u.id"
    )
    return [StaffRow(r["id"], r["display_name"], r["identifier"], r["status"], tuple(r["roles"])) for r in rows]


async def _roles_of(user_id: int) -> list[str]:
    return [r["role"] for r in await fetch('SELECT role FROM platform_role WHERE "user" = {}', user_id)]


async def add_role(*, actor: Actor, identifier: str, role: str) -> int:
    """Give `role` to the account with this email or mobile number. Returns the user id."""
    errors: dict[str, str] = {}
    ident = parse_identifier(identifier)
    if not isinstance(ident, Identifier):
        errors["identifier"] = ident
    if role not in PLATFORM_ROLES:
        errors["role"] = N_("Choose a role from the list.")
    if errors:
        raise ValidationFailed(errors)
    assert isinstance(ident, Identifier)
    column = "email" if ident.kind == "email" else "phone"
    row = await fetchrow(f"SELECT id, status FROM app_user WHERE {column} = {{}}", ident.value)  # noqa: S608
    if row is None:
        raise ValidationFailed({"identifier": N_("No account uses this email or mobile number. Ask them to sign up.")})
    if row["status"] != "active":
        raise ValidationFailed({"identifier": N_("This account is banned: unban it first.")})
    async with engine().transaction():
        await _lock()
        current = await _roles_of(row["id"])
        if role in current:
            raise ValidationFailed({"role": N_("This account already has this role.")})
        await set_platform_roles(actor=actor, user_id=row["id"], roles=[*current, role])
    return int(row["id"])


async def remove_role(*, actor: Actor, user_id: int, role: str) -> None:
    """Take `role` away. Never the last administrator (nor an admin's own admin role: set_platform_roles)."""
    if role not in PLATFORM_ROLES:
        raise ValidationFailed({"role": N_("Choose a role from the list.")})
    async with engine().transaction():
        await _lock()
        current = await _roles_of(user_id)
        if role not in current:
            raise NotFound(N_("This account does not have this role."))
        if role == "admin":
            row = await fetchrow(
                'SELECT count(*) AS n FROM platform_role r JOIN app_user u ON u.id = r."user" '
                "WHERE r.role = 'admin' AND u.status = 'active'"
            )
            if row is not None and int(row["n"]) <= 1:
                raise ValidationFailed({"role": N_("The platform needs at least one administrator.")})
        await set_platform_roles(actor=actor, user_id=user_id, roles=[r for r in current if r != role])


async def _lock() -> None:
    """Role changes one at a time, so two admins removing each other cannot leave the platform without one."""
    await fetch("SELECT pg_advisory_xact_lock(hashtext('platform_role'))")
