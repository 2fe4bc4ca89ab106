"""Settlement use cases: T+N settlement into daily statements, balances, the shop's ledger, deposits, payouts.

Statement period: one statement per shop per settlement day (Asia/Shanghai date). It holds the orders the sweep
settled that day (with each order's sale, subsidy, commission and refunds before settlement), the refunds of
already-settled orders posted that day (clawbacks, with the commission and subsidy they give back) and the payout
fees charged that day. Net = the sum of its lines = what became withdrawable that day."""

# ruff: noqa: S608 -- the f-strings in this module only join fixed fragments; values travel as parameters
from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, date, timedelta
from decimal import Decimal
from typing import Any

from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.core.errors import NotFound
from app.core.i18n import N_
from app.core.money import format_fen
from app.core.principal import Actor
from app.operations.settings import setting
from app.settlement.errors import PayoutError
from app.settlement.ledger import Leg, beijing_day, commission_of, lock_shop, post, shop_balances
from app.settlement.posting import post_missing_sales


def _ints(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sums come back from PostgreSQL as numeric (Decimal): money is integer fen here."""
    return [{k: int(v) if isinstance(v, Decimal) else v for k, v in dict(r).items()} for r in rows]


STATEMENT_NOT_FOUND = N_("Statement not found.")
PAYOUT_NOT_FOUND = N_("Payout not found.")


# ---------------------------------------------------------------------------------------------------------------
# statements and the T+N sweep


async def statement_for(*, shop_id: int, day: date | None) -> int:
    """The shop's statement for `day` (today, Beijing, by default), created if needed."""
    day = day or beijing_day(clock.now())
    row = await fetchrow(
        "INSERT INTO settlement_statement (no, shop, period, created_at) VALUES ({}, {}, {}, {}) "
        "ON CONFLICT (shop, period) DO NOTHING RETURNING id",
        f"S{day:%y%m%d}{secrets.randbelow(10**8):08d}",
        shop_id,
        day,
        clock.now(),
    )
    if row is None:
        row = await fetchrow("SELECT id FROM settlement_statement WHERE shop = {} AND period = {}", shop_id, day)
    assert row is not None
    return int(row["id"])


async def settle_due(*, limit: int = 500) -> int:
    """The worker's sweep: move each completed order's pending balance to available N days after completion
    (N = settlement.settle_days), filed in the shop's statement of the day. Safe to run twice or concurrently: each
    order is settled under its shop's lock and by its unique ref. Returns how many orders it settled."""
    await post_missing_sales()
    days = await setting("settlement.settle_days")
    now = clock.now()
    due = await fetch(
        "SELECT o.id, o.shop FROM shop_order o WHERE o.status = 'completed' AND o.completed_at <= {} "
        "AND NOT EXISTS (SELECT 1 FROM ledger_txn t WHERE t.ref = 'settle:order:' || o.id) "
        "ORDER BY o.shop, o.id LIMIT {}",
        now - timedelta(days=days),
        limit,
    )
    done = 0
    for order in due:
        async with engine().transaction():
            shop = int(order["shop"])
            await lock_shop(shop)
            if await fetchrow("SELECT 1 AS x FROM ledger_txn WHERE ref = {}", f"settle:order:{order['id']}"):
                continue
            pending = await fetchrow(
                "SELECT coalesce(sum(amount_fen), 0) AS n FROM ledger_entry "
                "WHERE shop = {} AND account = 'shop_pending' AND \"order\" = {}",
                shop,
                order["id"],
            )
            amount = int(pending["n"]) if pending else 0
            statement = await statement_for(shop_id=shop, day=None)
            legs = [Leg("shop_pending", -amount, shop, order["id"]), Leg("shop_available", amount, shop, order["id"])]
            if amount == 0:  # fully refunded before settlement: still marked settled, in the statement
                await fetch(
                    'INSERT INTO ledger_txn (kind, ref, shop, "order", statement, memo, posted_at) '
                    "VALUES ('settle', {}, {}, {}, {}, '', {}) ON CONFLICT (ref) DO NOTHING",
                    f"settle:order:{order['id']}",
                    shop,
                    order["id"],
                    statement,
                    clock.now(),
                )
            else:
                await post(
                    kind="settle",
                    ref=f"settle:order:{order['id']}",
                    shop=shop,
                    order=order["id"],
                    statement=statement,
                    legs=legs,
                )
            done += 1
    return done


@dataclass(frozen=True, slots=True)
class StatementLine:
    kind: str  # settled | refund | fee
    order_id: int | None
    order_no: str
    gross_fen: int
    subsidy_fen: int
    commission_fen: int
    refund_fen: int
    fee_fen: int

    @property
    def net_fen(self) -> int:
        return self.gross_fen + self.subsidy_fen + self.commission_fen + self.refund_fen + self.fee_fen


@dataclass(frozen=True, slots=True)
class StatementView:
    id: int
    no: str
    shop_id: int
    shop_name: str
    period: date
    lines: list[StatementLine]

    def total(self, field: str) -> int:
        return sum(getattr(line, field) for line in self.lines)

    @property
    def totals(self) -> dict[str, int]:
        fields = ("gross_fen", "subsidy_fen", "commission_fen", "refund_fen", "fee_fen", "net_fen")
        return {f: self.total(f) for f in fields}


_SUMS = (
    "coalesce(sum(e.amount_fen) FILTER (WHERE t.kind = 'sale'), 0) AS gross, "
    "coalesce(sum(e.amount_fen) FILTER (WHERE t.kind = 'subsidy'), 0) AS subsidy, "
    "coalesce(sum(e.amount_fen) FILTER (WHERE t.kind = 'commission'), 0) AS commission, "
    "coalesce(sum(e.amount_fen) FILTER (WHERE t.kind IN ('refund', 'clawback')), 0) AS refund, "
    "coalesce(sum(e.amount_fen) FILTER (WHERE t.kind = 'fee'), 0) AS fee"
)


async def statement_lines(statement_id: int, shop_id: int) -> list[StatementLine]:
    settled = await fetch(
        f'SELECT e."order" AS order_id, o.no, {_SUMS} FROM ledger_entry e JOIN ledger_txn t ON t.id = e.txn '
        'JOIN shop_order o ON o.id = e."order" '
        "WHERE e.shop = {} AND e.account = 'shop_pending' AND t.kind <> 'settle' AND e.\"order\" IN "
        "(SELECT s.\"order\" FROM ledger_txn s WHERE s.statement = {} AND s.kind = 'settle') "
        'GROUP BY e."order", o.no ORDER BY e."order"',
        shop_id,
        statement_id,
    )
    after = await fetch(
        f"SELECT e.\"order\" AS order_id, coalesce(o.no, '') AS no, {_SUMS} FROM ledger_entry e "
        'JOIN ledger_txn t ON t.id = e.txn LEFT JOIN shop_order o ON o.id = e."order" '
        "WHERE e.shop = {} AND t.statement = {} AND t.kind IN ('clawback', 'subsidy', 'commission', 'fee') "
        "AND e.account IN ('shop_available', 'shop_payout') "
        'GROUP BY e."order", o.no ORDER BY e."order" NULLS LAST',
        shop_id,
        statement_id,
    )
    lines = [_line("settled", r) for r in settled]
    lines += [_line("fee" if r["order_id"] is None else "refund", r) for r in after]
    return lines


def _line(kind: str, r: dict[str, Any]) -> StatementLine:
    return StatementLine(
        kind=kind,
        order_id=r["order_id"],
        order_no=r["no"],
        gross_fen=int(r["gross"]),
        subsidy_fen=int(r["subsidy"]),
        commission_fen=int(r["commission"]),
        refund_fen=int(r["refund"]),
        fee_fen=int(r["fee"]),
    )


async def list_statements(*, shop_id: int, limit: int = 60) -> list[dict[str, Any]]:
    rows = await fetch(
        "SELECT s.id, s.no, s.period, coalesce((SELECT sum(e.amount_fen) FROM ledger_entry e JOIN ledger_txn t "
        "ON t.id = e.txn WHERE t.statement = s.id AND e.shop = s.shop AND e.account = 'shop_available'), 0) AS net, "
        "(SELECT count(*) FROM ledger_txn t WHERE t.statement = s.id AND t.kind = 'settle') AS orders "
        "FROM settlement_statement s WHERE s.shop = {} ORDER BY s.period DESC LIMIT {}",
        shop_id,
        limit,
    )
    return _ints(rows)


async def recent_statements(*, limit: int = 20) -> list[dict[str, Any]]:
    """The latest statements of every shop, for finance."""
    rows = await fetch(
        "SELECT s.id, s.no, s.period, sh.name AS shop_name, coalesce((SELECT sum(e.amount_fen) FROM ledger_entry e "
        "JOIN ledger_txn t ON t.id = e.txn WHERE t.statement = s.id AND e.shop = s.shop "
        "AND e.account = 'shop_available'), 0) AS net FROM settlement_statement s JOIN shop sh ON sh.id = s.shop "
        "ORDER BY s.period DESC, s.id DESC LIMIT {}",
        limit,
    )
    return _ints(rows)


async def get_statement(*, statement_id: int, shop_id: int | None) -> StatementView:
    """A statement of this shop (None: any shop, for finance). Another shop's statement is not found."""
    row = await fetchrow(
        "SELECT s.id, s.no, s.shop, s.period, sh.name FROM settlement_statement s JOIN shop sh ON sh.id = s.shop "
        "WHERE s.id = {}",
        statement_id,
    )
    if row is None or (shop_id is not None and int(row["shop"]) != shop_id):
        raise NotFound(STATEMENT_NOT_FOUND)
    lines = await statement_lines(int(row["id"]), int(row["shop"]))
    return StatementView(
        id=int(row["id"]),
        no=row["no"],
        shop_id=int(row["shop"]),
        shop_name=row["name"],
        period=row["period"],
        lines=lines,
    )


# ---------------------------------------------------------------------------------------------------------------
# balances and the shop's ledger

KINDS = (
    "sale",
    "subsidy",
    "commission",
    "refund",
    "clawback",
    "settle",
    "deposit",
    "deposit_deduct",
    "payout_request",
    "fee",
    "payout_paid",
    "payout_rejected",
)


async def balances(*, shop_id: int) -> dict[str, int]:
    out = await shop_balances(shop_id)
    out["deposit_required"] = await setting("settlement.deposit_fen")
    return out


async def ledger_entries(
    *, shop_id: int, account: str = "", kind: str = "", day_from: date | None = None, day_to: date | None = None
) -> list[dict[str, Any]]:
    where = ["e.shop = {}"]
    args: list[Any] = [shop_id]
    if account:
        where.append("e.account = {}")
        args.append(account)
    if kind:
        where.append("t.kind = {}")
        args.append(kind)
    if day_from:
        where.append("t.posted_at >= {}")
        args.append(_start_of(day_from))
    if day_to:
        where.append("t.posted_at < {}")
        args.append(_start_of(day_to + timedelta(days=1)))
    args.append(500)
    return await fetch(
        'SELECT e.id, e.account, e.amount_fen, t.kind, t.ref, t.posted_at, o.no AS order_no, e."order" AS order_id '
        'FROM ledger_entry e JOIN ledger_txn t ON t.id = e.txn LEFT JOIN shop_order o ON o.id = e."order" '
        f"WHERE {' AND '.join(where)} ORDER BY t.posted_at DESC, e.id DESC LIMIT {{}}",
        *args,
    )


def _start_of(day: date):
    from datetime import datetime, time

    return datetime.combine(day, time.min, tzinfo=UTC) - timedelta(hours=8)


# ---------------------------------------------------------------------------------------------------------------
# deposit


async def pay_deposit(*, shop_id: int, amount_fen: int, key: str, actor: Actor) -> bool:
    """The SANDBOX deposit payment: the money is taken as received at the gateway. `key` (the form's nonce)
    makes a double submit pay once. Returns False when this key was paid already."""
    from app.moderation.services import record_audit

    if amount_fen <= 0:
        raise PayoutError(N_("Enter an amount above zero."))
    if amount_fen > 100_000_000:
        raise PayoutError(N_("That amount is too large."))
    async with engine().transaction():
        txn = await post(
            kind="deposit",
            ref=f"deposit:{shop_id}:{key[:40]}",
            shop=shop_id,
            memo="sandbox",
            legs=[Leg("gateway_clearing", -amount_fen), Leg("shop_deposit", amount_fen, shop_id)],
        )
        if txn is not None:
            await record_audit(
                actor=actor, action="deposit.paid", target_type="shop", target_id=shop_id, after={"fen": amount_fen}
            )
    return txn is not None


# ---------------------------------------------------------------------------------------------------------------
# payouts


def _payout_no() -> str:
    return f"W{beijing_day(clock.now()):%y%m%d}{secrets.randbelow(10**10):010d}"


async def request_payout(*, shop_id: int, amount_fen: int, actor: Actor) -> dict[str, Any]:
    """Move `amount_fen` from available to payout. Under the shop's lock the balance is summed and checked, so
    concurrent requests can never overdraw it."""
    from app.moderation.services import record_audit

    minimum = await setting("settlement.payout_min_fen")
    fee_bp = await setting("settlement.payout_fee_bp")
    if amount_fen <= 0:
        raise PayoutError(N_("Enter an amount above zero."))
    if amount_fen < minimum:
        raise PayoutError(N_("The smallest payout is %(min)s."), min=format_fen(minimum))
    fee = commission_of(amount_fen, fee_bp)
    if fee >= amount_fen:
        raise PayoutError(N_("The amount does not cover the payout fee."))
    async with engine().transaction():
        await lock_shop(shop_id)
        available = (await shop_balances(shop_id))["shop_available"]
        if amount_fen > available:
            raise PayoutError(N_("At most %(available)s is available."), available=format_fen(max(available, 0)))
        payout = await fetchrow(
            "INSERT INTO settlement_payout (no, shop, amount_fen, fee_fen, status, requested_by, requested_at) "
            "VALUES ({}, {}, {}, {}, 'requested', {}, {}) RETURNING id, no, amount_fen, fee_fen",
            _payout_no(),
            shop_id,
            amount_fen,
            fee,
            actor.user_id,
            clock.now(),
        )
        assert payout is not None
        pid = int(payout["id"])
        await post(
            kind="payout_request",
            ref=f"payout:{pid}",
            shop=shop_id,
            payout=pid,
            legs=[Leg("shop_available", -amount_fen, shop_id), Leg("shop_payout", amount_fen, shop_id)],
        )
        if fee:
            await post(
                kind="fee",
                ref=f"fee:payout:{pid}",
                shop=shop_id,
                payout=pid,
                statement=await statement_for(shop_id=shop_id, day=None),
                legs=[Leg("shop_payout", -fee, shop_id), Leg("fee_revenue", fee)],
            )
        await record_audit(
            actor=actor, action="payout.requested", target_type="payout", target_id=pid, after=dict(payout)
        )
    return payout


async def list_payouts(*, shop_id: int | None = None, status: str = "", limit: int = 200) -> list[dict[str, Any]]:
    where, args = ["true"], []
    if shop_id is not None:
        where.append("p.shop = {}")
        args.append(shop_id)
    if status:
        where.append("p.status = {}")
        args.append(status)
    return await fetch(
        "SELECT p.*, s.name AS shop_name FROM settlement_payout p JOIN shop s ON s.id = p.shop "
        f"WHERE {' AND '.join(where)} ORDER BY p.requested_at DESC, p.id DESC LIMIT {limit:d}",
        *args,
    )


async def _decide(payout_id: int, *, allowed: tuple[str, ...], to: str) -> dict[str, Any]:
    payout = await fetchrow("SELECT * FROM settlement_payout WHERE id = {} FOR UPDATE", payout_id)
    if payout is None:
        raise NotFound(PAYOUT_NOT_FOUND)
    if payout["status"] not in allowed:
        raise PayoutError(N_("This payout is already %(status)s."), status=payout["status"])
    return payout


async def _tell_shop(payout: dict[str, Any], title: str, body: str, **params: object) -> None:
    from app.messaging.services import notify

    owners = await fetch(
        "SELECT \"user\" FROM shop_staff WHERE shop = {} AND role IN ('owner', 'finance')", payout["shop"]
    )
    for owner in owners:
        await notify(
            user_id=int(owner["user"]),
            kind="payout",
            title=title,
            body=body,
            params={"no": payout["no"], "amount": format_fen(int(payout["amount_fen"]), "en"), **params},
            link="/seller/finance/",
        )


async def approve_payout(*, payout_id: int, actor: Actor) -> None:
    from app.moderation.services import record_audit

    async with engine().transaction():
        payout = await _decide(payout_id, allowed=("requested",), to="approved")
        await fetch(
            "UPDATE settlement_payout SET status = 'approved', decided_by = {}, decided_at = {} WHERE id = {}",
            actor.user_id,
            clock.now(),
            payout_id,
        )
        await record_audit(
            actor=actor,
            action="payout.approved",
            target_type="payout",
            target_id=payout_id,
            before={"status": payout["status"]},
            after={"status": "approved"},
        )
        await _tell_shop(payout, N_("Payout %(no)s approved"), N_("%(amount)s will be sent to your bank account."))


async def reject_payout(*, payout_id: int, reason: str, actor: Actor) -> None:
    from app.moderation.services import record_audit

    reason = reason.strip()
    if not reason:
        raise PayoutError(N_("Give a reason for the rejection."))
    async with engine().transaction():
        payout = await _decide(payout_id, allowed=("requested", "approved"), to="rejected")
        shop, amount, fee = int(payout["shop"]), int(payout["amount_fen"]), int(payout["fee_fen"])
        await fetch(
            "UPDATE settlement_payout SET status = 'rejected', reason = {}, decided_by = {}, decided_at = {} "
            "WHERE id = {}",
            reason[:200],
            actor.user_id,
            clock.now(),
            payout_id,
        )
        await post(
            kind="payout_rejected",
            ref=f"payout_rejected:{payout_id}",
            shop=shop,
            payout=payout_id,
            legs=[Leg("shop_payout", -(amount - fee), shop), Leg("shop_available", amount - fee, shop)],
        )
        if fee:
            await post(
                kind="fee",
                ref=f"fee_back:payout:{payout_id}",
                shop=shop,
                payout=payout_id,
                legs=[Leg("fee_revenue", -fee), Leg("shop_available", fee, shop)],
            )
        await record_audit(
            actor=actor,
            action="payout.rejected",
            target_type="payout",
            target_id=payout_id,
            before={"status": payout["status"]},
            after={"status": "rejected", "reason": reason},
        )
        await _tell_shop(
            payout,
            N_("Payout %(no)s rejected"),
            N_("The money is back in your balance. Reason: %(reason)s"),
            reason=reason,
        )


async def mark_payout_paid(*, payout_id: int, bank_ref: str, actor: Actor) -> None:
    from app.moderation.services import record_audit

    bank_ref = bank_ref.strip()
    if not bank_ref:
        raise PayoutError(N_("Enter the bank's reference of the transfer."))
    async with engine().transaction():
        payout = await _decide(payout_id, allowed=("approved",), to="paid")
        shop, net = int(payout["shop"]), int(payout["amount_fen"]) - int(payout["fee_fen"])
        await fetch(
            "UPDATE settlement_payout SET status = 'paid', bank_ref = {}, paid_at = {} WHERE id = {}",
            bank_ref[:64],
            clock.now(),
            payout_id,
        )
        await post(
            kind="payout_paid",
            ref=f"payout_paid:{payout_id}",
            shop=shop,
            payout=payout_id,
            legs=[Leg("shop_payout", -net, shop), Leg("paid_out", net)],
        )
        await record_audit(
            actor=actor,
            action="payout.paid",
            target_type="payout",
            target_id=payout_id,
            before={"status": payout["status"]},
            after={"status": "paid", "bank_ref": bank_ref},
        )
        await _tell_shop(
            payout, N_("Payout %(no)s sent"), N_("%(amount)s was sent (bank reference %(ref)s)."), ref=bank_ref
        )


# ---------------------------------------------------------------------------------------------------------------
# finance views


async def all_balances() -> list[dict[str, Any]]:
    return _ints(
        await fetch(
            "SELECT s.id, s.name, "
            "coalesce(sum(e.amount_fen) FILTER (WHERE e.account = 'shop_pending'), 0) AS pending, "
            "coalesce(sum(e.amount_fen) FILTER (WHERE e.account = 'shop_available'), 0) AS available, "
            "coalesce(sum(e.amount_fen) FILTER (WHERE e.account = 'shop_payout'), 0) AS payout, "
            "coalesce(sum(e.amount_fen) FILTER (WHERE e.account = 'shop_deposit'), 0) AS deposit "
            "FROM shop s JOIN ledger_entry e ON e.shop = s.id GROUP BY s.id, s.name ORDER BY s.id"
        )
    )


async def platform_balances() -> dict[str, int]:
    rows = await fetch("SELECT account, sum(amount_fen) AS n FROM ledger_entry WHERE shop IS NULL GROUP BY account")
    return {r["account"]: int(r["n"]) for r in rows}


@dataclass(frozen=True, slots=True)
class Reconciliation:
    day_from: date
    day_to: date
    shops: list[dict[str, Any]]
    totals: dict[str, int]
    unmatched_refunds: list[dict[str, Any]]  # late/double payments refunded whole: no sale, no refund posting

    @property
    def balanced(self) -> bool:
        return all(s["sale_diff"] == 0 and s["refund_diff"] == 0 for s in self.shops)


async def reconcile(*, day_from: date, day_to: date) -> Reconciliation:
    """Orders paid and refunds requested in the period (Beijing days) against the ledger's postings in the period,
    per shop. A difference means a sale or refund the ledger does not explain."""
    start, end = _start_of(day_from), _start_of(day_to + timedelta(days=1))
    rows = await fetch(
        "WITH paid AS (SELECT shop, sum(total_fen) AS n, count(*) AS orders FROM shop_order "
        "WHERE paid_at >= {} AND paid_at < {} GROUP BY shop), "
        'refunds AS (SELECT o.shop, sum(r.amount_fen) AS n FROM refund r JOIN shop_order o ON o.id = r."order" '
        "WHERE r.created_at >= {} AND r.created_at < {} AND r.status <> 'failed' GROUP BY o.shop), "
        "posted AS (SELECT t.shop, "
        "coalesce(-sum(e.amount_fen) FILTER (WHERE t.kind = 'sale'), 0) AS sales, "
        "coalesce(sum(e.amount_fen) FILTER (WHERE t.kind IN ('refund', 'clawback')), 0) AS refunds "
        "FROM ledger_txn t JOIN ledger_entry e ON e.txn = t.id AND e.account = 'gateway_clearing' "
        "WHERE t.posted_at >= {} AND t.posted_at < {} GROUP BY t.shop), "
        "pl AS (SELECT t.shop, "
        "coalesce(sum(e.amount_fen) FILTER (WHERE e.account = 'commission_revenue'), 0) AS commission, "
        "coalesce(-sum(e.amount_fen) FILTER (WHERE e.account = 'subsidy_expense'), 0) AS subsidy "
        "FROM ledger_txn t JOIN ledger_entry e ON e.txn = t.id "
        "WHERE t.posted_at >= {} AND t.posted_at < {} GROUP BY t.shop) "
        "SELECT s.id AS shop_id, s.name, coalesce(paid.n, 0) AS paid, coalesce(paid.orders, 0) AS orders, "
        "coalesce(posted.sales, 0) AS sales, coalesce(refunds.n, 0) AS refunds, "
        "coalesce(posted.refunds, 0) AS refund_postings, coalesce(pl.commission, 0) AS commission, "
        "coalesce(pl.subsidy, 0) AS subsidy FROM shop s LEFT JOIN paid ON paid.shop = s.id "
        "LEFT JOIN refunds ON refunds.shop = s.id LEFT JOIN posted ON posted.shop = s.id "
        "LEFT JOIN pl ON pl.shop = s.id "
        "WHERE paid.shop IS NOT NULL OR refunds.shop IS NOT NULL OR posted.shop IS NOT NULL OR pl.shop IS NOT NULL "
        "ORDER BY s.id",
        start,
        end,
        start,
        end,
        start,
        end,
        start,
        end,
    )
    shops = []
    for row in _ints(rows):
        row["sale_diff"] = row["sales"] - row["paid"]
        row["refund_diff"] = row["refund_postings"] - row["refunds"]
        row["net"] = row["paid"] - row["refunds"]
        row["ledger_net"] = row["sales"] - row["refund_postings"]
        shops.append(row)
    keys = ("paid", "orders", "sales", "refunds", "refund_postings", "commission", "subsidy", "net", "ledger_net")
    totals = {k: sum(s[k] for s in shops) for k in keys}
    unmatched = await fetch(
        "SELECT r.id, r.amount_fen, r.idempotency_key, r.reason, r.status, p.no AS payment_no FROM refund r "
        'JOIN payment p ON p.id = r.payment WHERE r."order" IS NULL AND r.created_at >= {} AND r.created_at < {} '
        "ORDER BY r.id",
        start,
        end,
    )
    fees = await fetchrow(
        "SELECT coalesce(sum(e.amount_fen), 0) AS n FROM ledger_entry e JOIN ledger_txn t ON t.id = e.txn "
        "WHERE e.account = 'fee_revenue' AND t.posted_at >= {} AND t.posted_at < {}",
        start,
        end,
    )
    totals["fees"] = int(fees["n"]) if fees else 0
    return Reconciliation(day_from=day_from, day_to=day_to, shops=shops, totals=totals, unmatched_refunds=unmatched)
