"""A process that checks out in a loop with many concurrent buyers until it is killed (the SIGKILL fault test).
Usage: python -m tests.integration.orders._checkout_load SPEC.json  (DATABASE_URL from the environment)."""

from __future__ import annotations

import asyncio
import json
import random
import sys
import uuid

from app.core.db import start_pool
from app.orders import services
from app.orders.errors import InsufficientStock


async def buyer_loop(buyer_id: int, address_id: int, skus: list[int], seed: int) -> None:
    rng = random.Random(seed)
    while True:
        picked = rng.sample(skus, rng.randint(1, min(3, len(skus))))
        lines = [services.CheckoutLine(sku, rng.randint(1, 3)) for sku in picked]
        try:
            await services.place_order(
                buyer_id=buyer_id, checkout_token=uuid.uuid4(), lines=lines, address_id=address_id
            )
        except InsufficientStock:
            pass


async def main(spec_path: str) -> None:
    with open(spec_path) as fh:  # noqa: ASYNC230 (once, before any task runs)
        spec = json.load(fh)
    await start_pool(min_size=2, max_size=10)
    print("ready", flush=True)
    await asyncio.gather(
        *[
            buyer_loop(b, a, spec["skus"], i)
            for i, (b, a) in enumerate(zip(spec["buyers"], spec["addresses"], strict=True))
        ]
    )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1]))
