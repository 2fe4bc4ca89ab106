"""The seller's side of an order's life: the shop's order list (tabs, search, pages) and detail, shipping (one or a
batch, each order on its own), cancelling a paid order with a full refund, the self-pickup handover (pickup code),
printable packing lists and labels, and the worker's sweep that marks parcels delivered.

Every query is filtered by the shop id: another shop's order is simply not found (404). Every state change goes
through states.transition, in one transaction with its audit row; notifications to the buyer go out after commit.

Permissions (declared on the routes, see app/sellers/permissions.py): reading needs orders.view; shipping, printing,
the pickup handover and invoice uploads need orders.ship (the people who pack and hand over the goods); cancelling
a paid order needs aftersales.handle, because it gives the buyer's money back — the same people who handle refunds
after delivery (owner, manager, customer service), not the warehouse."""

from app.orders.fulfilment._actions import (
    SYSTEM,
    ShipRequest,
    ShipResult,
    cancel_paid_order,
    check_reason,
    check_shipment,
    deliver_due,
    ship_many,
    ship_order,
)
from app.orders.fulfilment._pickup import (
    PICKUP_MAX_FAILURES,
    PICKUP_WINDOW,
    WRONG_CODE,
    find_pickup,
    hand_over,
    normalise_code,
)
from app.orders.fulfilment._reading import (
    MAX_BATCH,
    ORDER_NOT_FOUND,
    PAGE_SIZE,
    TABS,
    EventView,
    ItemView,
    OrderDetail,
    OrderPage,
    OrderRow,
    PrintSheet,
    Sender,
    TrackingView,
    list_orders,
    order_detail,
    parse_ids,
    printables,
    shippable_orders,
    tab_counts,
    visible_tracking,
)

__all__ = [
    "MAX_BATCH",
    "ORDER_NOT_FOUND",
    "PAGE_SIZE",
    "PICKUP_MAX_FAILURES",
    "PICKUP_WINDOW",
    "SYSTEM",
    "TABS",
    "WRONG_CODE",
    "EventView",
    "ItemView",
    "OrderDetail",
    "OrderPage",
    "OrderRow",
    "PrintSheet",
    "Sender",
    "ShipRequest",
    "ShipResult",
    "TrackingView",
    "cancel_paid_order",
    "check_reason",
    "check_shipment",
    "deliver_due",
    "find_pickup",
    "hand_over",
    "list_orders",
    "normalise_code",
    "order_detail",
    "parse_ids",
    "printables",
    "ship_many",
    "ship_order",
    "shippable_orders",
    "tab_counts",
    "visible_tracking",
]
