"""A statement as CSV (UTF-8 with a BOM, so Excel opens the Chinese correctly) or XLSX (openpyxl, already a
dependency for bulk listing). Cells that a spreadsheet would read as a formula (= + - @, tab, CR) are prefixed
with a quote, except plain numbers."""

from __future__ import annotations

import csv
import io
import re

from openpyxl import Workbook

from app.core.i18n import gettext
from app.settlement.services import StatementView

_NUMBER = re.compile(r"^-?\d+(\.\d+)?$")
LINE_KINDS = {"settled": "Settled order", "refund": "Refund after settlement", "fee": "Payout fee"}


def yuan(fen: int) -> str:
    """-1230 -> '-12.30' (always two decimals; exact)."""
    whole, cents = divmod(abs(fen), 100)
    return f"{'-' if fen < 0 else ''}{whole}.{cents:02d}"


def safe_cell(value: object) -> str:
    text = str(value)
    if text and text[0] in "=+-@\t\r" and not _NUMBER.match(text):
        return "'" + text
    return text


def _rows(view: StatementView) -> list[list[str]]:
    header = [
        gettext("Statement"),
        gettext("Period"),
        gettext("Line"),
        gettext("Order"),
        gettext("Sales"),
        gettext("Platform subsidy"),
        gettext("Commission"),
        gettext("Refunds"),
        gettext("Fees"),
        gettext("Net"),
    ]
    rows = [header]
    for line in view.lines:
        rows.append(
            [
                view.no,
                view.period.isoformat(),
                gettext(LINE_KINDS[line.kind]),
                line.order_no,
                yuan(line.gross_fen),
                yuan(line.subsidy_fen),
                yuan(line.commission_fen),
                yuan(line.refund_fen),
                yuan(line.fee_fen),
                yuan(line.net_fen),
            ]
        )
    t = view.totals
    rows.append(
        [view.no, view.period.isoformat(), gettext("Total"), ""]
        + [yuan(t[k]) for k in ("gross_fen", "subsidy_fen", "commission_fen", "refund_fen", "fee_fen", "net_fen")]
    )
    return [[safe_cell(c) for c in row] for row in rows]


def statement_csv(view: StatementView) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([safe_cell(view.shop_name)])
    writer.writerows(_rows(view))
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def statement_xlsx(view: StatementView) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = view.period.isoformat()
    ws.append([safe_cell(view.shop_name)])
    for i, row in enumerate(_rows(view)):
        if i == 0:
            ws.append(row)
            continue
        ws.append([float(c) if j >= 4 and _NUMBER.match(c) else c for j, c in enumerate(row)])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
