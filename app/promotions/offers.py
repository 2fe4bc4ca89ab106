"""Shop and platform promotions as the engine sees them (stages A and B in app/promotions/context.py).
Owned by the promotions rules (limited-time discounts, member prices, multi-piece, bundles, full-reduction, gifts).
The bodies here are the contract; they return nothing until the rules exist."""

from __future__ import annotations

from app.promotions.context import OrderOffers, PriceOffer, PricingContext


async def price_offers(ctx: PricingContext) -> list[PriceOffer]:
    """Stage A: lower unit prices (limited-time discounts, member prices for ctx.member.level_rank) for the lines
    of `ctx` that are on such a promotion now. At most one offer per line per promotion; the engine takes the
    lowest across all providers."""
    return []


async def order_offers(ctx: PricingContext, values: dict[str, int]) -> OrderOffers:
    """Stage B over `values` (line key → fen still payable after stage A; flash lines are not in ctx):
    multi-piece, bundles, full-reduction tiers of shops (bearer shop) and platform campaigns (bearer platform,
    shop_id None), gifts, and the hints for the next tier."""
    return OrderOffers()


async def take_gift_stock(*, promotion_id: int, sku_id: int, quantity: int) -> bool:
    """In the caller's transaction: one conditional UPDATE of the promotion's gift stock. False: none left."""
    return False


async def return_gift_stock(*, promotion_id: int, quantity: int) -> None:
    """In the caller's transaction: an unpaid order with a gift was cancelled."""
