"""Password reset issued by an admin (/admin/users/<id> → "Reset password"): a one-time link shown to the admin,
who passes it on to the account's owner. Only the SHA-256 of the random token is stored; the link works once,
for RESET_HOURS; issuing a new link voids the older ones. Setting the new password signs the account out
everywhere (auth_epoch, docs/decisions/0003). Both steps are audited."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from app.accounts.forms import password_problem
from app.accounts.services import hash_password
from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.core.errors import DomainError, Forbidden, NotFound, ValidationFailed
from app.core.i18n import N_
from app.core.principal import Actor
from app.messaging.services import notify
from app.moderation.services import record_audit

RESET_HOURS = 24


class ResetLinkInvalid(DomainError):
    status_code = 404


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_reset(*, actor: Actor, user_id: int, actor_is_admin: bool) -> str:
    """A new one-time token for the account (older unused ones stop working). Returns the token (never stored).
    Only an administrator may reset the password of platform staff (else operations could take over an admin)."""
    token = secrets.token_urlsafe(32)
    now = clock.now()
    async with engine().transaction():
        user = await fetchrow("SELECT id FROM app_user WHERE id = {} FOR UPDATE", user_id)
        if user is None:
            raise NotFound(N_("Account not found."))
        if not actor_is_admin and await fetchrow('SELECT 1 AS x FROM platform_role WHERE "user" = {} LIMIT 1', user_id):
            raise Forbidden(N_("Only an administrator may reset the password of platform staff."))
        await fetch('DELETE FROM password_reset WHERE "user" = {} AND used_at IS NULL', user_id)
        await fetch(
            'INSERT INTO password_reset ("user", token_hash, created_at, expires_at, issued_by) '
            "VALUES ({}, {}, {}, {}, {})",
            user_id,
            _digest(token),
            now,
            now + timedelta(hours=RESET_HOURS),
            actor.user_id,
        )
        await record_audit(
            actor=actor,
            action="user.password_reset_issued",
            target_type="user",
            target_id=user_id,
            after={"expires_in_hours": RESET_HOURS},
        )
        await notify(
            user_id=user_id,
            kind="account.password_reset",
            title=N_("A password reset was started for your account"),
            body=N_("Platform staff issued a one-time link to set a new password. It expires in %(hours)s hours."),
            params={"hours": RESET_HOURS},
        )
    return token


async def check_token(token: str) -> int:
    """The account id of a usable token, else ResetLinkInvalid."""
    row = await fetchrow(
        'SELECT "user" FROM password_reset WHERE token_hash = {} AND used_at IS NULL AND expires_at > {}',
        _digest(token),
        clock.now(),
    )
    if row is None:
        raise ResetLinkInvalid(N_("This link is not valid any more: it was used, replaced or has expired."))
    return int(row["user"])


async def use_token(*, token: str, new: str, confirm: str, ip: str | None) -> int:
    """Set the new password with a usable token: the token is spent and every session signed out. Returns the
    account id."""
    user_id = await check_token(token)
    user = await fetchrow("SELECT email, phone FROM app_user WHERE id = {}", user_id)
    assert user is not None
    if problem := password_problem(new, user["email"] or user["phone"] or ""):
        raise ValidationFailed({"new": problem})
    if new != confirm:
        raise ValidationFailed({"confirm": N_("The two passwords do not match.")})
    new_hash = await hash_password(new)
    async with engine().transaction():
        spent = await fetchrow(
            "UPDATE password_reset SET used_at = {} WHERE token_hash = {} AND used_at IS NULL AND expires_at > {} "
            'RETURNING "user"',
            clock.now(),
            _digest(token),
            clock.now(),
        )
        if spent is None:  # used by a concurrent request meanwhile
            raise ResetLinkInvalid(N_("This link is not valid any more: it was used, replaced or has expired."))
        await fetch(
            "UPDATE app_user SET password_hash = {}, auth_epoch = auth_epoch + 1 WHERE id = {}", new_hash, user_id
        )
        await record_audit(
            actor=Actor(user_id=user_id, ip=ip, label="reset link"),
            action="user.password_reset_done",
            target_type="user",
            target_id=user_id,
        )
    return user_id
