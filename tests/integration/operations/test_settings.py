"""System settings (/admin/settings/): admins only, validation keeps what was typed, every change audited, and a
change applies at once (the payment deadline of a new checkout; every process through the change feed)."""

from __future__ import annotations

import asyncio
import uuid
from datetime import timedelta

from app.core.db import fetch, fetchrow
from app.operations import settings as registry
from app.operations.settings import REGISTRY, setting, to_text
from app.orders import services as orders
from app.orders.services import CheckoutLine
from tests.factories import login, make_product, make_user, post_form
from tests.order_factories import first_sku, make_address


def _form(**changes_: str) -> dict[str, str]:
    form = {key: to_text(spec, spec.default) for key, spec in REGISTRY.items()}
    form.update({k.replace("__", "."): v for k, v in changes_.items()})
    return form


async def test_only_admins_open_the_settings(client) -> None:  # type: ignore[no-untyped-def]
    anonymous = await client.get("/admin/settings/")
    assert anonymous.status_code in (302, 303) and "/login" in anonymous.headers["location"]
    await login(client, await make_user(roles=("operations",)))
    assert (await client.get("/admin/settings/")).status_code == 403
    assert (await post_form(client, "/admin/settings/", _form())).status_code == 403


async def test_the_page_lists_every_key_by_section_with_default_and_bounds(client) -> None:  # type: ignore[no-untyped-def]
    await login(client, await make_user(roles=("admin",)))
    page = await client.get("/admin/settings/", headers={"Accept-Language": "en"})
    assert page.status_code == 200
    for key in REGISTRY:
        assert f'name="{key}"' in page.text
    assert "Unpaid orders are cancelled after" in page.text
    assert "Default 30 · from 5 to 1440" in page.text
    assert 'value="100.00"' in page.text  # the smallest payout, in yuan
    assert 'href="/admin/membership/#settings"' in page.text  # points rules live on their own page


async def test_bad_values_are_refused_with_a_message_and_the_form_keeps_them(client) -> None:  # type: ignore[no-untyped-def]
    admin = await make_user(roles=("admin",))
    await login(client, admin)
    response = await post_form(
        client,
        "/admin/settings/",
        _form(orders__pay_timeout_minutes="3", settlement__payout_fee_bp="abc%", orders__auto_confirm_days="12"),
        headers={"Accept-Language": "en"},
    )
    assert response.status_code == 422
    assert "Enter a whole number from 5 to 1440." in response.text
    assert "Enter a percentage from 0 to 10, with at most two decimals." in response.text
    assert 'value="3"' in response.text and 'value="abc%"' in response.text and 'value="12"' in response.text
    assert await fetch("SELECT * FROM system_setting") == []  # nothing stored, not even the valid field
    assert await fetch("SELECT * FROM audit_log WHERE action = 'setting.update'") == []


async def test_a_change_is_stored_audited_and_drives_the_next_checkout(client) -> None:  # type: ignore[no-untyped-def]
    admin = await make_user(roles=("admin",))
    await login(client, admin)
    response = await post_form(
        client, "/admin/settings/", _form(orders__pay_timeout_minutes="90", settlement__payout_min_fen="50.5")
    )
    assert response.status_code == 303
    assert await setting("orders.pay_timeout_minutes") == 90
    assert await setting("settlement.payout_min_fen") == 5050
    assert await setting("orders.auto_confirm_days") == 10  # untouched: the default
    audit = await fetch(
        "SELECT actor, target_id, before, after FROM audit_log WHERE action = 'setting.update' ORDER BY target_id"
    )
    assert [(a["actor"], a["target_id"]) for a in audit] == [
        (admin.id, "orders.pay_timeout_minutes"),
        (admin.id, "settlement.payout_min_fen"),
    ]
    assert '"value": 30' in audit[0]["before"] and '"value": 90' in audit[0]["after"]

    # the same form again changes nothing and writes no audit row
    assert (
        await post_form(
            client, "/admin/settings/", _form(orders__pay_timeout_minutes="90", settlement__payout_min_fen="50.50")
        )
    ).status_code == 303
    assert len(await fetch("SELECT id FROM audit_log WHERE action = 'setting.update'")) == 2

    buyer = await make_user()
    address = await make_address(buyer)
    sku = await first_sku(await make_product(skus=[{"price_fen": 1000, "stock": 5}]))
    placed = await orders.place_order(
        buyer_id=buyer.id, checkout_token=uuid.uuid4(), lines=[CheckoutLine(sku, 1)], address_id=address, choices={}
    )
    group = await fetchrow("SELECT created_at, pay_deadline_at FROM order_group WHERE id = {}", placed.id)
    assert group["pay_deadline_at"] - group["created_at"] == timedelta(minutes=90)


async def test_values_are_cached_while_the_feed_is_live_and_dropped_when_another_process_changes_one(feed) -> None:  # type: ignore[no-untyped-def]
    assert await setting("reviews.auto_days") == 15
    assert "stored" in registry._cached
    # another process writes (the trigger notifies at commit); this process must see it without restarting
    await fetch("INSERT INTO system_setting (key, value) VALUES ('reviews.auto_days', 20)")
    for _ in range(150):
        if await setting("reviews.auto_days") == 20:
            break
        await asyncio.sleep(0.02)
    assert await setting("reviews.auto_days") == 20
