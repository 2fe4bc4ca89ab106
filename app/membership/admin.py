"""The admin's member tools: look a member up (level, growth, balance, ledger) and adjust their points by hand, with
a reason, audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from app.core.db import engine, fetchrow
from app.core.errors import NotFound, ValidationFailed
from app.core.i18n import N_
from app.core.principal import Actor
from app.membership import ledger
from app.membership.services import MemberCard, member_card
from app.moderation.services import record_audit


@dataclass(frozen=True, slots=True)
class MemberLookup:
    user_id: int
    display_name: str
    identifier: str
    card: MemberCard
    points: ledger.PointsSummary


async def find_user(query: str) -> int | None:
    """By id, e-mail or mobile number."""
    q = query.strip()
    if not q:
        return None
    if q.isdigit() and len(q) < 11:
        row = await fetchrow("SELECT id FROM app_user WHERE id = {}", int(q))
    else:
        row = await fetchrow("SELECT id FROM app_user WHERE lower(email) = lower({}) OR phone = {}", q, q)
    return int(row["id"]) if row else None


async def lookup(user_id: int) -> MemberLookup:
    user = await fetchrow("SELECT id, display_name, email, phone FROM app_user WHERE id = {}", user_id)
    if user is None:
        raise NotFound(N_("No such user."))
    return MemberLookup(
        user_id=user_id,
        display_name=user["display_name"] or "",
        identifier=user["email"] or user["phone"] or "",
        card=await member_card(user_id),
        points=await ledger.summary(user_id, limit=200),
    )


def parse_adjustment(form: dict[str, str]) -> tuple[int, str]:
    errors: dict[str, str] = {}
    try:
        delta = int((form.get("delta") or "").strip())
    except ValueError:
        delta = 0
    if delta == 0 or abs(delta) > 10_000_000:
        errors["delta"] = N_("Enter the points to add (e.g. 100) or take away (e.g. -100).")
    reason = (form.get("note") or "").strip()
    if not reason:
        errors["note"] = N_("Say why: the member sees this reason in their history.")
    elif len(reason) > 200:
        errors["note"] = N_("Keep the reason under 200 characters.")
    if errors:
        raise ValidationFailed(errors)
    return delta, reason


async def adjust_points(*, actor: Actor, user_id: int, form: dict[str, str]) -> int:
    """Add or take away points by hand. Taking away more than the balance is refused."""
    delta, reason = parse_adjustment(form)
    if await fetchrow("SELECT id FROM app_user WHERE id = {}", user_id) is None:
        raise NotFound(N_("No such user."))
    ref = f"{user_id}:{uuid.uuid4().hex}"
    async with engine().transaction():
        if delta < 0:
            try:
                await ledger.debit(user_id=user_id, points=-delta, reason="admin", ref=ref, note=reason)
            except ledger.ShortOfPoints:
                raise ValidationFailed({"delta": N_("That is more than the member's balance.")}) from None
        else:
            await ledger.lock_member(user_id)
            await ledger.add_entry(user_id=user_id, delta=delta, reason="admin", ref=ref, note=reason)
        await record_audit(
            actor=actor,
            action="points.adjust",
            target_type="user",
            target_id=user_id,
            after={"delta": delta, "reason": reason, "ref": ref},
        )
    return delta
