"""Worker sweeps of the aftersales app (issue 8): (name, coroutine function) pairs, run by app/worker.py.

Each claims due requests one at a time with FOR UPDATE SKIP LOCKED (two workers never take the same one) and re-checks
status and deadline under the lock, so running a sweep twice changes nothing the second time.

- requested, the seller silent for SELLER_REPLY_DAYS → approved (a refund-only request is refunded at once; a
  return gets the shop's last return address, or none: the buyer is told to contact the shop)
- approved return not shipped by the buyer in BUYER_SHIP_DAYS → closed
- return shipped, the seller silent for SELLER_CONFIRM_DAYS → received and refunded (an exchange: received, the
  seller still has to ship the replacement)
- an exchange's replacement shipped, the buyer silent for the order auto-confirm period → closed

The periods are system settings (app/operations/settings.py: aftersales.seller_reply_days, aftersales.buyer_ship_days,
aftersales.seller_confirm_days, orders.auto_confirm_days), applied when a step starts (its deadline_at)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from app.aftersales import rules, services
from app.core import clock
from app.core.db import engine, fetchrow
from app.core.i18n import N_


async def _claim(status: str) -> dict | None:  # type: ignore[type-arg]
    row = await fetchrow(
        "SELECT * FROM after_sale WHERE status = {} AND deadline_at <= {} ORDER BY deadline_at, id "
        "LIMIT 1 FOR UPDATE SKIP LOCKED",
        status,
        clock.now(),
    )
    return services._row(row) if row else None


async def auto_approve(*, limit: int = 200) -> int:
    done = 0
    ship_days = await services.days("aftersales.buyer_ship_days")
    for _ in range(limit):
        refund_id = None
        async with engine().transaction():
            row = await _claim("requested")
            if row is None:
                break
            if rules.needs_return(row["kind"]):
                last = await fetchrow(
                    "SELECT return_address FROM after_sale WHERE shop = {} AND return_address <> '{}'::jsonb "
                    "ORDER BY approved_at DESC NULLS LAST LIMIT 1",
                    row["shop"],
                )
                address = services._row(last)["return_address"] if last else {}
                await services._move(row, "approved", action="auto_approved", actor=None, side="system",
                                     deadline_days=ship_days, return_address=address,
                                     approved_at=clock.now())  # fmt: skip
            else:
                await services._move(row, "approved", action="auto_approved", actor=None, side="system",
                                      approved_at=clock.now())  # fmt: skip
                refund_id = await services._refund_only(row, actor=None, side="system")
            body = N_("The shop did not answer in time, so it was approved automatically.")
            await services._notify(row, "aftersale_approved", N_("After-sales request %(no)s approved"), body)
        services._after_commit(refund_id)
        done += 1
    return done


async def close_unshipped(*, limit: int = 200) -> int:
    done = 0
    for _ in range(limit):
        async with engine().transaction():
            row = await _claim("approved")
            if row is None:
                break
            await services._move(row, "closed", action="timeout", actor=None, side="system",
                                 note=N_("The return was not shipped in time."))  # fmt: skip
            await services._notify(row, "aftersale_closed", N_("After-sales request %(no)s closed"),
                                   N_("The return was not shipped in time."))  # fmt: skip
        done += 1
    return done


async def auto_refund(*, limit: int = 200) -> int:
    done = 0
    for _ in range(limit):
        async with engine().transaction():
            row = await _claim("buyer_shipped")
            if row is None:
                break
            refund_id = await services.receive(row, actor=None)
        services._after_commit(refund_id)
        done += 1
    return done


async def close_exchanges(*, limit: int = 200) -> int:
    """The buyer never confirmed the exchange's replacement: it counts as received, the request closes."""
    done = 0
    for _ in range(limit):
        async with engine().transaction():
            row = await _claim("reshipped")
            if row is None:
                break
            await services._move(row, "closed", action="exchange_auto_confirmed", actor=None, side="system")
        done += 1
    return done


SWEEPS: list[tuple[str, Callable[[], Awaitable[object]]]] = [
    ("aftersales.auto_approve", auto_approve),
    ("aftersales.close_unshipped", close_unshipped),
    ("aftersales.auto_refund", auto_refund),
    ("aftersales.close_exchanges", close_exchanges),
]
