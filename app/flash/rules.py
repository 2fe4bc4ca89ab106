"""Pure rules of flash sales (no database): a session's phase and countdown at a given server time, and the
checks on a seller's nomination. Unit-tested in tests/unit/flash/."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from app.core.i18n import N_

UPCOMING, RUNNING, ENDED, CANCELLED = "upcoming", "running", "ended", "cancelled"
MAX_FLASH_STOCK = 100_000
MAX_PER_USER = 99

NOT_STARTED = N_("This flash sale has not started yet.")
ENDED_MSG = N_("This flash sale has ended.")
SOLD_OUT = N_("Sold out: this flash sale has no stock left.")
OVER_LIMIT = N_("You have reached the limit for this flash sale item.")
TRY_AGAIN = N_("Too many people are buying right now, try again.")
NOT_AVAILABLE = N_("This flash sale item is not available.")


def phase(*, starts_at: datetime, ends_at: datetime, status: str, now: datetime) -> str:
    """upcoming | running | ended | cancelled. The start is inclusive, the end exclusive."""
    if status == "cancelled":
        return CANCELLED
    if now < starts_at:
        return UPCOMING
    if now < ends_at:
        return RUNNING
    return ENDED


@dataclass(frozen=True, slots=True)
class Countdown:
    """What the page shows: the phase, the moment the countdown counts to (the start when upcoming, the end when
    running; None when over) and the whole seconds left at the server's `now`."""

    phase: str
    target: datetime | None
    seconds_left: int

    @property
    def clock(self) -> str:
        """'01:02:03' (hours may pass 99: '123:00:00')."""
        hours, rest = divmod(max(self.seconds_left, 0), 3600)
        minutes, seconds = divmod(rest, 60)
        return f"{hours:02d}:{minutes:02d}:{seconds:02d}"


def countdown(*, starts_at: datetime, ends_at: datetime, status: str, now: datetime) -> Countdown:
    current = phase(starts_at=starts_at, ends_at=ends_at, status=status, now=now)
    if current == UPCOMING:
        target = starts_at
    elif current == RUNNING:
        target = ends_at
    else:
        return Countdown(current, None, 0)
    left = (target - now).total_seconds()
    return Countdown(current, target, max(0, int(left) + (1 if left % 1 else 0)))  # ceil: 0 only when reached


def buy_refusal(*, phase_now: str, item_status: str, flash_stock: int) -> str | None:
    """Why a buy button cannot work right now (a msgid), or None."""
    if item_status != "approved" or phase_now == CANCELLED:
        return NOT_AVAILABLE
    if phase_now == UPCOMING:
        return NOT_STARTED
    if phase_now == ENDED:
        return ENDED_MSG
    if flash_stock <= 0:
        return SOLD_OUT
    return None


def check_nomination(
    *, flash_price_fen: int, list_price_fen: int, flash_stock: int, sku_stock: int, per_user_limit: int
) -> dict[str, str]:
    """Field errors (msgids) of a nomination; {} when it may be sent to the platform."""
    errors: dict[str, str] = {}
    if flash_price_fen <= 0:
        errors["flash_price"] = N_("Enter a flash price above zero.")
    elif flash_price_fen >= list_price_fen:
        errors["flash_price"] = N_("The flash price must be lower than the current price.")
    if flash_stock <= 0 or flash_stock > MAX_FLASH_STOCK:
        errors["flash_stock"] = N_("Enter a flash stock between 1 and 100000.")
    elif flash_stock > sku_stock:
        errors["flash_stock"] = N_("The SKU does not have that much stock.")
    if not 1 <= per_user_limit <= MAX_PER_USER:
        errors["per_user_limit"] = N_("Enter a limit per buyer between 1 and 99.")
    return errors


def parse_count(text: str | None) -> int | None:
    """A whole number typed in a form (at most 6 digits), else None."""
    value = (text or "").strip()
    return int(value) if value.isascii() and value.isdigit() and len(value) <= 6 else None
