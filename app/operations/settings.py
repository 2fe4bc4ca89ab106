"""System settings (issue 9): the one registry of platform-wide numbers an operator may change at
/admin/settings/ (every change audited). Code reads a value with `await setting("orders.auto_confirm_days")`.

Contract for the other apps: keys are defined here only (key, default, bounds, unit, section, label); values are
integers (money in fen, rates in basis points). Until an operator changes one, its default applies. The storage,
the per-process cache (dropped through the change feed) and the admin page are the operations app's."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation

from app.config import get_settings
from app.core import changes
from app.core.db import engine, fetch
from app.core.errors import ValidationFailed
from app.core.i18n import N_
from app.core.principal import Actor
from app.moderation.services import record_audit


@dataclass(frozen=True, slots=True)
class Setting:
    key: str
    default: int
    minimum: int
    maximum: int
    unit: str  # minutes | days | fen | bp (basis points) | count
    section: str  # orders | aftersales | reviews | points | settlement
    label: str  # a msgid


REGISTRY: dict[str, Setting] = {
    s.key: s
    for s in (
        Setting(
            "orders.pay_timeout_minutes", 30, 5, 1440, "minutes", "orders", N_("Unpaid orders are cancelled after")
        ),
        Setting(
            "orders.auto_confirm_days", 10, 3, 30, "days", "orders", N_("Receipt is confirmed automatically after")
        ),
        Setting(
            "aftersales.seller_reply_days",
            3,
            1,
            15,
            "days",
            "aftersales",
            N_("A request the seller does not answer is approved after"),
        ),
        Setting(
            "aftersales.buyer_ship_days",
            7,
            1,
            30,
            "days",
            "aftersales",
            N_("A return the buyer does not ship is closed after"),
        ),
        Setting(
            "aftersales.seller_confirm_days",
            10,
            1,
            30,
            "days",
            "aftersales",
            N_("A shipped return the seller does not confirm is refunded after"),
        ),
        Setting(
            "reviews.auto_days",
            15,
            1,
            60,
            "days",
            "reviews",
            N_("A positive review is posted automatically after delivery, after"),
        ),
        Setting(
            "settlement.settle_days",
            7,
            0,
            90,
            "days",
            "settlement",
            N_("Sales are settled to the shop this long after completion (T+N)"),
        ),
        Setting(
            "settlement.payout_min_fen",
            10000,
            0,
            100000000,
            "fen",
            "settlement",
            N_("Smallest payout a shop may request"),
        ),
        Setting("settlement.payout_fee_bp", 0, 0, 1000, "bp", "settlement", N_("Fee on each payout")),
        Setting(
            "settlement.deposit_fen",
            100000,
            0,
            100000000,
            "fen",
            "settlement",
            N_("Deposit (保证金) a shop keeps with the platform"),
        ),
    )
}


SECTIONS: tuple[tuple[str, str], ...] = (
    ("orders", N_("Orders")),
    ("aftersales", N_("After-sales")),
    ("reviews", N_("Reviews")),
    ("points", N_("Points")),
    ("settlement", N_("Settlement")),
)

# Environment overrides of a few defaults that predate the registry (README: PAYMENT_DEADLINE_MINUTES,
# AUTO_CONFIRM_DAYS): they apply while no operator has stored a value.
_ENV_DEFAULTS: dict[str, Callable[[], int]] = {
    "orders.pay_timeout_minutes": lambda: get_settings().payment_deadline_minutes,
    "orders.auto_confirm_days": lambda: get_settings().auto_confirm_days,
}


def default_of(key: str) -> int:
    spec = REGISTRY[key]
    env = _ENV_DEFAULTS.get(key)
    value = env() if env else spec.default
    return value if spec.minimum <= value <= spec.maximum else spec.default


# -- storage and the per-process cache -------------------------------------------------------------------------
# Every checkout and sweep reads settings; they change a few times a year. Each process keeps the stored values
# while the change feed is live (app/core/changes.py); a trigger on system_setting sends 'settings' at commit
# (migration operations settings_change_feed), so an operator's edit applies on the next request everywhere.
CHANGE_TAG = "settings"
_cached: dict[str, dict[str, int]] = {}


def _on_change(tag: str) -> None:
    if tag in (changes.ALL, CHANGE_TAG):
        _cached.clear()


changes.subscribe(_on_change)


async def stored_values() -> dict[str, int]:
    """{key: value} of what operators stored (keys no longer in the registry are ignored)."""
    if changes.live() and (cached := _cached.get("stored")) is not None:
        return cached
    mark = changes.sequence()
    rows = await fetch("SELECT key, value FROM system_setting")
    values = {r["key"]: int(r["value"]) for r in rows if r["key"] in REGISTRY}
    if changes.live() and changes.untouched_since(mark, CHANGE_TAG):
        _cached["stored"] = values
    return values


async def setting(key: str) -> int:
    """The current value of a registered setting: the operator's stored value, else its default."""
    spec = REGISTRY[key]
    value = (await stored_values()).get(key)
    return value if value is not None else default_of(spec.key)


async def current_values() -> dict[str, int]:
    stored = await stored_values()
    return {key: stored.get(key, default_of(key)) for key in REGISTRY}


# -- the form ----------------------------------------------------------------------------------------------------


class SettingsInvalid(ValidationFailed):
    """Field errors with parameters: {key: msgid} plus {key: params} to fill the msgid's placeholders."""

    def __init__(self, errors: dict[str, str], params: dict[str, dict[str, object]]) -> None:
        super().__init__(errors)
        self.field_params = params


def to_text(spec: Setting, value: int) -> str:
    """How a value is shown in the form: fen as yuan ("100.00"), basis points as percent ("0.6"), else digits."""
    if spec.unit == "fen":
        return f"{value // 100}.{value % 100:02d}"
    if spec.unit == "bp":
        return _plain(Decimal(value) / 100)
    return str(value)


def _plain(d: Decimal) -> str:
    text = f"{d:f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def bound_text(spec: Setting, value: int) -> str:
    return to_text(spec, value)


_WHOLE = N_("Enter a whole number from %(min)s to %(max)s.")
_AMOUNT = N_("Enter an amount in yuan from %(min)s to %(max)s, with at most two decimals.")
_PERCENT = N_("Enter a percentage from %(min)s to %(max)s, with at most two decimals.")


def parse_value(spec: Setting, text: str) -> int:
    """The stored integer for what an operator typed; ValueError (message chosen by the caller) if it is not a
    number in the unit's format or lies outside the bounds."""
    cleaned = (text or "").strip().replace(",", "").replace("，", "")
    if spec.unit == "fen":
        cleaned = cleaned.removeprefix("¥").removeprefix("￥").strip()
    if spec.unit == "bp":
        cleaned = cleaned.removesuffix("%").strip()
    if not cleaned:
        raise ValueError("empty")
    if spec.unit in ("fen", "bp"):
        try:
            d = Decimal(cleaned)
        except InvalidOperation:
            raise ValueError("not a number") from None
        if not d.is_finite() or d.as_tuple().exponent < -2:  # type: ignore[operator]
            raise ValueError("format")
        value = int(d * 100)
    else:
        if not cleaned.isdigit():
            raise ValueError("not a whole number")
        value = int(cleaned)
    if not spec.minimum <= value <= spec.maximum:
        raise ValueError("out of bounds")
    return value


def parse_form(form: Mapping[str, str]) -> dict[str, int]:
    """Every registry key from the form (field name = key). All errors at once."""
    values: dict[str, int] = {}
    errors: dict[str, str] = {}
    params: dict[str, dict[str, object]] = {}
    for key, spec in REGISTRY.items():
        try:
            values[key] = parse_value(spec, form.get(key, ""))
        except ValueError:
            errors[key] = _AMOUNT if spec.unit == "fen" else _PERCENT if spec.unit == "bp" else _WHOLE
            params[key] = {"min": bound_text(spec, spec.minimum), "max": bound_text(spec, spec.maximum)}
    if errors:
        raise SettingsInvalid(errors, params)
    return values


async def save(*, actor: Actor, form: Mapping[str, str]) -> list[str]:
    """Store every value that differs from the current one, each change audited (setting.update, before/after)
    in the same transaction. Returns the changed keys. A value equal to the default is stored too, so a later
    change of the default in code does not silently move what an operator chose."""
    wanted = parse_form(form)
    changed: list[str] = []
    async with engine().transaction():
        await fetch("SELECT pg_advisory_xact_lock(hashtext('system_setting'))")  # one editor at a time
        rows = await fetch("SELECT key, value FROM system_setting")
        stored = {r["key"]: int(r["value"]) for r in rows}
        for key in sorted(wanted):
            before = stored.get(key, default_of(key))
            after = wanted[key]
            if before == after:
                continue
            await fetch(
                "INSERT INTO system_setting (key, value, updated_at, updated_by) VALUES ({}, {}, now(), {}) "
                "ON CONFLICT (key) DO UPDATE SET value = EXCLUDED.value, updated_at = EXCLUDED.updated_at, "
                "updated_by = EXCLUDED.updated_by",
                key,
                after,
                actor.user_id,
            )
            await record_audit(
                actor=actor,
                action="setting.update",
                target_type="setting",
                target_id=key,
                before={"value": before, "default": key not in stored},
                after={"value": after},
            )
            changed.append(key)
    if changed:
        _cached.clear()  # this process at once; the others through the feed
    return changed
