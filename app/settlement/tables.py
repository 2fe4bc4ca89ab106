"""Tables of the settlement app (issue 9).

- `Commission`: one row per order item, frozen at payment (rate, base, commission, who bore each discount).
- `LedgerTxn` / `LedgerEntry`: the double-entry ledger. Entries of one transaction sum to zero (a DEFERRABLE
  constraint trigger checks it at commit, see the raw migration); entries are never updated or deleted. Balances
  are SUM(amount_fen) per (account, shop): never stored.
- `RefundShare`: how each refund was spread over the order's items (and its shipping), with the commission and
  subsidy it gave back, so several partial refunds add up exactly to the frozen amounts.
- `Statement`: a shop's settlement statement for one day (Beijing date); its lines are the ledger transactions
  that point to it.
- `Payout`: a shop's withdrawal request and the finance team's decision."""

from __future__ import annotations

from piccolo.columns import BigInt, Date, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from app.sellers.tables import Shop


class Commission(Table, tablename="settlement_commission"):
    order_item = Integer(unique=True)
    order = Integer(index=True)
    shop = ForeignKey(references=Shop, null=False, on_delete=OnDelete.restrict, index=True)
    category = Integer(null=True, default=None)
    rate_bp = Integer()
    base_fen = BigInt()  # the item's paid amount (excluding postage)
    commission_fen = BigInt()
    platform_discount_fen = BigInt(default=0)  # >= 0: discounts the platform pays (subsidy to the shop)
    shop_discount_fen = BigInt(default=0)  # >= 0: discounts the shop bears
    created_at = Timestamptz(default=TimestamptzNow())

    settlement_commission_valid = Check(
        "rate_bp BETWEEN 0 AND 10000 AND base_fen >= 0 AND commission_fen >= 0 AND commission_fen <= base_fen "
        "AND platform_discount_fen >= 0 AND shop_discount_fen >= 0"
    )


class Statement(Table, tablename="settlement_statement"):
    no = Varchar(length=24, unique=True)
    shop = ForeignKey(references=Shop, null=False, on_delete=OnDelete.restrict, index=True)
    period = Date()  # the settlement day (Asia/Shanghai)
    created_at = Timestamptz(default=TimestamptzNow())

    settlement_statement_once = Unique([shop, period])


class Payout(Table, tablename="settlement_payout"):
    no = Varchar(length=24, unique=True)
    shop = ForeignKey(references=Shop, null=False, on_delete=OnDelete.restrict, index=True)
    amount_fen = BigInt()  # taken from the available balance
    fee_fen = BigInt(default=0)  # kept by the platform; the bank transfer is amount - fee
    status = Varchar(length=12, default="requested")  # requested | approved | rejected | paid
    reason = Varchar(length=200, default="")
    bank_ref = Varchar(length=64, default="")
    requested_by = Integer(null=True, default=None)
    decided_by = Integer(null=True, default=None)
    requested_at = Timestamptz(default=TimestamptzNow())
    decided_at = Timestamptz(null=True, default=None)
    paid_at = Timestamptz(null=True, default=None)

    settlement_payout_valid = Check(
        "status IN ('requested', 'approved', 'rejected', 'paid') AND amount_fen > 0 AND fee_fen >= 0 "
        "AND fee_fen < amount_fen"
    )


class LedgerTxn(Table, tablename="ledger_txn"):
    kind = Varchar(length=20, index=True)
    ref = Varchar(length=80, unique=True)  # idempotency: 'sale:order:12', 'refund:34', 'settle:order:12'
    shop = Integer(null=True, default=None, index=True)
    order = Integer(null=True, default=None, index=True)
    refund = Integer(null=True, default=None)
    payout = Integer(null=True, default=None)
    statement = Integer(null=True, default=None, index=True)
    memo = Varchar(length=200, default="")
    posted_at = Timestamptz(default=TimestamptzNow(), index=True)


class LedgerEntry(Table, tablename="ledger_entry"):
    txn = ForeignKey(references=LedgerTxn, null=False, on_delete=OnDelete.restrict, index=True)
    account = Varchar(length=20)  # shop_pending | shop_available | shop_payout | shop_deposit | platform accounts
    shop = Integer(null=True, default=None)
    order = Integer(null=True, default=None, index=True)
    amount_fen = BigInt()  # signed: + credit (owed to the holder), - debit; see app/settlement/ledger.py


class RefundShare(Table, tablename="settlement_refund_share"):
    refund = Integer(index=True)
    order = Integer(index=True)
    order_item = Integer(null=True, default=None, index=True)  # None: the order's shipping
    amount_fen = BigInt()
    commission_fen = BigInt(default=0)  # commission given back to the shop for this share
    subsidy_fen = BigInt(default=0)  # platform subsidy taken back from the shop for this share

    settlement_refund_share_valid = Check("amount_fen >= 0 AND commission_fen >= 0 AND subsidy_fen >= 0")


TABLES = [Commission, Statement, Payout, LedgerTxn, LedgerEntry, RefundShare]
