"""Helpers for the cart tests."""

# ruff: noqa: S608 - SQL is assembled only from constant fragments; every value is a bound parameter

from __future__ import annotations

import httpx

from app.catalog.tables import Sku
from app.core.db import fetch

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin"}
HX = {"HX-Request": "true"}
EN = {"Accept-Language": "en"}


async def sku_of(product_id: int, position: int = 0) -> int:
    rows = await Sku.select(Sku.id).where(Sku.product == product_id).order_by(Sku.position)
    return int(rows[position]["id"])


async def add(
    client: httpx.AsyncClient, sku_id: int, qty: object = 1, *, htmx: bool = False, **headers: str
) -> httpx.Response:
    """The buy box's "Add to cart": no CSRF token (the page may come from the page cache), same origin."""
    return await client.post(
        "/cart/add",
        data={"sku": str(sku_id), "qty": str(qty)},
        headers={**SAME_ORIGIN, **EN, **(HX if htmx else {}), **headers},
    )


async def cart_rows(*, user_id: int | None = None, token: str | None = None) -> dict[int, tuple[int, bool]]:
    """{sku id: (quantity, selected)} straight from the database."""
    where, value = ('c."user" = {}', user_id) if user_id is not None else ("c.token = {}", token)
    rows = await fetch(
        f"SELECT ci.sku, ci.quantity, ci.selected FROM cart_item ci JOIN cart c ON c.id = ci.cart WHERE {where}", value
    )
    return {r["sku"]: (r["quantity"], r["selected"]) for r in rows}
