"""Flash-sale lines at checkout (stage A in app/promotions/context.py). The bodies here are the contract."""

from __future__ import annotations

from app.promotions.context import PriceOffer, PricingContext


async def flash_offers(ctx: PricingContext) -> list[PriceOffer]:
    """For each line with a flash_item_id whose item is approved, in a running session and for that SKU: its flash
    price, exclusive=True, source "flash:<item id>". A flash line without an offer is refused by checkout."""
    return []


async def take_flash_stock(*, buyer_id: int, flash_item_id: int, quantity: int) -> str | None:
    """In place_order's transaction: the per-user limit and the flash stock, each with one statement that cannot
    overshoot. None when taken; else the msgid to show (sold out, over the limit)."""
    return "Flash sale stock is not available."


async def release_flash_stock(*, buyer_id: int, flash_item_id: int, quantity: int) -> None:
    """In the caller's transaction: an unpaid flash order was cancelled; the stock and the buyer's count go back."""
