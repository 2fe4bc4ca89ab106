"""After-sales over HTTP: the order page's per-item button, the buyer's form and pages, the seller's and the
platform's pages, permissions (another buyer or shop: 404; roles) and bad input keeping what was typed."""

from __future__ import annotations

import httpx

from app.aftersales import services
from app.core.db import fetchrow
from tests.factories import login, make_user, post_form
from tests.integration.aftersales._setup import bought, refunds, status_of

EN = {"Accept-Language": "en"}


async def _apply(b, **kw) -> int:  # type: ignore[no-untyped-def]
    data = {"kind": "refund_only", "reason": "not_received", "amount_fen": 500, **kw}
    return await services.apply(actor=b.buyer_actor, buyer_id=b.buyer.id, order_item_id=b.item_id, **data)


async def test_item_action_button_for_the_buyer_only(client: httpx.AsyncClient, new_client) -> None:  # type: ignore[no-untyped-def]
    b = await bought()
    url = f"/aftersales/items/{b.item_id}/action"
    assert (await client.get(url, headers=EN)).text == ""  # signed out
    await login(client, b.buyer)
    page = await client.get(url, headers=EN)
    assert "Apply for after-sales" in page.text and f"/me/aftersales/apply?item={b.item_id}" in page.text
    a = await _apply(b)
    page = await client.get(url, headers=EN)
    assert "After-sales in progress" in page.text and f"/me/aftersales/{a}" in page.text
    async with new_client() as other:
        await login(other, await make_user())
        response = await other.get(url, headers=EN)
        assert response.status_code == 200 and response.text == ""


async def test_buyer_applies_with_a_form_and_sees_the_timeline(client: httpx.AsyncClient) -> None:
    b = await bought(adjustments=(-300,))  # 39.80 - 3.00
    await login(client, b.buyer)
    form = await client.get(f"/me/aftersales/apply?item={b.item_id}", headers=EN)
    assert form.status_code == 200 and "¥36.80" in form.text
    bad = await post_form(client, "/me/aftersales/apply", {"item": b.item_id, "kind": "refund_only",
                          "reason": "damaged", "amount": "36.81", "note": "外包装破损"}, headers=EN)  # fmt: skip
    assert bad.status_code == 422
    assert "At most ¥36.80 can be refunded for this item." in bad.text and "外包装破损" in bad.text
    done = await post_form(client, "/me/aftersales/apply", {"item": b.item_id, "kind": "refund_only",
                           "reason": "damaged", "amount": "36.80", "note": "外包装破损"}, headers=EN)  # fmt: skip
    assert done.status_code == 303
    detail = await client.get(done.headers["location"], headers=EN)
    assert "Request sent" in detail.text and "¥36.80" in detail.text and "Awaiting the seller" in detail.text
    listing = await client.get("/me/aftersales/", headers=EN)
    assert done.headers["location"] in listing.text


async def test_another_buyer_gets_404(client: httpx.AsyncClient) -> None:
    b = await bought()
    a = await _apply(b)
    await login(client, await make_user())
    assert (await client.get(f"/me/aftersales/{a}")).status_code == 404
    assert (await client.get(f"/me/aftersales/apply?item={b.item_id}")).status_code == 404
    assert (await post_form(client, f"/me/aftersales/{a}/cancel")).status_code == 404
    assert await status_of(a) == "requested"


async def test_seller_approves_a_return_and_confirms_receipt(client: httpx.AsyncClient) -> None:
    b = await bought()
    a = await _apply(b, kind="return_refund", amount_fen=1990)
    await login(client, b.s.user)
    listing = await client.get("/seller/aftersales/?status=requested", headers=EN)
    assert f"/seller/aftersales/{a}" in listing.text
    bad = await post_form(client, f"/seller/aftersales/{a}/approve", {"return_name": "仓库"}, headers=EN)
    assert bad.status_code == 422 and "Enter the return address." in bad.text and "仓库" in bad.text
    address = {"return_name": "仓库", "return_phone": "13800000000", "return_address": "杭州市西湖区1号"}
    ok = await post_form(client, f"/seller/aftersales/{a}/approve", address, headers=EN)
    assert ok.status_code == 303 and await status_of(a) == "approved"
    await services.ship_return(actor=b.buyer_actor, buyer_id=b.buyer.id, after_sale_id=a, carrier="sf",
                               tracking_no="SF99887766")  # fmt: skip
    ok = await post_form(client, f"/seller/aftersales/{a}/received", headers=EN)
    assert ok.status_code == 303 and await status_of(a) == "refunded"
    assert [r["amount_fen"] for r in await refunds(b.order_id)] == [1990]
    audit = await fetchrow("SELECT count(*) AS n FROM audit_log WHERE target_type = 'after_sale' AND target_id = {}",
                           str(a))  # fmt: skip
    assert audit["n"] == 2


async def test_another_shop_gets_404(client: httpx.AsyncClient) -> None:
    b = await bought()
    other = await bought()
    a = await _apply(b)
    await login(client, other.s.user)
    assert (await client.get(f"/seller/aftersales/{a}")).status_code == 404
    assert (await post_form(client, f"/seller/aftersales/{a}/approve")).status_code == 404
    assert f"/seller/aftersales/{a}" not in (await client.get("/seller/aftersales/")).text
    assert await status_of(a) == "requested"


async def test_platform_rules_a_dispute_and_roles_are_checked(client: httpx.AsyncClient, new_client) -> None:  # type: ignore[no-untyped-def]
    b = await bought()
    a = await _apply(b, amount_fen=3980)
    await services.reject(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=a, reason="已签收无问题")
    await login(client, b.buyer)
    response = await post_form(client, f"/me/aftersales/{a}/escalate", {"statement": "根本没收到"}, headers=EN)
    assert response.status_code == 303 and await status_of(a) == "escalated"
    async with new_client() as finance:
        await login(finance, await make_user(roles=("finance",)))
        assert (await finance.get("/admin/aftersales/")).status_code == 403
    async with new_client() as mod:
        await login(mod, await make_user(roles=("moderator",)))
        queue = await mod.get("/admin/aftersales/", headers=EN)
        assert f"/admin/aftersales/{a}" in queue.text
        page = await mod.get(f"/admin/aftersales/{a}", headers=EN)
        assert "根本没收到" in page.text and "已签收无问题" in page.text
        bad = await post_form(mod, f"/admin/aftersales/{a}/rule", {"ruling": "refund_full", "reason": ""}, headers=EN)
        assert bad.status_code == 422
        ok = await post_form(mod, f"/admin/aftersales/{a}/rule", {"ruling": "refund_full", "reason": "物流无签收记录"},
                             headers=EN)  # fmt: skip
        assert ok.status_code == 303
    assert await status_of(a) == "arbitrated"
    assert [r["amount_fen"] for r in await refunds(b.order_id)] == [3980]


def _png() -> bytes:
    import io

    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(out, format="PNG")
    return out.getvalue()


async def test_evidence_photos_are_private_to_the_two_sides(client: httpx.AsyncClient, new_client) -> None:  # type: ignore[no-untyped-def]
    b = await bought()
    await login(client, b.buyer)
    token = client.cookies["csrftoken"]
    data = {"_csrf_token": token, "item": str(b.item_id), "kind": "refund_only", "reason": "damaged", "amount": "1"}
    junk = [("photos", ("x.png", b"not an image", "image/png"))]
    bad = await client.post("/me/aftersales/apply", data=data, files=junk, headers=EN)
    assert bad.status_code == 422 and "not a photo we can read" in bad.text
    done = await client.post("/me/aftersales/apply", data=data, files=[("photos", ("x.png", _png(), "image/png"))])
    assert done.status_code == 303
    a = int(done.headers["location"].rsplit("/", 1)[1])
    mine = await client.get(f"/me/aftersales/{a}/photos/0")
    assert mine.status_code == 200 and mine.headers["content-type"] == "image/jpeg"
    assert (await client.get(f"/me/aftersales/{a}/photos/1")).status_code == 404
    async with new_client() as other:
        await login(other, await make_user())
        assert (await other.get(f"/me/aftersales/{a}/photos/0")).status_code == 404
    async with new_client() as shop:
        await login(shop, b.s.user)
        assert (await shop.get(f"/seller/aftersales/{a}/photos/0")).status_code == 200
        assert f"/seller/aftersales/{a}/photos/0" in (await shop.get(f"/seller/aftersales/{a}")).text


async def test_dispute_evidence_from_both_sides_reaches_the_platform(client: httpx.AsyncClient, new_client) -> None:  # type: ignore[no-untyped-def]
    b = await bought()
    a = await _apply(b)
    await services.reject(actor=b.seller_actor, shop_id=b.s.shop.id, after_sale_id=a, reason="不同意")
    await login(client, b.buyer)
    data = {"_csrf_token": client.cookies["csrftoken"], "statement": "照片为证"}
    photo = [("photos", ("a.png", _png(), "image/png"))]
    done = await client.post(f"/me/aftersales/{a}/escalate", data=data, files=photo)
    assert done.status_code == 303 and await status_of(a) == "escalated"
    assert (await client.get(f"/me/aftersales/{a}/evidence/buyer/0")).status_code == 200
    async with new_client() as shop:
        await login(shop, b.s.user)
        data = {"_csrf_token": shop.cookies["csrftoken"], "statement": "发货前已检查"}
        done = await shop.post(f"/seller/aftersales/{a}/statement", data=data, files=photo)
        assert done.status_code == 303
        assert (await shop.get(f"/seller/aftersales/{a}/evidence/buyer/0")).status_code == 200
    async with new_client() as mod:
        await login(mod, await make_user(roles=("operations",)))
        page = await mod.get(f"/admin/aftersales/{a}")
        assert f"/admin/aftersales/{a}/evidence/buyer/0" in page.text
        assert f"/admin/aftersales/{a}/evidence/shop/0" in page.text and "发货前已检查" in page.text
        assert (await mod.get(f"/admin/aftersales/{a}/evidence/shop/0")).status_code == 200
        assert (await mod.get(f"/admin/aftersales/{a}/evidence/shop/1")).status_code == 404
    other = await bought()
    async with new_client() as stranger:
        await login(stranger, other.s.user)
        assert (await stranger.get(f"/seller/aftersales/{a}/evidence/buyer/0")).status_code == 404


async def test_a_boosted_form_gets_the_next_page_as_hx_location(client: httpx.AsyncClient) -> None:
    b = await bought()
    a = await _apply(b)
    await login(client, b.buyer)
    response = await post_form(client, f"/me/aftersales/{a}/cancel", headers={"HX-Request": "true"})
    assert response.status_code == 200 and response.headers["HX-Location"] == f"/me/aftersales/{a}"
    assert await status_of(a) == "closed"


async def test_the_sellers_order_page_lists_requests_and_warns_before_shipping(client: httpx.AsyncClient) -> None:
    from tests.integration.orders._seller import seller

    b = await bought(qty=1, status="paid")
    url = f"/seller/aftersales/order/{b.order_id}"
    await login(client, b.s.user)
    assert (await client.get(url, headers=EN)).text.strip() == ""  # no request yet: nothing shown
    a = await services.apply(actor=b.buyer_actor, buyer_id=b.buyer.id, order_item_id=b.item_id,
                             kind="refund_only", reason="other", amount_fen=100)  # fmt: skip
    shown = await client.get(url, headers=EN)
    assert f'href="/seller/aftersales/{a}"' in shown.text
    assert "Settle it before you ship" in shown.text
    other = await seller()
    client.cookies.clear()
    await login(client, other.user)
    assert f"/seller/aftersales/{a}" not in (await client.get(url, headers=EN)).text  # another shop sees nothing
