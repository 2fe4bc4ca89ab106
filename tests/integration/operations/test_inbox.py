"""The moderation inbox (/admin/inbox/): any platform staff; each queue only for the roles that act on it, with
its count and oldest items linking to the place to act."""

from __future__ import annotations

import re

from app.core.db import fetch
from tests.factories import login, make_product, make_shop, make_user

EN = {"Accept-Language": "en"}


def _queues(html: str) -> dict[str, int]:
    return {key: int(n) for key, n in re.findall(r'id="queue-([a-z_]+)".*?data-count="(\d+)"', html, flags=re.S)}


async def _seed() -> dict[str, int]:
    shop = await make_shop()
    pending = await make_product(shop=shop, title="待审商品", status="pending_review")
    await make_product(shop=shop, title="在售商品")
    buyer = await make_user()
    await fetch(
        "INSERT INTO complaint (complainant, shop, category, text, status, created_at, updated_at) "
        "VALUES ({}, {}, 'fake', '假货投诉', 'open', now(), now()), "
        "({}, {}, 'other', '已处理', 'resolved', now(), now())",
        buyer.id,
        shop.id,
        buyer.id,
        shop.id,
    )
    applicant = await make_user()
    await fetch(
        "INSERT INTO seller_application (applicant, status, shop_name, submitted_at, created_at) "
        "VALUES ({}, 'submitted', '新店申请', now(), now())",
        applicant.id,
    )
    return {"product": pending}


async def test_anonymous_and_buyers_cannot_open_the_inbox(client) -> None:  # type: ignore[no-untyped-def]
    anonymous = await client.get("/admin/inbox/")
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["location"]
    await login(client, await make_user())
    assert (await client.get("/admin/inbox/")).status_code == 403


async def test_each_role_sees_only_its_queues_with_counts_and_oldest_items(client, new_client) -> None:  # type: ignore[no-untyped-def]
    ids = await _seed()
    await login(client, await make_user(roles=("moderator",)))
    page = await client.get("/admin/inbox/", headers=EN)
    assert page.status_code == 200
    queues = _queues(page.text)
    assert queues == {"products": 1, "review_reports": 0, "complaints": 1, "disputes": 0}
    assert f'href="/admin/products/review/{ids["product"]}">待审商品</a>' in page.text
    assert "假货投诉" in page.text and "已处理" not in page.text and "新店申请" not in page.text

    async with new_client() as ops:
        await login(ops, await make_user(roles=("operations",)))
        queues = _queues((await ops.get("/admin/inbox/")).text)
        assert queues == {"complaints": 1, "disputes": 0, "applications": 1}

    async with new_client() as admin:
        await login(admin, await make_user(roles=("admin",)))
        queues = _queues((await admin.get("/admin/inbox/")).text)
        assert {"products", "review_reports", "complaints", "disputes", "applications"} <= set(queues)
        assert queues["payouts"] == 0


async def test_finance_sees_the_payouts_waiting(client) -> None:  # type: ignore[no-untyped-def]
    shop = await make_shop()
    await fetch(
        "INSERT INTO settlement_payout (no, shop, amount_fen, status, requested_at) VALUES "
        "('P001', {}, 10000, 'requested', now()), ('P002', {}, 20000, 'paid', now())",
        shop.id,
        shop.id,
    )
    await login(client, await make_user(roles=("finance",)))
    page = await client.get("/admin/inbox/")
    assert _queues(page.text) == {"payouts": 1}
    assert 'href="/admin/finance/#payout-' in page.text and "P001" in page.text and "P002" not in page.text
