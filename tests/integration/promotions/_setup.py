"""Set-up for the promotions' integration tests: promotions saved through the real service from form fields."""

from __future__ import annotations

from datetime import timedelta

from app.config import get_settings
from app.core import clock
from app.promotions import forms, services
from app.promotions.context import ANONYMOUS, LineInfo, Member, PricingContext
from tests.factories import SYSTEM, TestShop, make_category, make_product, make_shop

EN = {"Accept-Language": "en"}


def window(start_days: float = -1, end_days: float = 7) -> dict[str, str]:
    tz = get_settings().display_timezone
    now = clock.now().replace(second=0, microsecond=0)
    return {
        "starts_at": forms.format_dt(now + timedelta(days=start_days), tz),
        "ends_at": forms.format_dt(now + timedelta(days=end_days), tz),
    }


async def promotion(shop: TestShop | None, kind: str, *, activate: bool = True, **fields: str) -> int:
    form = {"name": fields.pop("name", f"{kind} test"), "scope": "all", **window(), **fields}
    return await services.save_promotion(
        actor=SYSTEM, shop_id=shop.id if shop else None, kind=kind, form=form, activate=activate
    )


async def shop_with_skus(
    prices: list[int], *, stock: int = 10, category: int | None = None
) -> tuple[TestShop, list[int]]:
    """A shop with one product per price, returning the SKU ids."""
    from tests.order_factories import first_sku

    shop = await make_shop()
    category = category or await make_category()
    skus = []
    for price in prices:
        pid = await make_product(shop=shop, category=category, skus=[{"price_fen": price, "stock": stock}])
        skus.append(await first_sku(pid))
    return shop, skus


async def ctx_for(lines: list[tuple[int, int]], *, member: Member = ANONYMOUS) -> PricingContext:
    """A pricing context for (sku id, quantity) lines, read from the catalog as the engine would."""
    from app.core.db import fetch

    rows = await fetch(
        "SELECT s.id, s.price_fen, p.id AS product, p.shop, c.path FROM sku s JOIN product p ON p.id = s.product "
        "JOIN category c ON c.id = p.category WHERE s.id = ANY({}::int[])",
        [sku for sku, _ in lines],
    )
    info = {r["id"]: r for r in rows}
    return PricingContext(
        member=member,
        lines=tuple(
            LineInfo(
                str(sku),
                sku,
                info[sku]["product"],
                info[sku]["shop"],
                tuple(int(c) for c in info[sku]["path"].strip("/").split("/")),
                info[sku]["price_fen"],
                qty,
            )
            for sku, qty in lines
        ),
        now=clock.now(),
    )


def values_of(ctx: PricingContext) -> dict[str, int]:
    return {line.key: line.unit_price_fen * line.quantity for line in ctx.lines}
