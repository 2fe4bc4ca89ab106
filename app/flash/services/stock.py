"""Giving unsold flash stock back to the SKUs (the end-of-session sweep, a cancelled session) and the catalog's stock
summaries after any flash stock move."""

from __future__ import annotations

from app.core import clock
from app.core.db import engine, fetch


async def _refresh_products(product_ids: list[int]) -> None:
    """The catalog's stock summaries, in the caller's transaction; product rows locked in id order first."""
    from app.catalog.services import refresh_product_summaries

    ids = sorted(set(product_ids))
    if not ids:
        return
    await fetch("SELECT id FROM product WHERE id = ANY({}::int[]) ORDER BY id FOR NO KEY UPDATE", ids)
    await refresh_product_summaries(product_ids=ids)


async def _return_items(item_ids: list[int]) -> int:
    """Give each item's unsold flash stock back to its SKU, once (the items are locked by the caller)."""
    if not item_ids:
        return 0
    rows = await fetch(
        "UPDATE flash_item SET returned = true, returned_qty = returned_qty + flash_stock, flash_stock = 0 "
        "WHERE id = ANY({}::int[]) AND stock_reserved AND NOT returned "
        "RETURNING id, sku, product, returned_qty, flash_stock",
        item_ids,
    )
    moved: dict[int, int] = {}
    for r in rows:
        # returned_qty now holds what went back (plus nothing earlier: `returned` is set once)
        moved[r["sku"]] = moved.get(r["sku"], 0) + int(r["returned_qty"])
    for sku_id in sorted(moved):
        if moved[sku_id]:
            await fetch("UPDATE sku SET stock = stock + {} WHERE id = {}", moved[sku_id], sku_id)
    await _refresh_products([r["product"] for r in rows])
    return len(rows)


async def return_unsold_stock(*, batch: int = 100) -> int:
    """The worker's sweep: for every approved item of a session that has ended (or was cancelled), its unsold flash
    stock goes back to the SKU, once. Safe with several workers (SKIP LOCKED) and against a late cancellation
    (release_flash_stock locks the same item row)."""
    done = 0
    while True:
        async with engine().transaction():
            rows = await fetch(
                "SELECT f.id FROM flash_item f JOIN flash_session s ON s.id = f.session "
                "WHERE f.stock_reserved AND NOT f.returned AND (s.ends_at <= {} OR s.status = 'cancelled') "
                "ORDER BY f.id LIMIT {} FOR UPDATE OF f SKIP LOCKED",
                clock.now(),
                batch,
            )
            done += await _return_items([r["id"] for r in rows])
        if len(rows) < batch:
            return done
