"""The seller's finance pages, downloads, payouts (incl. a race) and the finance team's pages, with permissions."""

from __future__ import annotations

import asyncio
import csv
import io
import zipfile

import httpx
from openpyxl import load_workbook

from app.core.db import fetch, fetchrow
from app.core.principal import Actor
from app.settlement.errors import PayoutError
from app.settlement.services import request_payout, settle_due
from tests.factories import login, make_shop, make_user, post_form
from tests.integration.settlement._helpers import assert_ledger_balanced, balances, complete, paid_order

SYSTEM = Actor(user_id=None, label="tests")


async def _settled_shop(*, prices: tuple[int, ...] = (20000,), owner_name: str = "") -> dict:  # type: ignore[type-arg]
    o = await paid_order(prices=prices, rate_bp=500, platform_off=(1000,), shipping_fen=600)
    await complete(o["order_id"])
    assert await settle_due() == 1
    return o


async def test_seller_sees_balances_statement_and_downloads_it(client: httpx.AsyncClient):
    o = await _settled_shop()
    # paid 19000 + 600 postage; subsidy 1000; commission 950 -> net 19650
    await login(client, o["shop"].owner)
    page = await client.get("/seller/finance/")
    assert page.status_code == 200
    assert 'id="bal-available">¥196.50<' in page.text
    statement = await fetchrow("SELECT id, no FROM settlement_statement")
    detail = await client.get(f"/seller/finance/statements/{statement['id']}")
    assert detail.status_code == 200
    assert 'id="statement-net">¥196.50<' in detail.text

    csv_resp = await client.get(f"/seller/finance/statements/{statement['id']}/download?format=csv")
    assert csv_resp.status_code == 200
    assert csv_resp.headers["content-disposition"].endswith('.csv"')
    assert csv_resp.content.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(csv_resp.content.decode("utf-8-sig"))))
    order_no = (await fetchrow("SELECT no FROM shop_order"))["no"]
    line = next(r for r in rows if order_no in r)
    assert line[4:] == ["196.00", "10.00", "-9.50", "0.00", "0.00", "196.50"]

    xlsx = await client.get(f"/seller/finance/statements/{statement['id']}/download?format=xlsx")
    assert xlsx.status_code == 200
    assert zipfile.is_zipfile(io.BytesIO(xlsx.content))
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    xline = next(r for r in values if order_no in r)
    assert xline[-1] == 196.5


async def test_ledger_filters_by_account(client: httpx.AsyncClient):
    o = await _settled_shop()
    await login(client, o["shop"].owner)
    page = await client.get("/seller/finance/ledger?account=shop_available")
    assert page.status_code == 200
    assert page.text.count('class="card fin-row"') == 1  # the settlement only
    fragment = await client.get("/seller/finance/ledger?kind=sale", headers={"HX-Request": "true"})
    assert fragment.text.lstrip().startswith('<div id="ledger-rows">') or 'id="ledger-rows"' in fragment.text[:200]


async def test_another_shops_statement_is_not_found(client: httpx.AsyncClient):
    await _settled_shop()
    other = await make_shop()
    statement = await fetchrow("SELECT id FROM settlement_statement")
    await login(client, other.owner)
    assert (await client.get(f"/seller/finance/statements/{statement['id']}")).status_code == 404
    assert (await client.get(f"/seller/finance/statements/{statement['id']}/download?format=csv")).status_code == 404


async def test_service_staff_cannot_open_finance(client: httpx.AsyncClient):
    clerk = await make_user()
    await make_shop(staff=((clerk, "service"),))
    await login(client, clerk)
    assert (await client.get("/seller/finance/")).status_code == 403


async def test_finance_staff_sees_but_manager_cannot_request_payout(client: httpx.AsyncClient):
    o = await _settled_shop()
    manager = await make_user()
    from app.sellers.services import add_staff

    await add_staff(actor=SYSTEM, shop_id=o["shop"].id, user_id=manager.id, role="manager")
    await login(client, manager)
    page = await client.get("/seller/finance/")
    assert page.status_code == 200 and "payout-amount" not in page.text
    assert (await post_form(client, "/seller/finance/payouts", {"amount": "100"})).status_code == 403


async def test_payout_request_keeps_the_amount_on_error_and_then_succeeds(client: httpx.AsyncClient):
    o = await _settled_shop()
    await login(client, o["shop"].owner)
    too_much = await post_form(client, "/seller/finance/payouts", {"amount": "500.00"})
    assert too_much.status_code == 422
    assert "¥196.50" in too_much.text and 'value="500.00"' in too_much.text
    ok = await post_form(client, "/seller/finance/payouts", {"amount": "150"})
    assert ok.status_code == 303
    b = await balances(o["shop"])
    assert (b["shop_available"], b["shop_payout"]) == (4650, 15000)
    audit = await fetchrow("SELECT action FROM audit_log WHERE action = 'payout.requested'")
    assert audit is not None


async def test_concurrent_payout_requests_never_overdraw():
    o = await _settled_shop(prices=(105000,))  # available: 104000 + 600 + 1000 - 5200 = 100400 fen
    available = (await balances(o["shop"]))["shop_available"]
    assert available == 100400

    async def one() -> bool:
        try:
            await request_payout(shop_id=o["shop"].id, amount_fen=10000, actor=SYSTEM)
            return True
        except PayoutError:
            return False

    results = await asyncio.gather(*[one() for _ in range(20)])
    assert results.count(True) == 10  # 10 x 100.00 fit in 1004.00, the 11th does not
    b = await balances(o["shop"])
    assert b["shop_available"] == 400 and b["shop_available"] >= 0
    assert b["shop_payout"] == 100000
    await assert_ledger_balanced()


async def test_finance_approves_rejects_and_pays(client: httpx.AsyncClient):
    o = await _settled_shop(prices=(40000,))  # available: 39000 + 600 + 1000 - 1950 = 38650
    p1 = await request_payout(shop_id=o["shop"].id, amount_fen=10000, actor=SYSTEM)
    p2 = await request_payout(shop_id=o["shop"].id, amount_fen=20000, actor=SYSTEM)
    finance = await make_user(roles=("finance",))
    await login(client, finance)
    queue = await client.get("/admin/finance/")
    assert queue.status_code == 200 and p1["no"] in queue.text
    assert (await post_form(client, f"/admin/finance/payouts/{p1['id']}/approve")).status_code == 303
    no_ref = await post_form(client, f"/admin/finance/payouts/{p1['id']}/paid", {"bank_ref": " "})
    assert no_ref.status_code == 303
    assert (await fetchrow("SELECT status FROM settlement_payout WHERE id = {}", p1["id"]))["status"] == "approved"
    await post_form(client, f"/admin/finance/payouts/{p1['id']}/paid", {"bank_ref": "ICBC-0001"})
    await post_form(client, f"/admin/finance/payouts/{p2['id']}/reject", {"reason": "账户信息有误"})
    rows = await fetch("SELECT id, status, bank_ref, reason FROM settlement_payout ORDER BY id")
    assert [(r["status"], r["bank_ref"], r["reason"]) for r in rows] == [
        ("paid", "ICBC-0001", ""),
        ("rejected", "", "账户信息有误"),
    ]
    b = await balances(o["shop"])
    assert (b["shop_available"], b["shop_payout"]) == (38650 - 10000, 0)
    actions = {r["action"] for r in await fetch("SELECT action FROM audit_log")}
    assert {"payout.approved", "payout.paid", "payout.rejected"} <= actions
    notes = await fetch("SELECT title FROM notification WHERE \"user\" = {} AND kind = 'payout'", o["shop"].owner.id)
    assert len(notes) == 3
    await assert_ledger_balanced()


async def test_non_finance_staff_cannot_open_admin_finance(client: httpx.AsyncClient):
    moderator = await make_user(roles=("moderator",))
    await login(client, moderator)
    assert (await client.get("/admin/finance/")).status_code == 403
    assert (await client.get("/admin/finance/reconciliation")).status_code == 403


async def test_reconciliation_matches_orders_minus_refunds(client: httpx.AsyncClient):
    from tests.integration.settlement._helpers import refund

    o = await paid_order(prices=(10000, 5000), rate_bp=500, shipping_fen=500)
    await refund(o["order_id"], 3000, key="ruling:r1")
    admin = await make_user(roles=("admin",))
    await login(client, admin)
    page = await client.get("/admin/finance/reconciliation")
    assert page.status_code == 200
    assert 'id="recon-verdict"' in page.text and "alert--success" in page.text
    assert "¥155.00" in page.text and "¥125.00" in page.text  # paid, and paid minus refunds
    # a sale missing from the ledger shows as a difference
    from tests.order_factories import make_order_group

    await make_order_group(o["buyer"], [(await _a_product(o["shop"]), 1)], status="paid")
    page = await client.get("/admin/finance/reconciliation")
    assert "alert--error" in page.text and "fin-diff" in page.text


async def _a_product(shop) -> int:  # type: ignore[no-untyped-def]
    row = await fetchrow("SELECT id FROM product WHERE shop = {} LIMIT 1", shop.id)
    return int(row["id"])


async def test_finance_opens_any_statement_and_csv_cells_are_safe(client: httpx.AsyncClient):
    o = await _settled_shop()
    await fetch("UPDATE shop SET name = '=HYPERLINK(\"http://evil\")' WHERE id = {}", o["shop"].id)
    statement = await fetchrow("SELECT id FROM settlement_statement")
    finance = await make_user(roles=("finance",))
    await login(client, finance)
    home = await client.get("/admin/finance/")
    assert f'href="/admin/finance/statements/{statement["id"]}"' in home.text
    page = await client.get(f"/admin/finance/statements/{statement['id']}")
    assert page.status_code == 200 and "¥196.50" in page.text
    download = await client.get(f"/admin/finance/statements/{statement['id']}?format=csv")
    first = next(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert first == ['\'=HYPERLINK("http://evil")']


async def test_a_late_payment_refunded_whole_is_explained_not_a_difference(client: httpx.AsyncClient):
    from app.core.db import engine
    from app.payments.services import _insert_refund

    o = await paid_order(prices=(8000,))
    payment = await fetchrow(
        'INSERT INTO payment (no, "group", buyer, provider, amount_fen, status, provider_txn_id, paid_at) '
        "VALUES ('PLATE1', {}, {}, 'sandbox', {}, 'paid', 'TXLATE1', now()) RETURNING id",
        o["group"].id,
        o["buyer"].id,
        o["total"],
    )
    async with engine().transaction():
        await _insert_refund(
            payment_id=payment["id"], order_id=None, amount_fen=o["total"], reason="twice", key="twice:PLATE1"
        )
    admin = await make_user(roles=("admin",))
    await login(client, admin)
    page = await client.get("/admin/finance/reconciliation")
    assert "alert--success" in page.text
    assert "PLATE1" in page.text
    await assert_ledger_balanced()
