"""Issued invoices (发票): the shop uploads the PDF for an order whose buyer asked for one; the order's shop and its
buyer can download it, nobody else.

Files go to private storage (app/onboarding/documents.private_storage: a folder no route serves, or the bucket's
private/ prefix) under a key with 128 random bits; the only way to a file is a permission-checked route that calls
`invoice_pdf`. A new upload replaces the previous file (deleted after the commit that forgets it)."""

from __future__ import annotations

import json
import secrets

from app.core.db import engine, fetchrow
from app.core.errors import NotFound, ValidationFailed
from app.core.i18n import N_
from app.core.principal import Actor
from app.orders.states import record_event

MAX_BYTES = 5 * 1024 * 1024
ORDER_NOT_FOUND = N_("Order not found.")
_INVOICE_STATES = ("paid", "shipped", "delivered", "completed")


def _storage():  # type: ignore[no-untyped-def]
    from app.onboarding.documents import private_storage

    return private_storage()


def check_pdf(data: bytes) -> None:
    if not data:
        raise ValidationFailed({"invoice_pdf": N_("Choose the invoice PDF to upload.")})
    if len(data) > MAX_BYTES:
        raise ValidationFailed({"invoice_pdf": N_("The invoice PDF is at most 5 MB.")})
    if not data.startswith(b"%PDF-"):
        raise ValidationFailed({"invoice_pdf": N_("This file is not a PDF. Upload the invoice as a PDF file.")})


async def upload_invoice(*, actor: Actor, shop_id: int, order_id: int, data: bytes) -> str:
    """Store the issued invoice of one of the shop's orders that asked for one. Returns the order no."""
    order = await fetchrow(
        "SELECT id, no, status, invoice FROM shop_order WHERE id = {} AND shop = {}", order_id, shop_id
    )
    if order is None:
        raise NotFound(ORDER_NOT_FOUND)
    invoice = json.loads(order["invoice"]) if isinstance(order["invoice"], str) else order["invoice"]
    if not invoice:
        raise ValidationFailed({"invoice_pdf": N_("The buyer did not ask for an invoice for this order.")})
    if order["status"] not in _INVOICE_STATES:
        raise ValidationFailed({"invoice_pdf": N_("An invoice can be uploaded once the order has been paid.")})
    check_pdf(data)
    key = f"private/invoices/{secrets.token_hex(16)}.pdf"
    storage, old = _storage(), ""
    await storage.put(key, data, "application/pdf")
    try:
        async with engine().transaction():
            locked = await fetchrow(
                "SELECT invoice_key, status FROM shop_order WHERE id = {} AND shop = {} FOR UPDATE", order_id, shop_id
            )
            if locked is None or locked["status"] not in _INVOICE_STATES:
                raise ValidationFailed({"invoice_pdf": N_("An invoice can be uploaded once the order has been paid.")})
            old = locked["invoice_key"]
            await fetchrow("UPDATE shop_order SET invoice_key = {} WHERE id = {}", key, order_id)
            await record_event(order_id=order_id, action="invoice_uploaded", actor=actor)
            from app.moderation.services import record_audit

            await record_audit(
                actor=actor,
                action="order.invoice_upload",
                target_type="order",
                target_id=order_id,
                before={"invoice_key": old},
                after={"invoice_key": key, "bytes": len(data)},
            )
    except BaseException:
        await storage.delete(key)
        raise
    if old:
        await storage.delete(old)
    await _tell_buyer(order_id)
    return str(order["no"])


async def _tell_buyer(order_id: int) -> None:
    from app.messaging.services import notify

    row = await fetchrow("SELECT buyer, no FROM shop_order WHERE id = {}", order_id)
    if row is None:
        return
    await notify(
        user_id=row["buyer"],
        kind="invoice_issued",
        title=N_("The invoice for order %(no)s is ready"),
        body=N_("Download it from the order's page."),
        params={"no": row["no"]},
        link=f"/me/orders/{order_id}",
    )


async def invoice_pdf(*, order_id: int, buyer_id: int | None = None, shop_id: int | None = None) -> bytes | None:
    """The issued invoice's bytes for the order's buyer or its shop (pass one of them); None when the order is not
    theirs or no invoice has been uploaded yet."""
    if buyer_id is None and shop_id is None:
        return None
    row = await fetchrow(
        "SELECT invoice_key FROM shop_order WHERE id = {} AND ({}::int IS NULL OR buyer = {}) "
        "AND ({}::int IS NULL OR shop = {})",
        order_id,
        buyer_id,
        buyer_id,
        shop_id,
        shop_id,
    )
    if row is None or not row["invoice_key"]:
        return None
    return await _storage().get(row["invoice_key"])
