"""Issued invoices: the shop uploads a PDF for an order that asked for one; its buyer and its shop download it."""

from __future__ import annotations

from app.core.db import fetch
from app.orders.invoices import invoice_pdf
from tests.factories import login, make_user, post_form
from tests.integration.orders._seller import EN, events, order, order_row, seller, signed_in_seller

PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
INVOICE = {"kind": "company", "title": "上海某某有限公司", "tax_no": "91310000MA1FL1234X"}


async def _upload(client, order_id: int, data: bytes, name: str = "invoice.pdf", **kwargs):  # type: ignore[no-untyped-def]
    return await post_form(
        client, f"/seller/orders/{order_id}/invoice", files={"invoice_pdf": (name, data, "application/pdf")}, **kwargs
    )


async def test_only_a_pdf_is_accepted(client) -> None:  # type: ignore[no-untyped-def]
    s = await signed_in_seller(client)
    order_id, _ = await order(s, invoice=INVOICE)
    png = await _upload(client, order_id, b"\x89PNG\r\n\x1a\n" + b"0" * 100, "invoice.png", headers=EN)
    assert png.status_code == 422 and "This file is not a PDF." in png.text
    big = await _upload(client, order_id, b"%PDF-" + b"0" * (5 * 1024 * 1024), headers=EN)
    assert big.status_code == 422 and "at most 5 MB" in big.text
    assert (await order_row(order_id))["invoice_key"] == ""

    no_request, _ = await order(s)
    refused = await _upload(client, no_request, PDF, headers=EN)
    assert refused.status_code == 422 and "did not ask for an invoice" in refused.text


async def test_upload_then_the_buyer_and_the_shop_download_it_and_nobody_else(client, new_client) -> None:  # type: ignore[no-untyped-def]
    s = await signed_in_seller(client)
    buyer = await make_user()
    order_id, _ = await order(s, buyer=buyer, invoice=INVOICE)
    page = await client.get(f"/seller/orders/{order_id}", headers=EN)
    assert "上海某某有限公司" in page.text and "91310000MA1FL1234X" in page.text and "Company invoice" in page.text

    response = await _upload(client, order_id, PDF, headers=EN)
    assert response.status_code == 303
    key = (await order_row(order_id))["invoice_key"]
    assert key.startswith("private/invoices/") and key.endswith(".pdf")
    assert await events(order_id) == ["paid", "invoice_uploaded"]
    audit = await fetch("SELECT action FROM audit_log WHERE target_type = 'order' AND target_id = {}", str(order_id))
    assert [a["action"] for a in audit] == ["order.invoice_upload"]

    own = await client.get(f"/seller/orders/{order_id}/invoice")
    assert own.status_code == 200 and own.content == PDF
    assert own.headers["content-type"] == "application/pdf" and "no-store" in own.headers["cache-control"]

    assert await invoice_pdf(order_id=order_id, buyer_id=buyer.id) == PDF
    stranger = await make_user()
    assert await invoice_pdf(order_id=order_id, buyer_id=stranger.id) is None
    other_shop = await seller()
    assert await invoice_pdf(order_id=order_id, shop_id=other_shop.shop.id) is None
    assert await invoice_pdf(order_id=order_id) is None

    async with new_client() as b:
        await login(b, buyer)
        mine = await b.get(f"/me/orders/{order_id}/invoice")
        assert mine.status_code == 200 and mine.content == PDF
    async with new_client() as x:
        await login(x, stranger)
        assert (await x.get(f"/me/orders/{order_id}/invoice")).status_code == 404
    async with new_client() as o:
        await login(o, other_shop.user)
        assert (await o.get(f"/seller/orders/{order_id}/invoice")).status_code == 404

    replaced = await _upload(client, order_id, PDF + b"% v2\n", headers=EN)
    assert replaced.status_code == 303
    assert await invoice_pdf(order_id=order_id, buyer_id=buyer.id) == PDF + b"% v2\n"
    assert (await order_row(order_id))["invoice_key"] != key
