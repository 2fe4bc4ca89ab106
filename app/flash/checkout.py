"""Flash-sale lines at checkout (stage A in app/promotions/context.py). The bodies here are the contract.

Row locks taken by take_flash_stock, in this order: the buyer's flash_purchase row, then the flash_item row. The
item row is the hot one in a burst: it is held from the UPDATE to the end of place_order's transaction."""

from __future__ import annotations

from app.core import clock
from app.core.db import fetch, fetchrow
from app.core.i18n import N_
from app.flash import rules
from app.promotions.context import PriceOffer, PricingContext

FLASH_REASON = N_("Flash sale")
OVER_LIMIT = rules.OVER_LIMIT
SOLD_OUT = rules.SOLD_OUT


async def flash_offers(ctx: PricingContext) -> list[PriceOffer]:
    """For each line with a flash_item_id whose item is approved, in a running session and for that SKU: its flash
    price, exclusive=True, source "flash:<item id>". A flash line without an offer is refused by checkout."""
    wanted = [line for line in ctx.lines if line.flash_item_id is not None]
    if not wanted:
        return []
    rows = await fetch(
        "SELECT f.id, f.sku, f.flash_price_fen FROM flash_item f WHERE f.id = ANY({}::int[]) "
        "AND f.status = 'approved' AND "
        "EXISTS (SELECT 1 FROM flash_session s WHERE s.id = f.session AND s.status = 'scheduled' "
        "AND s.starts_at <= {} AND s.ends_at > {})",
        [line.flash_item_id for line in wanted],
        ctx.now,
        ctx.now,
    )
    by_id = {r["id"]: r for r in rows}
    offers: list[PriceOffer] = []
    for line in wanted:
        row = by_id.get(line.flash_item_id)
        if row is None or row["sku"] != line.sku_id:
            continue
        offers.append(
            PriceOffer(
                line_key=line.key,
                unit_price_fen=min(int(row["flash_price_fen"]), line.unit_price_fen),
                reason=FLASH_REASON,
                source=f"flash:{row['id']}",
                bearer="shop",
                exclusive=True,
            )
        )
    return offers


async def take_flash_stock(*, buyer_id: int, flash_item_id: int, quantity: int) -> str | None:
    """In place_order's transaction: the per-user limit and the flash stock, each with one statement that cannot
    overshoot. None when taken; else the msgid to show (sold out, over the limit)."""
    if quantity <= 0:
        return rules.NOT_AVAILABLE
    now = clock.now()
    # the buyer's count: one row per (item, buyer); the limit holds whatever runs at the same time
    counted = await fetchrow(
        "INSERT INTO flash_purchase (item, buyer, quantity) "
        "SELECT f.id, {}, {} FROM flash_item f WHERE f.id = {} AND f.per_user_limit >= {} "
        "ON CONFLICT (item, buyer) DO UPDATE SET quantity = flash_purchase.quantity + EXCLUDED.quantity "
        "WHERE flash_purchase.quantity + EXCLUDED.quantity <= "
        "(SELECT per_user_limit FROM flash_item WHERE id = EXCLUDED.item) RETURNING quantity",
        buyer_id,
        quantity,
        flash_item_id,
        quantity,
    )
    if counted is None:
        exists = await fetchrow("SELECT id FROM flash_item WHERE id = {}", flash_item_id)
        return OVER_LIMIT if exists else rules.NOT_AVAILABLE
    taken = await fetchrow(
        "UPDATE flash_item f SET flash_stock = f.flash_stock - {}, sold = f.sold + {} "
        "WHERE f.id = {} AND f.flash_stock >= {} AND f.status = 'approved' AND NOT f.returned AND "
        "EXISTS (SELECT 1 FROM flash_session s WHERE s.id = f.session AND s.status = 'scheduled' "
        "AND s.starts_at <= {} AND s.ends_at > {}) RETURNING f.flash_stock",
        quantity,
        quantity,
        flash_item_id,
        quantity,
        now,
        now,
    )
    if taken is not None:
        return None
    # refused: undo the count (the caller rolls back too; this keeps it right if it does not) and say why
    await fetch(
        "UPDATE flash_purchase SET quantity = quantity - {} WHERE item = {} AND buyer = {}",
        quantity,
        flash_item_id,
        buyer_id,
    )
    state = await fetchrow(
        "SELECT f.status, f.flash_stock, s.starts_at, s.ends_at, s.status AS session_status "
        "FROM flash_item f JOIN flash_session s ON s.id = f.session WHERE f.id = {}",
        flash_item_id,
    )
    if state is None:
        return rules.NOT_AVAILABLE
    phase = rules.phase(starts_at=state["starts_at"], ends_at=state["ends_at"], status=state["session_status"], now=now)
    refusal = rules.buy_refusal(phase_now=phase, item_status=state["status"], flash_stock=int(state["flash_stock"]))
    return refusal or rules.SOLD_OUT  # some left, but fewer than asked for


async def release_flash_stock(*, buyer_id: int, flash_item_id: int, quantity: int) -> None:
    """In the caller's transaction: an unpaid flash order was cancelled; the stock and the buyer's count go back."""
    if quantity <= 0:
        return
    await fetch(
        "UPDATE flash_purchase SET quantity = greatest(quantity - {}, 0) WHERE item = {} AND buyer = {}",
        quantity,
        flash_item_id,
        buyer_id,
    )
    item = await fetchrow(
        "SELECT id, sku, product, returned, sold FROM flash_item WHERE id = {} FOR UPDATE", flash_item_id
    )
    if item is None:
        return
    back = min(quantity, int(item["sold"]))
    if not item["returned"]:
        # the session may still sell it (or the end-of-session sweep will give it to the SKU)
        await fetch(
            "UPDATE flash_item SET flash_stock = flash_stock + {}, sold = sold - {} WHERE id = {}",
            back,
            back,
            flash_item_id,
        )
        return
    # the unsold stock already went back to the SKU: these units follow it there
    await fetch(
        "UPDATE flash_item SET sold = sold - {}, returned_qty = returned_qty + {} WHERE id = {}",
        back,
        back,
        flash_item_id,
    )
    await fetch("UPDATE sku SET stock = stock + {} WHERE id = {}", back, item["sku"])
    from app.flash.services.stock import _refresh_products

    await _refresh_products([item["product"]])
