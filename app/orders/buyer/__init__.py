"""The buyer's side of orders (/me/orders): the tabs and their counts, one order's detail (price breakdown from the
items' snapshots, times, tracking the carrier has reported so far, the other orders of the same checkout),
confirming receipt, and the worker's auto-confirm sweep.

Every read is filtered by the buyer's id, so another buyer's order is simply not found. Status changes go through
app/orders/states.transition; cancelling an unpaid order is the lead's app/orders/services.cancel_unpaid (it cancels
the whole checkout, since one payment covers it)."""

from app.orders.buyer._actions import auto_confirm, confirm_receipt
from app.orders.buyer._detail import Discount, OrderDetail, Sibling, Track, invoice_for_download, order_detail
from app.orders.buyer._list import (
    PAGE_SIZE,
    TABS,
    Counts,
    Item,
    OrderCard,
    OrderPage,
    carrier_name,
    list_orders,
    minutes_left,
    order_card,
    parse_page,
    parse_tab,
    status_counts,
)

__all__ = [
    "PAGE_SIZE",
    "TABS",
    "Counts",
    "Discount",
    "Item",
    "OrderCard",
    "OrderDetail",
    "OrderPage",
    "Sibling",
    "Track",
    "auto_confirm",
    "carrier_name",
    "confirm_receipt",
    "invoice_for_download",
    "list_orders",
    "minutes_left",
    "order_card",
    "order_detail",
    "parse_page",
    "parse_tab",
    "status_counts",
]
