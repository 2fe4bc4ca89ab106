"""Posting orders and refunds to the ledger (called by hooks.py inside the payment's or the refund's transaction,
and by the "post missing sales" sweep). Every posting is idempotent by its ledger ref.

Refund allocation: a refund is spread over the order's items (an after-sales refund goes to its own item first),
then its shipping. Each item's share of the frozen commission and platform subsidy is cumulative:
share_after = round_half_up(frozen x refunded_so_far / paid), given back = share_after - given before. So several
partial refunds of an item add up exactly to the frozen amounts and never more; when the whole order has been
refunded, whatever is left (an item paid 0 that the platform subsidised) goes back too."""

from __future__ import annotations

import json
import logging
from datetime import datetime
from typing import Any

from app.core import clock
from app.core.db import fetch, fetchrow
from app.core.i18n import N_
from app.core.money import format_fen
from app.settlement.ledger import Leg, commission_of, lock_shop, post, posted, share_of

log = logging.getLogger("jishi.settlement")


def _discounts(adjustments: Any) -> tuple[int, int]:
    """(platform-borne, shop-borne) discounts of an item, as positive fen."""
    if isinstance(adjustments, str):
        adjustments = json.loads(adjustments or "[]")
    platform = shop = 0
    for adj in adjustments or []:
        amount = -int(adj.get("amount_fen", 0))
        if adj.get("bearer") == "platform":
            platform += amount
        else:
            shop += amount
    return platform, shop


async def freeze_commissions(order_id: int) -> list[dict[str, Any]]:
    """The order's items' commission snapshot: written once (at payment), read back afterwards."""
    await fetch(
        'INSERT INTO settlement_commission (order_item, "order", shop, category, rate_bp, base_fen, commission_fen, '
        "platform_discount_fen, shop_discount_fen, created_at) "
        "SELECT u.item, u.ord, u.shop, u.cat, u.rate, u.base, u.comm, u.plat, u.shp, {} "
        "FROM unnest({}::int[], {}::int[], {}::int[], {}::int[], {}::int[], {}::bigint[], {}::bigint[], "
        "{}::bigint[], {}::bigint[]) AS u(item, ord, shop, cat, rate, base, comm, plat, shp) "
        "ON CONFLICT (order_item) DO NOTHING",
        clock.now(),
        *_columns(
            await fetch(
                'SELECT i.id, i."order", o.shop, i.paid_fen, i.adjustments, p.category, c.commission_bp '
                'FROM order_item i JOIN shop_order o ON o.id = i."order" LEFT JOIN product p ON p.id = i.product '
                'LEFT JOIN category c ON c.id = p.category WHERE i."order" = {} ORDER BY i.id',
                order_id,
            )
        ),
    )
    return await fetch(
        "SELECT c.order_item, c.base_fen, c.commission_fen, c.platform_discount_fen, c.shop_discount_fen, c.rate_bp "
        'FROM settlement_commission c WHERE c."order" = {} ORDER BY c.order_item',
        order_id,
    )


def _columns(items: list[dict[str, Any]]) -> list[list[Any]]:
    cols: list[list[Any]] = [[] for _ in range(9)]
    for item in items:
        rate = int(item["commission_bp"] or 0)
        base = int(item["paid_fen"])
        platform, shop = _discounts(item["adjustments"])
        row = [item["id"], item["order"], item["shop"], item["category"], rate, base, commission_of(base, rate)]
        for col, value in zip(cols, [*row, platform, shop], strict=True):
            col.append(value)
    return cols


async def post_sale(order_id: int, *, at: datetime | None = None) -> bool:
    """Freeze the order's commissions and post its sale, subsidy and commission. False if already posted."""
    if await posted(f"sale:order:{order_id}") or await posted(f"nosale:order:{order_id}"):
        return False
    order = await fetchrow(
        "SELECT id, shop, total_fen, paid_at FROM shop_order WHERE id = {} AND paid_at IS NOT NULL", order_id
    )
    if order is None:
        return False
    items = await freeze_commissions(order_id)
    shop, total = int(order["shop"]), int(order["total_fen"])
    subsidy = sum(int(i["platform_discount_fen"]) for i in items)
    commission = sum(int(i["commission_fen"]) for i in items)
    at = at or clock.now()
    common: dict[str, Any] = {"shop": shop, "order": order_id, "at": at}
    first = await post(
        kind="sale",
        ref=f"sale:order:{order_id}",
        legs=[Leg("gateway_clearing", -total), Leg("shop_pending", total, shop, order_id)],
        **common,
    )
    if first is None and total == 0:  # a free order: mark it so it is not looked at again
        await fetch(
            'INSERT INTO ledger_txn (kind, ref, shop, "order", memo, posted_at) VALUES '
            "('sale', {}, {}, {}, 'free order', {}) ON CONFLICT (ref) DO NOTHING",
            f"nosale:order:{order_id}",
            shop,
            order_id,
            at,
        )
    await post(
        kind="subsidy",
        ref=f"subsidy:order:{order_id}",
        legs=[Leg("subsidy_expense", -subsidy), Leg("shop_pending", subsidy, shop, order_id)],
        **common,
    )
    await post(
        kind="commission",
        ref=f"commission:order:{order_id}",
        legs=[Leg("shop_pending", -commission, shop, order_id), Leg("commission_revenue", commission)],
        **common,
    )
    return True


async def post_missing_sales(*, limit: int = 1000) -> int:
    """Paid orders whose sale is not in the ledger (paid before settlement existed): post them, dated at payment."""
    rows = await fetch(
        "SELECT o.id, o.paid_at FROM shop_order o WHERE o.paid_at IS NOT NULL AND NOT EXISTS "
        "(SELECT 1 FROM ledger_txn t WHERE t.ref IN ('sale:order:' || o.id, 'nosale:order:' || o.id)) "
        "ORDER BY o.id LIMIT {}",
        limit,
    )
    done = 0
    from app.core.db import engine

    for row in rows:
        async with engine().transaction():
            if await post_sale(int(row["id"]), at=row["paid_at"]):
                done += 1
    return done


# ---------------------------------------------------------------------------------------------------------------
# refunds


def allocate(
    *,
    amount: int,
    items: list[dict[str, int]],
    shipping_left: int,
    targets: dict[int, int] | None = None,
) -> tuple[dict[int, int], int]:
    """Spread `amount` over items (dicts with id, left): first the `targets` (an after-sales request's items, each up
    to what was asked for it), then every item (targets first, then by id) up to what is left of it, then shipping.
    Returns ({item id: amount}, shipping amount); whatever is still left goes to shipping (payments caps refunds)."""
    targets = targets or {}
    out: dict[int, int] = {}
    left = amount
    room = {item["id"]: max(item["left"], 0) for item in items}
    for item_id, cap in sorted(targets.items()):
        take = min(left, room.get(item_id, 0), max(cap, 0))
        if take > 0:
            out[item_id] = out.get(item_id, 0) + take
            room[item_id] -= take
            left -= take
    for item_id in sorted(room, key=lambda i: (i not in targets, i)):
        take = min(left, room[item_id])
        if take > 0:
            out[item_id] = out.get(item_id, 0) + take
            room[item_id] -= take
            left -= take
    ship = min(left, max(shipping_left, 0))
    left -= ship
    return out, ship + left


async def post_refund(refund_id: int) -> None:
    refund = await fetchrow('SELECT id, "order", amount_fen, idempotency_key FROM refund WHERE id = {}', refund_id)
    if refund is None or refund["order"] is None:
        return  # a late or double payment refunded whole: no sale was posted (see the reconciliation)
    order_id = int(refund["order"])
    if await posted(f"refund:{refund_id}"):
        return
    order = await fetchrow(
        "SELECT id, no, shop, total_fen, shipping_fen, paid_at FROM shop_order WHERE id = {}", order_id
    )
    assert order is not None
    shop = int(order["shop"])
    await lock_shop(shop)  # against the settlement sweep (pending or available?) and payout requests
    if await posted(f"refund:{refund_id}"):
        return
    await post_sale(order_id, at=order["paid_at"])
    frozen = {int(c["order_item"]): c for c in await freeze_commissions(order_id)}
    done = {
        (int(r["order_item"]) if r["order_item"] is not None else None): r
        for r in await fetch(
            "SELECT order_item, sum(amount_fen) AS amount, sum(commission_fen) AS comm, sum(subsidy_fen) AS sub "
            'FROM settlement_refund_share WHERE "order" = {} GROUP BY order_item',
            order_id,
        )
    }

    def got(item: int | None, key: str) -> int:
        return int(done[item][key]) if item in done else 0

    targets: dict[int, int] = {}
    key = str(refund["idempotency_key"])
    if key.startswith("aftersale:") and key.split(":", 1)[1].isdigit():
        rows = await fetch(
            "SELECT order_item, amount_fen FROM after_sale_item WHERE after_sale = {} ORDER BY order_item",
            int(key.split(":", 1)[1]),
        )
        targets = {int(r["order_item"]): int(r["amount_fen"]) for r in rows}
    elif key.startswith("aftersale_item:") and key.count(":") == 2 and key.rsplit(":", 1)[1].isdigit():
        # one refund row per item of a request covering several items: 'aftersale_item:<request>:<order item>'
        targets = {int(key.rsplit(":", 1)[1]): int(refund["amount_fen"])}
    items = [{"id": i, "left": int(c["base_fen"]) - got(i, "amount")} for i, c in frozen.items()]
    amount = int(refund["amount_fen"])
    split, ship = allocate(
        amount=amount,
        items=items,
        shipping_left=int(order["shipping_fen"]) - got(None, "amount"),
        targets=targets,
    )
    refunded_before = sum(int(r["amount"]) for r in done.values())
    whole = refunded_before + amount >= int(order["total_fen"])
    shares: list[tuple[int | None, int, int, int]] = []
    for item_id, c in frozen.items():
        cum = got(item_id, "amount") + split.get(item_id, 0)
        base = int(c["base_fen"])
        comm_total, sub_total = int(c["commission_fen"]), int(c["platform_discount_fen"])
        comm = (comm_total if whole else share_of(comm_total, cum, base)) - got(item_id, "comm")
        sub = (sub_total if whole else share_of(sub_total, cum, base)) - got(item_id, "sub")
        if split.get(item_id, 0) or comm or sub:
            shares.append((item_id, split.get(item_id, 0), comm, sub))
    if ship:
        shares.append((None, ship, 0, 0))
    for item_id, part, comm, sub in shares:
        await fetch(
            'INSERT INTO settlement_refund_share (refund, "order", order_item, amount_fen, commission_fen, '
            "subsidy_fen) VALUES ({}, {}, {}, {}, {}, {})",
            refund_id,
            order_id,
            item_id,
            part,
            comm,
            sub,
        )
    comm_back = sum(s[2] for s in shares)
    sub_back = sum(s[3] for s in shares)
    settled = await posted(f"settle:order:{order_id}")
    account = "shop_available" if settled else "shop_pending"
    statement = None
    if settled:
        from app.settlement.services import statement_for

        statement = await statement_for(shop_id=shop, day=None)
    common: dict[str, Any] = {"shop": shop, "order": order_id, "refund": refund_id, "statement": statement}
    await post(
        kind="clawback" if settled else "refund",
        ref=f"refund:{refund_id}",
        legs=[Leg(account, -amount, shop, order_id), Leg("gateway_clearing", amount)],
        **common,
    )
    await post(
        kind="subsidy",
        ref=f"subsidy:refund:{refund_id}",
        legs=[Leg(account, -sub_back, shop, order_id), Leg("subsidy_expense", sub_back)],
        **common,
    )
    await post(
        kind="commission",
        ref=f"commission:refund:{refund_id}",
        legs=[Leg(account, comm_back, shop, order_id), Leg("commission_revenue", -comm_back)],
        **common,
    )
    if settled:
        await cover_from_deposit(shop_id=shop, ref=f"deposit_deduct:refund:{refund_id}", order_no=order["no"])


async def cover_from_deposit(*, shop_id: int, ref: str, order_no: str = "") -> int:
    """With the shop locked: when its available balance is below zero, take the shortfall from its deposit (which
    may go below zero: the shop owes a top-up) and tell the owner. Returns the amount taken."""
    available = await fetchrow(
        "SELECT coalesce(sum(amount_fen), 0) AS n FROM ledger_entry WHERE shop = {} AND account = 'shop_available'",
        shop_id,
    )
    shortfall = -int(available["n"]) if available else 0
    if shortfall <= 0:
        return 0
    txn = await post(
        kind="deposit_deduct",
        ref=ref,
        shop=shop_id,
        legs=[Leg("shop_deposit", -shortfall, shop_id), Leg("shop_available", shortfall, shop_id)],
    )
    if txn is None:
        return 0
    from app.messaging.services import notify

    owners = await fetch("SELECT \"user\" FROM shop_staff WHERE shop = {} AND role = 'owner'", shop_id)
    for owner in owners:
        await notify(
            user_id=int(owner["user"]),
            kind="deposit_deducted",
            title=N_("%(amount)s was taken from your deposit"),
            body=N_(
                "A refund after settlement (order %(no)s) was more than your available balance. "
                "Please top up your deposit."
            ),
            params={"amount": format_fen(shortfall, "en"), "no": order_no},
            link="/seller/finance/deposit",
        )
    log.info("shop %s: %s fen taken from the deposit (%s)", shop_id, shortfall, ref)
    return shortfall
