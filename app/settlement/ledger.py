"""The double-entry ledger: posting a transaction, reading balances, money rules shared by the services.

Sign convention: an entry's `amount_fen` is signed from the point of view of the account's holder:
**positive = credit** (the platform owes the holder more / the account earned), **negative = debit**. Every
transaction's entries sum to zero (checked here and, at commit, by a constraint trigger in the database).

Accounts (LedgerEntry.account; shop accounts carry the shop id):
- `shop_pending`    sold, not yet settled (positive: owed to the shop once the order is settled)
- `shop_available`  settled, withdrawable (never below zero: a shortfall is taken from the deposit)
- `shop_payout`     requested payouts in transit (approved or not yet decided)
- `shop_deposit`    the shop's deposit (保证金); below zero when a ruling took more than it held (owed top-up)
- `gateway_clearing`   money held at the payment gateway / bank: negative = money the platform holds
- `commission_revenue` commissions earned (positive)
- `subsidy_expense`    discounts the platform paid for (negative)
- `fee_revenue`        payout fees (positive)
- `paid_out`           money wired to shops' bank accounts (positive = sent)

Transactions (LedgerTxn.kind, `ref` unique = idempotent):
- sale            clearing -T, shop_pending +T            (T = order total the buyer paid, postage included)
- subsidy         subsidy_expense -P, shop_pending +P     (platform-borne discounts; negative P when taken back)
- commission      shop_pending -C, commission_revenue +C  (negative C when given back on a refund)
- refund          shop_pending -R, clearing +R            (refund before the order is settled)
- clawback        shop_available -R, clearing +R          (refund after settlement)
- settle          shop_pending -N, shop_available +N      (T+N after completion; N = the order's pending sum)
- deposit         clearing -D, shop_deposit +D            (the shop pays its deposit in)
- deposit_deduct  shop_deposit -X, shop_available +X      (a clawback left available below zero)
- payout_request  shop_available -A, shop_payout +A
- fee             shop_payout -F, fee_revenue +F          (negative F when a rejected payout's fee goes back)
- payout_paid     shop_payout -(A-F), paid_out +(A-F)
- payout_rejected shop_payout -(A-F), shop_available +(A-F)"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.core import clock
from app.core.db import fetch, fetchrow

SHOP_ACCOUNTS = ("shop_pending", "shop_available", "shop_payout", "shop_deposit")
PLATFORM_ACCOUNTS = ("gateway_clearing", "commission_revenue", "subsidy_expense", "fee_revenue", "paid_out")
LOCK_NAMESPACE = 7191  # pg_advisory_xact_lock(LOCK_NAMESPACE, shop id): one shop's balance at a time
BEIJING = timedelta(hours=8)


class Unbalanced(ValueError):
    pass


@dataclass(frozen=True, slots=True)
class Leg:
    account: str
    amount_fen: int
    shop: int | None = None
    order: int | None = None


def half_up(numerator: int, denominator: int) -> int:
    """round(numerator / denominator), halves away from zero; exact integer arithmetic."""
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    sign = -1 if numerator < 0 else 1
    return sign * ((2 * abs(numerator) + denominator) // (2 * denominator))


def commission_of(base_fen: int, rate_bp: int) -> int:
    """Commission = base x rate / 10000, rounded half up (to the fen)."""
    return half_up(base_fen * rate_bp, 10000)


def share_of(total_fen: int, part: int, whole: int) -> int:
    """Cumulative share: the part of `total_fen` that `part` of `whole` stands for, half up; whole when part=whole."""
    if whole <= 0:
        return 0
    if part >= whole:
        return total_fen
    return half_up(total_fen * part, whole)


def check_balanced(legs: list[Leg]) -> list[Leg]:
    legs = [leg for leg in legs if leg.amount_fen != 0]
    total = sum(leg.amount_fen for leg in legs)
    if total != 0:
        raise Unbalanced(f"entries sum to {total}")
    for leg in legs:
        if (leg.account in SHOP_ACCOUNTS) != (leg.shop is not None):
            raise Unbalanced(f"{leg.account}: shop accounts need a shop, platform accounts none")
        if leg.account not in SHOP_ACCOUNTS and leg.account not in PLATFORM_ACCOUNTS:
            raise Unbalanced(f"unknown account {leg.account}")
    return legs


def beijing_day(at: datetime) -> date:
    return (at + BEIJING).date()


async def lock_shop(shop_id: int) -> None:
    """Serialize balance-changing checks of one shop (payout requests, clawbacks) until the transaction ends."""
    await fetch("SELECT pg_advisory_xact_lock({}, {})", LOCK_NAMESPACE, shop_id)


async def post(
    *,
    kind: str,
    ref: str,
    legs: list[Leg],
    shop: int | None = None,
    order: int | None = None,
    refund: int | None = None,
    payout: int | None = None,
    statement: int | None = None,
    memo: str = "",
    at: datetime | None = None,
) -> int | None:
    """Post one transaction in the caller's transaction. Idempotent by `ref`: posting it again changes nothing and
    returns None (as does a transaction whose legs are all zero). Returns the new transaction's id."""
    legs = check_balanced(legs)
    if not legs:
        return None
    row = await fetchrow(
        'INSERT INTO ledger_txn (kind, ref, shop, "order", refund, payout, statement, memo, posted_at) '
        "VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}) ON CONFLICT (ref) DO NOTHING RETURNING id",
        kind,
        ref,
        shop,
        order,
        refund,
        payout,
        statement,
        memo[:200],
        at or clock.now(),
    )
    if row is None:
        return None
    txn = int(row["id"])
    await fetch(
        'INSERT INTO ledger_entry (txn, account, shop, "order", amount_fen) '
        "SELECT {}, a, s, o, n FROM unnest({}::text[], {}::int[], {}::int[], {}::bigint[]) AS u(a, s, o, n)",
        txn,
        [leg.account for leg in legs],
        [leg.shop for leg in legs],
        [leg.order for leg in legs],
        [leg.amount_fen for leg in legs],
    )
    return txn


async def posted(ref: str) -> bool:
    return await fetchrow("SELECT 1 AS x FROM ledger_txn WHERE ref = {}", ref) is not None


async def balance(account: str, shop: int | None = None) -> int:
    if shop is None:
        row = await fetchrow(
            "SELECT coalesce(sum(amount_fen), 0) AS n FROM ledger_entry WHERE account = {} AND shop IS NULL", account
        )
    else:
        row = await fetchrow(
            "SELECT coalesce(sum(amount_fen), 0) AS n FROM ledger_entry WHERE account = {} AND shop = {}",
            account,
            shop,
        )
    return int(row["n"]) if row else 0


async def shop_balances(shop_id: int) -> dict[str, int]:
    rows = await fetch(
        "SELECT account, sum(amount_fen) AS n FROM ledger_entry WHERE shop = {} GROUP BY account", shop_id
    )
    out = dict.fromkeys(SHOP_ACCOUNTS, 0)
    out.update({r["account"]: int(r["n"]) for r in rows})
    return out
