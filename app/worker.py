"""Time-based work as idempotent SQL sweeps. `python -m app.worker` runs them in a loop; in development
(`make run`) the app runs the same loop in-process. Many workers may run at once: every sweep is one
statement that is safe to repeat. Later issues add theirs to SWEEPS (unpaid-order timeout, auto-confirm...)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from app.aftersales.sweeps import SWEEPS as AFTERSALES_SWEEPS
from app.analytics.sweeps import SWEEPS as ANALYTICS_SWEEPS
from app.assessment.sweeps import SWEEPS as ASSESSMENT_SWEEPS
from app.cart.services import sweep_anonymous_carts
from app.catalog.search import refresh_terms, rollup_searches
from app.complaints.sweeps import SWEEPS as COMPLAINT_SWEEPS
from app.core import ratelimit
from app.coupons.sweeps import SWEEPS as COUPON_SWEEPS
from app.flash.sweeps import SWEEPS as FLASH_SWEEPS
from app.membership.sweeps import SWEEPS as MEMBERSHIP_SWEEPS
from app.messaging.sweeps import SWEEPS as MESSAGING_SWEEPS
from app.onboarding.documents import sweep_documents
from app.orders.buyer import auto_confirm
from app.orders.fulfilment import deliver_due
from app.orders.services import expire_unpaid
from app.payments.sandbox import deliver_due_notices
from app.payments.services import process_refunds
from app.promotions.sweeps import SWEEPS as PROMOTION_SWEEPS
from app.reviews.sweeps import SWEEPS as REVIEW_SWEEPS
from app.settlement.sweeps import SWEEPS as SETTLEMENT_SWEEPS
from app.web.session import PostgresStore

log = logging.getLogger("jishi.worker")

SWEEPS: list[tuple[str, Callable[[], Awaitable[object]]]] = [
    ("expired sessions", PostgresStore().sweep),
    ("expired rate-limit counters", ratelimit.sweep),
    ("search keyword rollup", rollup_searches),
    ("search suggestions", lambda: refresh_terms(max_age_seconds=600)),
    ("qualification documents: expiry warnings and lapses", sweep_documents),
    ("anonymous carts idle for 30 days", sweep_anonymous_carts),
    ("sandbox payment notices due for (re)delivery", deliver_due_notices),
    ("pending refunds", process_refunds),
    ("shipped orders the carrier has delivered", deliver_due),
    ("unpaid orders past their payment deadline", expire_unpaid),
    ("orders whose receipt is confirmed automatically", auto_confirm),
    *PROMOTION_SWEEPS,
    *COUPON_SWEEPS,
    *FLASH_SWEEPS,
    *MEMBERSHIP_SWEEPS,
    *REVIEW_SWEEPS,
    *AFTERSALES_SWEEPS,
    *MESSAGING_SWEEPS,
    *COMPLAINT_SWEEPS,
    *SETTLEMENT_SWEEPS,
    *ANALYTICS_SWEEPS,
    *ASSESSMENT_SWEEPS,
]


async def run_once() -> None:
    for name, sweep in SWEEPS:
        try:
            await sweep()
        except Exception:
            log.exception("sweep failed: %s", name)


async def run_forever(interval: float = 60.0) -> None:
    while True:
        await run_once()
        await asyncio.sleep(interval)


async def _main() -> None:
    from app.config import get_settings
    from app.core.db import close_pool, start_pool

    settings = get_settings()
    await start_pool(min_size=1, max_size=settings.db_pool_max)
    try:
        await run_forever()
    finally:
        await close_pool()


if __name__ == "__main__":
    logging.basicConfig(level=logging.INFO)
    asyncio.run(_main())
