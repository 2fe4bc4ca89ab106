"""The two places where orders and payments call settlement inside their own transaction (issue 9).

- `on_orders_paid`: called by `app.orders.services.mark_group_paid` once the group's orders are paid: each order item
  freezes its commission (paid amount excluding postage x the category's rate now) and the sale is posted to the ledger.
- `on_refund_requested`: called by `app.payments.services._insert_refund` right after a refund row is inserted (a
  shop's cancellation, an after-sales refund, a ruling, or a late/double payment refunded whole when order is None)."""

from __future__ import annotations

from app.settlement import posting


async def on_orders_paid(order_ids: list[int]) -> None:
    """In the payment's transaction: freeze commissions and post the sales of these just-paid orders."""
    for order_id in sorted(order_ids):
        await posting.post_sale(order_id)


async def on_refund_requested(refund_id: int) -> None:
    """In the refund's transaction: post the refund (and the commission and subsidy it takes back) to the ledger."""
    await posting.post_refund(refund_id)
