"""A delivered order for the reviews browser test: `python -m e2e.reviews_seed <buyer identifier>` (DATABASE_URL
set). Picks an active demo product nobody has reviewed yet (so the product page's reviews show only this test's),
writes an order of it for the buyer the way tests/order_factories.make_order_group does and walks it to
"delivered" through the order state machine. Prints "<order id> <order item id> <product id>"."""

from __future__ import annotations

import asyncio
import sys
from dataclasses import dataclass

from app.core.db import close_pool, fetchrow, start_pool
from tests.order_factories import make_order_group


@dataclass(frozen=True)
class _Buyer:
    id: int


async def seed(identifier: str) -> tuple[int, int, int]:
    await start_pool(min_size=1, max_size=2)
    try:
        buyer = await fetchrow("SELECT id FROM app_user WHERE email = {} OR phone = {}", identifier, identifier)
        product = await fetchrow(
            "SELECT p.id FROM product p WHERE p.status = 'active' AND p.stock_total > 0 "
            "AND NOT EXISTS (SELECT 1 FROM review r WHERE r.product = p.id) "
            "AND EXISTS (SELECT 1 FROM sku s WHERE s.product = p.id AND s.stock > 0) ORDER BY p.id LIMIT 1"
        )
        assert buyer is not None and product is not None
        group = await make_order_group(_Buyer(buyer["id"]), [(product["id"], 1)], status="delivered")  # type: ignore[arg-type]
        order_id = group.order_ids[0]
        item = await fetchrow('SELECT id FROM order_item WHERE "order" = {}', order_id)
        return order_id, item["id"], product["id"]
    finally:
        await close_pool()


if __name__ == "__main__":
    print(*asyncio.run(seed(sys.argv[1])))
