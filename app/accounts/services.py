"""Account rules: registration, login with rate limits, passwords, profile, roles, bans."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from functools import cache

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError

from app.accounts.errors import AccountBanned, LoginFailed, TooManyAttempts
from app.accounts.forms import Identifier, parse_identifier, password_problem
from app.accounts.tables import PlatformRole, User
from app.config import get_settings
from app.core import changes, clock, ratelimit
from app.core.db import engine, fetchrow
from app.core.errors import NotFound, ValidationFailed
from app.core.i18n import LOCALES, N_
from app.core.principal import PLATFORM_ROLES, Actor, Principal
from app.coupons.services import grant_welcome_pack
from app.moderation.services import record_audit


@cache
def hasher() -> PasswordHasher:
    s = get_settings()
    return PasswordHasher(
        time_cost=s.argon2_time_cost,
        memory_cost=s.argon2_memory_kib,
        parallelism=s.argon2_parallelism,
        type=Type.ID,
    )


async def hash_password(password: str) -> str:
    return await asyncio.to_thread(hasher().hash, password)


async def _verify(password_hash: str, password: str) -> bool:
    def check() -> bool:
        try:
            return hasher().verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    return await asyncio.to_thread(check)


@cache
def _dummy_hash() -> str:
    return hasher().hash("not a real password")


def _where_identifier(ident: Identifier):  # type: ignore[no-untyped-def]
    return User.email == ident.value if ident.kind == "email" else User.phone == ident.value


# ---------------------------------------------------------------- registration
async def register(
    *,
    identifier: str,
    password: str,
    password_confirm: str,
    display_name: str = "",
    locale: str = "",
    ip: str | None = None,
) -> int:
    """Create an account; returns its id. Field errors come back all at once as ValidationFailed."""
    s = get_settings()
    if ip and await ratelimit.hit(f"register:ip:{ip}", window=s.rate_window_seconds) > s.register_per_ip:
        raise TooManyAttempts(
            N_("Too many sign-ups from your network. Please try again in %(minutes)s minutes."),
            minutes=s.rate_window_seconds // 60,
        )
    errors: dict[str, str] = {}
    ident = parse_identifier(identifier)
    if isinstance(ident, str):
        errors["identifier"] = ident
    if problem := password_problem(password, identifier.strip()):
        errors["password"] = problem
    elif password != password_confirm:
        errors["password_confirm"] = N_("The two passwords do not match.")
    name = display_name.strip()
    if len(name) > 32:
        errors["display_name"] = N_("Use at most 32 characters for your nickname.")
    if errors:
        raise ValidationFailed(errors)
    assert isinstance(ident, Identifier)
    password_hash = await hash_password(password)
    row = await fetchrow(
        "INSERT INTO app_user (email, phone, password_hash, display_name, locale, status, auth_epoch, created_at) "
        "VALUES ({}, {}, {}, {}, {}, 'active', 0, now()) ON CONFLICT DO NOTHING RETURNING id",
        ident.value if ident.kind == "email" else None,
        ident.value if ident.kind == "phone" else None,
        password_hash,
        name or _default_name(ident),
        locale if locale in LOCALES else "",
    )
    if row is None:
        already = (
            N_("This email address is already registered. Log in instead?")
            if ident.kind == "email"
            else N_("This mobile number is already registered. Log in instead?")
        )
        raise ValidationFailed({"identifier": already})
    await grant_welcome_pack(user_id=int(row["id"]))  # never raises: the account matters more than a gift
    return int(row["id"])


def _default_name(ident: Identifier) -> str:
    if ident.kind == "phone":
        return f"{ident.value[:3]}****{ident.value[-4:]}"
    return ident.value.split("@", 1)[0][:32]


# ---------------------------------------------------------------- login
async def authenticate(*, identifier: str, password: str, ip: str | None) -> Principal:
    """Check the password with per-IP and per-account limits; rehash when the argon2 parameters changed."""
    s = get_settings()
    window = s.rate_window_seconds
    minutes = max(window // 60, 1)
    if ip and await ratelimit.hit(f"login:ip:{ip}", window=window) > s.login_per_ip:
        raise TooManyAttempts(
            N_("Too many login attempts from your network. Please try again in %(minutes)s minutes."),
            minutes=minutes,
        )
    ident = parse_identifier(identifier)
    if isinstance(ident, str):
        raise ValidationFailed({"identifier": ident})
    account_key = f"login:account:{ident.value}"
    if await ratelimit.count(account_key, window=window) >= s.login_per_account:
        raise TooManyAttempts(
            N_("Too many failed attempts for this account. Please try again in %(minutes)s minutes."),
            minutes=minutes,
        )
    user = await User.select(User.id, User.password_hash, User.status).where(_where_identifier(ident)).first()
    ok = await _verify(user["password_hash"] if user else _dummy_hash(), password)
    if not user or not ok:
        await ratelimit.hit(account_key, window=window)
        raise LoginFailed(N_("Wrong email/mobile number or password."))
    if user["status"] == "banned":
        raise AccountBanned(N_("This account has been suspended. Contact customer service."))
    await ratelimit.reset(account_key, window=window)
    values: dict = {User.last_login_at: clock.now()}
    if hasher().check_needs_rehash(user["password_hash"]):
        values[User.password_hash] = await hash_password(password)
    await User.update(values).where(User.id == user["id"])
    principal = await load_principal(user["id"])
    assert principal is not None
    return principal


PRINCIPAL_CACHE_ENTRIES = 10_000
_principals: dict[int, Principal] = {}


async def load_principal(user_id: int) -> Principal | None:
    """The signed-in user with platform roles (runs on every signed-in request). While the change feed is live
    (app/core/changes.py) a per-process copy answers: any change of the user row or their roles (a ban, a new
    auth epoch, a new role) drops it at once in every process; otherwise one query."""
    live = changes.live()
    if live and (hit := _principals.get(user_id)) is not None:
        return hit
    mark = changes.sequence()
    row = await fetchrow(
        "SELECT u.id, u.display_name, u.email, u.phone, u.locale, u.status, u.auth_epoch, "
        'COALESCE((SELECT array_agg(r.role) FROM platform_role r WHERE r."user" = u.id), ARRAY[]::varchar[]) AS roles '
        "FROM app_user u WHERE u.id = {}",
        user_id,
    )
    if row is None:
        return None
    principal = Principal(
        id=row["id"],
        display_name=row["display_name"],
        email=row["email"],
        phone=row["phone"],
        locale=row["locale"],
        status=row["status"],
        auth_epoch=row["auth_epoch"],
        platform_roles=frozenset(row["roles"]),
    )
    tag = f"u:{user_id}"
    if live and changes.live() and changes.untouched_since(mark, tag) and changes.untouched_since(mark, "u*"):
        _principals[user_id] = principal
        while len(_principals) > PRINCIPAL_CACHE_ENTRIES:
            _principals.pop(next(iter(_principals)))
    return principal


def _on_change(tag: str) -> None:
    if tag in (changes.ALL, "u*"):
        _principals.clear()
    elif tag.startswith("u:"):
        _principals.pop(int(tag[2:]), None)


changes.subscribe(_on_change)


# ---------------------------------------------------------------- self-service
async def change_password(*, user_id: int, current: str, new: str, confirm: str) -> int:
    """Returns the new auth epoch: every other session is signed out."""
    user = await User.select(User.password_hash, User.email, User.phone).where(User.id == user_id).first()
    if user is None:
        raise NotFound(N_("Account not found."))
    errors: dict[str, str] = {}
    if not await _verify(user["password_hash"], current):
        errors["current"] = N_("Your current password is not correct.")
    if problem := password_problem(new, user["email"] or user["phone"] or ""):
        errors["new"] = problem
    elif new != confirm:
        errors["confirm"] = N_("The two passwords do not match.")
    if errors:
        raise ValidationFailed(errors)
    new_hash = await hash_password(new)
    row = await fetchrow(
        "UPDATE app_user SET password_hash = {}, auth_epoch = auth_epoch + 1 WHERE id = {} RETURNING auth_epoch",
        new_hash,
        user_id,
    )
    assert row is not None
    return int(row["auth_epoch"])


async def update_profile(*, user_id: int, display_name: str, locale: str) -> None:
    name = display_name.strip()
    errors: dict[str, str] = {}
    if not name:
        errors["display_name"] = N_("Enter a nickname.")
    elif len(name) > 32:
        errors["display_name"] = N_("Use at most 32 characters for your nickname.")
    if locale not in ("", *LOCALES):
        errors["locale"] = N_("Choose a language from the list.")
    if errors:
        raise ValidationFailed(errors)
    await User.update({User.display_name: name, User.locale: locale}).where(User.id == user_id)


async def set_locale(*, user_id: int, locale: str) -> None:
    if locale in LOCALES:
        await User.update({User.locale: locale}).where(User.id == user_id)


async def logout_everywhere(*, user_id: int) -> int:
    """Bump the epoch: every session issued before now stops working. Returns the new epoch."""
    row = await fetchrow("UPDATE app_user SET auth_epoch = auth_epoch + 1 WHERE id = {} RETURNING auth_epoch", user_id)
    if row is None:
        raise NotFound(N_("Account not found."))
    return int(row["auth_epoch"])


# ---------------------------------------------------------------- admin
@dataclass(frozen=True)
class UserRow:
    id: int
    display_name: str
    identifier: str
    status: str
    roles: tuple[str, ...]
    created_at: object


async def list_users(*, q: str = "", status: str = "", page: int = 1, per_page: int = 30) -> tuple[list[UserRow], bool]:
    query = User.select(User.id, User.display_name, User.email, User.phone, User.status, User.created_at)
    if q.strip():
        text = q.strip()
        like = f"%{text.replace('%', '').replace('_', chr(92) + '_')}%"
        match = User.email.ilike(like) | User.phone.ilike(like) | User.display_name.ilike(like)
        number = text.removeprefix("#")
        if number.isdigit() and len(number) <= 18:
            match = match | (User.id == int(number))
        query = query.where(match)
    if status in ("active", "banned"):
        query = query.where(User.status == status)
    rows = await query.order_by(User.id, ascending=False).limit(per_page + 1).offset((max(page, 1) - 1) * per_page)
    ids = [r["id"] for r in rows[:per_page]]
    roles: dict[int, list[str]] = {}
    if ids:
        for r in await PlatformRole.select(PlatformRole.user, PlatformRole.role).where(PlatformRole.user.is_in(ids)):
            roles.setdefault(r["user"], []).append(r["role"])
    return [
        UserRow(
            r["id"],
            r["display_name"],
            r["email"] or r["phone"] or "",
            r["status"],
            tuple(sorted(roles.get(r["id"], []))),
            r["created_at"],
        )
        for r in rows[:per_page]
    ], len(rows) > per_page


BAN_REASON_MAX = 200


async def set_user_status(*, actor: Actor, user_id: int, status: str, reason: str = "") -> None:
    """Ban or unban, with a reason (kept in the audit row, shown to admins and sent to the user). A ban also
    signs the user out everywhere (auth_epoch). Audited."""
    if status not in ("active", "banned"):
        raise ValidationFailed({"status": N_("Choose a valid status.")})
    if actor.user_id == user_id:
        raise ValidationFailed({"status": N_("You cannot change the status of your own account.")})
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationFailed({"reason": N_("Give a reason: it is recorded and shown to the user.")})
    if len(reason) > BAN_REASON_MAX:
        raise ValidationFailed({"reason": N_("Use at most 200 characters for the reason.")})
    from app.messaging.services import notify

    async with engine().transaction():
        row = await User.select(User.status).where(User.id == user_id).lock_rows().first()
        if row is None:
            raise NotFound(N_("Account not found."))
        if row["status"] == status:
            return
        values: dict = {User.status: status}
        if status == "banned":
            values[User.auth_epoch] = User.auth_epoch + 1
        await User.update(values).where(User.id == user_id)
        await record_audit(
            actor=actor,
            action="user.ban" if status == "banned" else "user.unban",
            target_type="user",
            target_id=user_id,
            before={"status": row["status"]},
            after={"status": status, "reason": reason},
        )
        if status == "banned":
            await notify(
                user_id=user_id,
                kind="account.banned",
                title=N_("Your account has been suspended"),
                body=N_("Reason: %(reason)s"),
                params={"reason": reason},
            )
        else:
            await notify(
                user_id=user_id,
                kind="account.unbanned",
                title=N_("Your account is active again"),
                body=N_("Reason: %(reason)s"),
                params={"reason": reason},
            )


async def has_platform_roles(user_id: int) -> bool:
    return await PlatformRole.exists().where(PlatformRole.user == user_id)


async def set_platform_roles(*, actor: Actor, user_id: int, roles: list[str]) -> None:
    wanted = sorted(set(roles))
    if any(r not in PLATFORM_ROLES for r in wanted):
        raise ValidationFailed({"roles": N_("Choose roles from the list.")})
    async with engine().transaction():
        if not await User.exists().where(User.id == user_id):
            raise NotFound(N_("Account not found."))
        current = sorted(
            r["role"] for r in await PlatformRole.select(PlatformRole.role).where(PlatformRole.user == user_id)
        )
        if current == wanted:
            return
        if actor.user_id == user_id and "admin" in current and "admin" not in wanted:
            raise ValidationFailed({"roles": N_("You cannot remove your own admin role.")})
        if "admin" in current and "admin" not in wanted:
            # one role change at a time, so two admins removing each other cannot leave the platform without one
            await fetchrow("SELECT pg_advisory_xact_lock(hashtext('platform_role')) IS NULL AS x")
            others = await fetchrow(
                'SELECT count(*) AS n FROM platform_role r JOIN app_user u ON u.id = r."user" '
                "WHERE r.role = 'admin' AND u.status = 'active' AND r.\"user\" <> {}",
                user_id,
            )
            if others is not None and int(others["n"]) == 0:
                raise ValidationFailed({"roles": N_("The platform needs at least one administrator.")})
        await PlatformRole.delete().where(PlatformRole.user == user_id)
        if wanted:
            await PlatformRole.insert(*[PlatformRole(user=user_id, role=r) for r in wanted])
        await record_audit(
            actor=actor,
            action="user.roles",
            target_type="user",
            target_id=user_id,
            before={"roles": current},
            after={"roles": wanted},
        )
