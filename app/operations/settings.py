"""System settings (issue 9): the one registry of platform-wide numbers an operator may change at
/admin/settings/ (every change audited). Code reads a value with `await setting("orders.auto_confirm_days")`.

Contract for the other apps: keys are defined here only (key, default, bounds, unit, section, label); values are
integers (money in fen, rates in basis points). Until an operator changes one, its default applies. The storage,
the per-process cache (dropped through the change feed) and the admin page are the operations app's."""

from __future__ import annotations

from dataclasses import dataclass

from app.core.i18n import N_


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


async def setting(key: str) -> int:
    """The current value of a registered setting (its default until the operations app stores a change)."""
    return REGISTRY[key].default
