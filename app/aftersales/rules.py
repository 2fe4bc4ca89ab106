"""Pure rules of after-sales (issue 8): the refundable amount of an order item and the request state machine.

    requested → approved | rejected | closed
    approved (return_refund / exchange) → buyer_shipped → received → refunded
    an exchange: received → reshipped (the seller ships the replacement) → closed (the buyer confirms receipt,
    or the sweep after the order auto-confirm period); no refund
    approved (refund_only) → refunded
    rejected → escalated → arbitrated        (ruling: refund_full | refund_partial | rejected)
    requested | approved | rejected → closed (the buyer cancels, or a timeout)

No I/O here: the services read the rows and ask these functions.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from app.core.errors import DomainError
from app.core.i18n import N_

KINDS = ("refund_only", "return_refund", "exchange")
KIND_LABELS = {
    "refund_only": N_("Refund only"),
    "return_refund": N_("Return and refund"),
    "exchange": N_("Exchange"),
}
STATUS_LABELS = {
    "requested": N_("Awaiting the seller"),
    "approved": N_("Approved"),
    "rejected": N_("Rejected"),
    "buyer_shipped": N_("Return shipped"),
    "received": N_("Return received"),
    "reshipped": N_("Replacement shipped"),
    "refunded": N_("Refunded"),
    "escalated": N_("Platform reviewing"),
    "arbitrated": N_("Ruled by the platform"),
    "closed": N_("Closed"),
}
# a request in one of these states blocks a new one for the same item (the partial unique index says the same)
OPEN_STATES = frozenset({"requested", "approved", "buyer_shipped", "received", "reshipped", "escalated"})
FINAL_STATES = frozenset({"refunded", "arbitrated", "closed"})
RULINGS = ("refund_full", "refund_partial", "rejected")
# order states in which a buyer may apply
APPLICABLE_ORDER_STATES = frozenset({"paid", "shipped", "delivered", "completed"})

_TRANSITIONS: dict[str, frozenset[str]] = {
    "requested": frozenset({"approved", "rejected", "closed"}),
    "approved": frozenset({"buyer_shipped", "refunded", "closed"}),
    "buyer_shipped": frozenset({"received"}),
    "received": frozenset({"refunded", "reshipped"}),  # reshipped: an exchange, the replacement sent
    "reshipped": frozenset({"closed"}),  # the buyer got the replacement
    "rejected": frozenset({"escalated", "closed"}),
    "escalated": frozenset({"arbitrated"}),
    "refunded": frozenset(),
    "arbitrated": frozenset(),
    "closed": frozenset(),
}


class IllegalAfterSaleTransition(DomainError):
    code = "aftersale_illegal_transition"


class AmountError(DomainError):
    code = "aftersale_amount"


def needs_return(kind: str) -> bool:
    return kind in ("return_refund", "exchange")


def allowed(current: str, to: str, *, kind: str = "refund_only") -> bool:
    if to not in _TRANSITIONS.get(current, frozenset()):
        return False
    if current == "approved":
        # a return must come back before any refund; a refund-only request has nothing to ship
        return to == "closed" or (to == "buyer_shipped") == needs_return(kind)
    if current == "received":
        return (to == "reshipped") == (kind == "exchange")
    return True


def check_transition(current: str, to: str, *, kind: str = "refund_only") -> None:
    if not allowed(current, to, kind=kind):
        raise IllegalAfterSaleTransition(N_("This after-sales request can no longer be changed that way."))


def paid_of(item: Mapping[str, Any]) -> int:
    """What the buyer paid for the line: the snapshot's paid_fen (gross + every adjustment: coupons, points,
    promotions), never below zero."""
    paid = item.get("paid_fen")
    if paid is None:
        paid = int(item["gross_fen"]) + sum(int(a.get("amount_fen", 0)) for a in item.get("adjustments") or [])
    return max(0, int(paid))


def refundable_fen(item: Mapping[str, Any], earlier_refunds_fen: Iterable[int] = ()) -> int:
    """What may still be refunded for this item: paid minus what earlier refunds of the item took."""
    return max(0, paid_of(item) - sum(int(x) for x in earlier_refunds_fen))


def check_amount(amount_fen: int, refundable: int) -> None:
    if amount_fen <= 0:
        raise AmountError(N_("Enter an amount above zero."), field="amount")
    if amount_fen > refundable:
        raise AmountError(N_("At most %(amount)s can be refunded for this item."), field="amount", amount=refundable)


def ruling_amount(ruling: str, *, requested_fen: int, partial_fen: int | None, refundable: int) -> int:
    """The amount a platform ruling refunds: all that is still refundable, a part of it, or nothing."""
    if ruling == "refund_full":
        return refundable
    if ruling == "refund_partial":
        if partial_fen is None:
            raise AmountError(N_("Enter an amount above zero."), field="amount")
        check_amount(partial_fen, refundable)
        return partial_fen
    if ruling == "rejected":
        return 0
    raise AmountError(N_("Choose a ruling."), field="ruling")


def split_amount(total_fen: int, caps: list[int]) -> list[int]:
    """Share an amount over a request's items in their order, each taking up to its cap (what is still refundable
    for it): a ruling's partial refund of a request for several items. Never more than the caps allow."""
    out = []
    left = max(0, total_fen)
    for cap in caps:
        take = min(left, max(0, cap))
        out.append(take)
        left -= take
    return out
