"""The seller's order list, detail and printables: only the current shop's orders, anywhere; roles per action."""

from __future__ import annotations

import re

from tests.factories import login, make_user, post_form
from tests.integration.orders._seller import EN, order, order_row, seller, signed_in_seller
from tests.integration.sellers.helpers import text_of


async def test_tabs_count_and_list_only_this_shops_orders(client) -> None:  # type: ignore[no-untyped-def]
    mine = await signed_in_seller(client)
    other = await seller()
    paid1, _ = await order(mine)
    paid2, _ = await order(mine, qty=2)
    unpaid, _ = await order(mine, status="pending_payment")
    theirs, _ = await order(other)

    page = await client.get("/seller/orders/", headers=EN)
    assert page.status_code == 200
    nos = {oid: (await _no(oid)) for oid in (paid1, paid2, unpaid, theirs)}
    assert nos[paid1] in page.text and nos[paid2] in page.text and nos[unpaid] in page.text
    assert nos[theirs] not in page.text
    text = text_of(page.text)
    assert "All 3" in text and "Awaiting shipment 2" in text and "Awaiting payment 1" in text

    paid_tab = await client.get("/seller/orders/?tab=paid", headers=EN)
    assert nos[paid1] in paid_tab.text and nos[unpaid] not in paid_tab.text
    assert "纯棉T恤" in paid_tab.text and "颜色: 红" in paid_tab.text and "×2" in paid_tab.text


async def test_search_by_order_no_buyer_phone_or_email_and_receiver(client) -> None:  # type: ignore[no-untyped-def]
    mine = await signed_in_seller(client)
    other = await seller()
    phone_buyer = await make_user(phone="13712345678")
    mail_buyer = await make_user(email="lin.mei@example.com")
    by_phone, _ = await order(mine, buyer=phone_buyer)
    by_mail, _ = await order(mine, buyer=mail_buyer)
    pickup, _ = await order(mine, delivery="pickup")  # no address: no receiver to match
    theirs, _ = await order(other, buyer=phone_buyer)
    nos = {oid: await _no(oid) for oid in (by_phone, by_mail, pickup, theirs)}

    found = await client.get("/seller/orders/?q=13712345678", headers=EN)
    assert nos[by_phone] in found.text and nos[by_mail] not in found.text and nos[theirs] not in found.text

    found = await client.get("/seller/orders/?q=LIN.MEI", headers=EN)
    assert nos[by_mail] in found.text and nos[by_phone] not in found.text

    found = await client.get(f"/seller/orders/?q={nos[pickup][:12]}", headers=EN)
    assert nos[pickup] in found.text

    found = await client.get("/seller/orders/?q=张三", headers=EN)  # the receiver in the factory's address
    assert nos[by_phone] in found.text and nos[by_mail] in found.text and nos[pickup] not in found.text
    assert nos[theirs] not in found.text

    found = await client.get("/seller/orders/?q=13800138000", headers=EN)  # the receiver's mobile
    assert nos[by_phone] in found.text and nos[pickup] not in found.text

    nothing = await client.get("/seller/orders/?q=%25_%25", headers=EN)  # LIKE wildcards are literal
    assert "No order matches your search." in nothing.text

    fragment = await client.get("/seller/orders/?q=13712345678", headers={**EN, "HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="order-rows">') and "<html" not in fragment.text


async def test_pages_of_twenty(client) -> None:  # type: ignore[no-untyped-def]
    mine = await signed_in_seller(client, stock=100)
    ids = [(await order(mine))[0] for _ in range(21)]
    first = await client.get("/seller/orders/", headers=EN)
    assert first.text.count('class="card so-order"') == 20 and "page=2" in first.text
    second = await client.get("/seller/orders/?page=2", headers=EN)
    assert second.text.count('class="card so-order"') == 1
    assert await _no(ids[0]) in second.text  # the oldest is last


async def test_detail_shows_breakdown_address_note_invoice_and_history(client) -> None:  # type: ignore[no-untyped-def]
    mine = await signed_in_seller(client)
    order_id, _ = await order(
        mine, qty=2, shipping_fen=800, note="请用纸箱", invoice={"kind": "personal", "title": "张三"}
    )
    page = await client.get(f"/seller/orders/{order_id}", headers=EN)
    assert page.status_code == 200
    text = text_of(page.text)
    assert "¥19.90 × 2 = ¥39.80" in text
    assert "Shipping ¥8.00" in text and "Total ¥47.80" in text
    assert "张三 13800138000" in text and "世纪大道 100 号" in text
    assert "Buyer's note: 请用纸箱" in text
    assert "Invoice request" in text and "Personal invoice" in text
    assert re.search(r"History \S+, \S+ (AM|PM) Payment received", text)  # the state machine's event, with its time
    assert "Ship this order" in text and "Cancel and refund" in text


async def test_another_shops_order_is_not_found_everywhere(client) -> None:  # type: ignore[no-untyped-def]
    mine = await signed_in_seller(client)
    other = await seller()
    own, _ = await order(mine)
    theirs, _ = await order(other, invoice={"kind": "personal", "title": "李四"})
    for url in (
        f"/seller/orders/{theirs}",
        f"/seller/orders/{theirs}/invoice",
        f"/seller/orders/print/packing?ids={own},{theirs}",
        f"/seller/orders/print/labels?ids={theirs}",
        f"/seller/orders/ship?ids={own}&ids={theirs}",
        "/seller/orders/print/labels?ids=1;DROP",
    ):
        assert (await client.get(url, headers=EN)).status_code == 404, url
    batch = {"order_id": str(theirs), f"carrier-{theirs}": "sf", f"tracking_no-{theirs}": "SF12345"}
    for url, data in (
        (f"/seller/orders/{theirs}/ship", {"carrier": "sf", "tracking_no": "SF1234567890"}),
        (f"/seller/orders/{theirs}/cancel", {"reason": "缺货"}),
        ("/seller/orders/ship", batch),
    ):
        assert (await post_form(client, url, data, headers=EN)).status_code == 404, url
    upload = await post_form(
        client, f"/seller/orders/{theirs}/invoice", files={"invoice_pdf": ("i.pdf", b"%PDF-1.4 x", "application/pdf")}
    )
    assert upload.status_code == 404
    assert (await _status(theirs)) == "paid"


async def test_packing_lists_and_labels_print_several_orders(client) -> None:  # type: ignore[no-untyped-def]
    mine = await signed_in_seller(client)
    first, _ = await order(mine, qty=3, note="周末送")
    second, _ = await order(mine)
    packing = await client.get(f"/seller/orders/print/packing?ids={first},{second}", headers=EN)
    assert packing.status_code == 200
    text = text_of(packing.text)
    assert packing.text.count('class="so-sheet so-packing"') == 2
    assert await _no(first) in text and await _no(second) in text
    assert "纯棉T恤" in text and "颜色: 红" in text and "周末送" in text and "张三 13800138000" in text
    assert mine.shop.name in text
    assert "console-nav" not in packing.text and "data-print" in packing.text
    assert "<script>" not in packing.text  # the print button is a static module (CSP)

    labels = await client.get(f"/seller/orders/print/labels?ids={second}&ids={first}", headers=EN)
    assert labels.status_code == 200
    assert labels.text.count('class="so-sheet so-label"') == 2
    assert labels.text.index(await _no(second)) < labels.text.index(await _no(first))  # in the order asked
    assert 'class="so-barcode"' in labels.text and "<rect" in labels.text
    assert "世纪大道 100 号" in labels.text and mine.shop.name in labels.text


async def test_roles_warehouse_ships_service_only_reads(client, new_client) -> None:  # type: ignore[no-untyped-def]
    warehouse = await signed_in_seller(client, "warehouse")
    order_id, _ = await order(warehouse)
    shipped = await post_form(
        client, f"/seller/orders/{order_id}/ship", {"carrier": "zto", "tracking_no": "ZTO778899001"}, headers=EN
    )
    assert shipped.status_code == 303
    assert (await _status(order_id)) == "shipped"
    paid_id, _ = await order(warehouse)
    refused = await post_form(client, f"/seller/orders/{paid_id}/cancel", {"reason": "缺货"}, headers=EN)
    assert refused.status_code == 403  # cancelling refunds money: after-sales' job, not the warehouse's

    async with new_client() as other:
        service = await seller("service")
        await login(other, service.user)
        service_order, _ = await order(service)
        assert (await other.get("/seller/orders/", headers=EN)).status_code == 200
        assert (await other.get(f"/seller/orders/{service_order}", headers=EN)).status_code == 200
        denied = await post_form(
            other, f"/seller/orders/{service_order}/ship", {"carrier": "sf", "tracking_no": "SF1234567890"}, headers=EN
        )
        assert denied.status_code == 403
        assert (await other.get(f"/seller/orders/print/labels?ids={service_order}", headers=EN)).status_code == 403
        assert (await other.get("/seller/orders/pickup", headers=EN)).status_code == 403
        assert (await _status(service_order)) == "paid"
        page = await other.get(f"/seller/orders/{service_order}", headers=EN)
        assert "Ship this order" not in page.text and "Cancel and refund" in page.text


async def _no(order_id: int) -> str:
    return str((await order_row(order_id))["no"])


async def _status(order_id: int) -> str:
    return str((await order_row(order_id))["status"])
