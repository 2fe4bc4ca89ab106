"""Parsing the template form (seller center and admin): every field error at once, as msgids, so the form
re-renders with what was typed. Dates are whole days in the display time zone: a window "from 1 Dec to 31 Dec"
opens on 1 Dec 00:00 and closes at the end of 31 Dec."""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.config import get_settings
from app.core.errors import DomainError, ValidationFailed
from app.core.i18n import N_
from app.core.money import parse_yuan, plain_yuan
from app.coupons.rules import CouponTerms
from app.coupons.tables import KINDS, SCOPES

MAX_QUANTITY = 10_000_000
CODE_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-_")


@dataclass(frozen=True, slots=True, kw_only=True)
class TemplateInput(CouponTerms):
    name: str
    scope_ids: tuple[int, ...]
    claim_start_at: datetime
    claim_end_at: datetime
    use_start_at: datetime | None
    use_end_at: datetime | None
    use_days: int | None
    total_quantity: int
    per_user_limit: int
    new_user_only: bool
    redeem_code: str | None
    welcome_pack: bool

    def columns(self) -> dict[str, object]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _tz() -> ZoneInfo:
    return ZoneInfo(get_settings().display_timezone)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=_tz()).astimezone(UTC)


def day_of(moment: datetime | None, *, end: bool = False) -> str:
    """The form value of a stored moment (an end moment shows the last day it still covers)."""
    if moment is None:
        return ""
    local = moment.astimezone(_tz())
    if end:
        local -= timedelta(microseconds=1)
    return local.date().isoformat()


def normalise_code(raw: str) -> str:
    return raw.strip().upper()


def form_of(t: dict) -> dict[str, str]:  # type: ignore[type-arg]
    """A stored template as form values (the edit form)."""
    return {
        "name": t["name"],
        "kind": t["kind"],
        "amount": plain_yuan(t["amount_fen"]) if t["amount_fen"] else "",
        "threshold": plain_yuan(t["threshold_fen"]) if t["threshold_fen"] else "",
        "percent": str(t["percent"] or ""),
        "cap": plain_yuan(t["cap_fen"]) if t["cap_fen"] else "",
        "min_spend": plain_yuan(t["min_spend_fen"]) if t["min_spend_fen"] else "",
        "scope": t["scope"],
        "scope_ids": ", ".join(str(i) for i in t["scope_ids"] or []),
        "claim_start": day_of(t["claim_start_at"]),
        "claim_end": day_of(t["claim_end_at"], end=True),
        "use_mode": "days" if t["use_days"] else "fixed",
        "use_start": day_of(t["use_start_at"]),
        "use_end": day_of(t["use_end_at"], end=True),
        "use_days": str(t["use_days"] or ""),
        "total_quantity": str(t["total_quantity"]),
        "per_user_limit": str(t["per_user_limit"]),
        "new_user_only": "1" if t["new_user_only"] else "",
        "redeem_code": t["redeem_code"] or "",
        "welcome_pack": "1" if t["welcome_pack"] else "",
    }


def parse_template(form: dict[str, str], *, platform: bool) -> TemplateInput:
    errors: dict[str, str] = {}

    def money(name: str, *, required: bool = False) -> int:
        raw = form.get(name, "").strip()
        if not raw:
            if required:
                errors[name] = N_("Enter an amount such as 12.30")
            return 0
        try:
            value = parse_yuan(raw)
        except DomainError as exc:
            errors[name] = exc.message
            return 0
        if required and value <= 0:
            errors[name] = N_("Enter an amount above zero.")
        if value > 100_000_000:
            errors[name] = N_("That amount is too large.")
        return value

    def whole(name: str, low: int, high: int, message: str) -> int:
        raw = form.get(name, "").strip()
        if not raw.isascii() or not raw.isdigit() or not low <= int(raw) <= high:
            errors[name] = message
            return low
        return int(raw)

    def day(name: str) -> date | None:
        raw = form.get(name, "").strip()
        try:
            return date.fromisoformat(raw)
        except ValueError:
            errors[name] = N_("Choose a date.")
            return None

    name = form.get("name", "").strip()
    if not name:
        errors["name"] = N_("Give the coupon a name shoppers will see.")
    elif len(name) > 40:
        errors["name"] = N_("Use at most 40 characters.")

    kind = form.get("kind", "")
    if kind not in KINDS:
        errors["kind"] = N_("Choose a kind of coupon.")
    amount = threshold = percent = 0
    cap: int | None = None
    if kind in ("amount_off", "threshold"):
        amount = money("amount", required=True)
    if kind == "threshold":
        threshold = money("threshold", required=True)
        if amount and threshold and amount >= threshold:
            errors["amount"] = N_("The amount off must be less than the threshold.")
    if kind == "percent_off":
        percent = whole("percent", 1, 99, N_("Enter a percentage off between 1 and 99."))
        cap = money("cap") or None
    min_spend = money("min_spend")

    scope = form.get("scope", "all")
    allowed = SCOPES if platform else ("all", "categories", "products")
    ids: list[int] = []
    if scope not in allowed:
        errors["scope"] = N_("Choose what the coupon applies to.")
    elif scope != "all":
        for part in form.get("scope_ids", "").replace("，", ",").replace(" ", ",").split(","):
            part = part.strip()
            if not part:
                continue
            if not part.isascii() or not part.isdigit() or len(part) > 9:
                errors["scope_ids"] = N_("Enter ids separated by commas, e.g. 12, 15.")
                break
            ids.append(int(part))
        if not ids and "scope_ids" not in errors:
            errors["scope_ids"] = N_("Enter at least one id.")
        if len(ids) > 200:
            errors["scope_ids"] = N_("At most 200 ids.")

    claim_start, claim_end = day("claim_start"), day("claim_end")
    if claim_start and claim_end and claim_end < claim_start:
        errors["claim_end"] = N_("The end must not be before the start.")

    use_mode = form.get("use_mode", "fixed")
    use_start = use_end = None
    use_days: int | None = None
    if use_mode == "days":
        use_days = whole("use_days", 1, 366, N_("Enter a number of days between 1 and 366."))
    else:
        use_start, use_end = day("use_start"), day("use_end")
        if use_start and use_end and use_end < use_start:
            errors["use_end"] = N_("The end must not be before the start.")
        if use_end and claim_end and use_end < claim_end:
            errors["use_end"] = N_("Coupons must stay usable at least until claiming ends.")

    total = whole("total_quantity", 1, MAX_QUANTITY, N_("Enter a quantity between 1 and 10,000,000."))
    per_user = whole("per_user_limit", 1, 100, N_("Enter a limit between 1 and 100."))

    code = normalise_code(form.get("redeem_code", ""))
    if code and (len(code) < 4 or len(code) > 32 or not set(code) <= CODE_CHARS):
        errors["redeem_code"] = N_("A code has 4 to 32 letters, digits, '-' or '_'.")
    welcome = platform and form.get("welcome_pack", "") not in ("", "0")
    if welcome and code:
        errors["welcome_pack"] = N_("A welcome-pack coupon is given on sign-up: it cannot also need a code.")

    if errors:
        raise ValidationFailed(errors)
    assert claim_start and claim_end
    return TemplateInput(
        name=name,
        kind=kind,
        amount_fen=amount,
        threshold_fen=threshold,
        percent=percent,
        cap_fen=cap,
        min_spend_fen=min_spend,
        scope=scope,
        scope_ids=tuple(dict.fromkeys(ids)),
        claim_start_at=day_start(claim_start),
        claim_end_at=day_start(claim_end + timedelta(days=1)),
        use_start_at=day_start(use_start) if use_start else None,
        use_end_at=day_start(use_end + timedelta(days=1)) if use_end else None,
        use_days=use_days,
        total_quantity=total,
        per_user_limit=per_user,
        new_user_only=form.get("new_user_only", "") not in ("", "0"),
        redeem_code=code or None,
        welcome_pack=welcome,
    )
