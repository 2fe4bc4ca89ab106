"""After-sales use cases (issue 8): the buyer applies, ships a return, cancels or escalates; the seller approves,
rejects, confirms a return; the platform rules on disputes; the sweeps time steps out.

Every use case is one transaction: the request row is locked (FOR UPDATE), the move checked by rules.py, an
AfterSaleEvent written, and a refund (app.payments) requested in the same transaction, sent after commit. Every
query is filtered by the buyer or the shop, so another's request is "not found"."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from app.aftersales import rules
from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.core.errors import DomainError, NotFound, ValidationFailed
from app.core.i18n import N_
from app.core.money import format_fen
from app.core.principal import Actor

# timeouts of the sweeps (days), system settings (app/operations/settings.py) an operator may change:
# aftersales.seller_reply_days: requested and the seller says nothing → approved automatically
# aftersales.buyer_ship_days: approved return not shipped by the buyer → closed
# aftersales.seller_confirm_days: return shipped and the seller never confirms receipt → refunded automatically
# orders.auto_confirm_days: an exchange's replacement shipped and the buyer never confirms → closed


async def days(key: str) -> int:
    from app.operations.settings import setting

    return int(await setting(key))


REASONS = {
    "not_received": N_("Not received"),
    "no_longer_wanted": N_("No longer wanted"),
    "damaged": N_("Damaged or defective"),
    "not_as_described": N_("Not as described"),
    "wrong_item": N_("Wrong item or size"),
    "other": N_("Other"),
}
MAX_NOTE = 500
MAX_STATEMENT = 2000
MAX_PHOTOS = 3
MAX_PHOTO_BYTES = 5 * 1024 * 1024
NOT_AN_IMAGE = N_("This file is not a photo we can read. Use a JPEG, PNG or WebP image.")
IMAGE_TOO_LARGE = N_("The photo is larger than %(mb)s MB.")
TOO_MANY_PHOTOS = N_("At most %(max)s photos.")


class AfterSaleNotFound(NotFound):
    code = "aftersale_not_found"


class AfterSaleError(DomainError):
    code = "aftersale_error"


@dataclass(frozen=True, slots=True)
class ItemAsk:
    """One item of an application: which order item, how many units, and how much (fen) the buyer asks for it."""

    order_item_id: int
    quantity: int | None = None  # None: all the item's units
    amount_fen: int = 0


@dataclass(frozen=True, slots=True)
class ItemAction:
    kind: str  # apply | open
    order_item_id: int
    after_sale_id: int | None = None


# ------------------------------------------------------------------ evidence photos


def _check_photo(data: bytes) -> tuple[bytes, int, int]:
    """Decode and re-encode (uploaded bytes are never stored): the largest JPEG variant."""
    from app.catalog.images import ImageRejected, process

    if len(data) > MAX_PHOTO_BYTES:
        raise AfterSaleError(IMAGE_TOO_LARGE, field="photos", mb=MAX_PHOTO_BYTES // (1024 * 1024))
    try:
        processed = process(data)
    except ImageRejected:
        raise AfterSaleError(NOT_AN_IMAGE, field="photos") from None
    largest = processed.largest
    height = round(processed.height * largest / processed.width) if processed.width else processed.height
    return processed.variants[f"{largest}.jpg"], largest, max(1, height)


async def store_photos(uploads: list[bytes]) -> list[dict[str, Any]]:
    """Check every photo first, then store them privately; returns [{"key", "width", "height"}]."""
    import asyncio
    import secrets

    from app.onboarding.documents import private_storage

    uploads = [u for u in uploads if u]
    if len(uploads) > MAX_PHOTOS:
        raise AfterSaleError(TOO_MANY_PHOTOS, field="photos", max=MAX_PHOTOS)
    checked = [await asyncio.to_thread(_check_photo, data) for data in uploads]
    photos = []
    for blob, width, height in checked:
        key = f"private/aftersales/{secrets.token_hex(16)}.jpg"
        await private_storage().put(key, blob, "image/jpeg")
        photos.append({"key": key, "width": width, "height": height})
    return photos


async def photo(row: Mapping[str, Any], index: int) -> bytes:
    """The index-th evidence photo of a request the caller already proved access to."""
    from app.onboarding.documents import private_storage

    photos = row.get("photos") or []
    data = await private_storage().get(photos[index]["key"]) if 0 <= index < len(photos) else None
    if data is None:
        raise AfterSaleNotFound(N_("After-sales request not found."))
    return data


# ------------------------------------------------------------------ reading


_ITEM_SQL = (
    'SELECT i.id, i."order" AS order_id, i.title, i.spec, i.quantity, i.gross_fen, i.paid_fen, i.adjustments, '
    "i.sku, i.product, i.stock_source, o.buyer, o.shop, o.status AS order_status, o.no AS order_no "
    'FROM order_item i JOIN shop_order o ON o.id = i."order" WHERE i.id = {} AND o.buyer = {}'
)


def _item(row: Mapping[str, Any]) -> dict[str, Any]:
    item = dict(row)
    if isinstance(item.get("adjustments"), str):
        item["adjustments"] = json.loads(item["adjustments"])
    return item


async def _refunded(order_item_id: int) -> int:
    row = await fetchrow(
        "SELECT coalesce(sum(refunded_fen), 0) AS n FROM after_sale_item WHERE order_item = {}", order_item_id
    )
    return int(row["n"]) if row else 0


async def refundable_of(item: Mapping[str, Any]) -> int:
    return rules.refundable_fen(item, [await _refunded(int(item["id"]))])


async def item_action(*, buyer_id: int, order_item_id: int) -> ItemAction | None:
    """What the buyer's order page shows for one item: apply, a link to the open request, or nothing."""
    row = await fetchrow(_ITEM_SQL, order_item_id, buyer_id)
    if row is None or row["order_status"] not in rules.APPLICABLE_ORDER_STATES:
        return None
    open_ = await fetchrow("SELECT after_sale FROM after_sale_item WHERE order_item = {} AND open", order_item_id)
    if open_ is not None:
        return ItemAction("open", order_item_id, int(open_["after_sale"]))
    if await refundable_of(_item(row)) <= 0:
        return None
    return ItemAction("apply", order_item_id)


async def apply_context(*, buyer_id: int, order_item_id: int) -> dict[str, Any]:
    row = await fetchrow(_ITEM_SQL, order_item_id, buyer_id)
    if row is None:
        raise AfterSaleNotFound(N_("Order item not found."))
    item = _item(row)
    item["refundable_fen"] = await refundable_of(item)
    return item


async def order_items_context(*, buyer_id: int, order_id: int) -> list[dict[str, Any]]:
    """The items of the buyer's order a request may cover now: refundable left and no open request."""
    rows = await fetch(
        'SELECT i.id FROM order_item i JOIN shop_order o ON o.id = i."order" WHERE i."order" = {} AND o.buyer = {} '
        "AND NOT EXISTS (SELECT 1 FROM after_sale_item x WHERE x.order_item = i.id AND x.open) ORDER BY i.id",
        order_id,
        buyer_id,
    )
    items = [await apply_context(buyer_id=buyer_id, order_item_id=int(r["id"])) for r in rows]
    return [i for i in items if i["refundable_fen"] > 0]


async def request_items(*, after_sale_id: int) -> list[dict[str, Any]]:
    """A request's items with their titles (the caller already proved access to the request)."""
    return await fetch(
        "SELECT x.order_item, x.quantity, x.amount_fen, x.refunded_fen, x.restocked_qty, i.title, i.spec, "
        "i.quantity AS item_quantity FROM after_sale_item x JOIN order_item i ON i.id = x.order_item "
        "WHERE x.after_sale = {} ORDER BY x.order_item",
        after_sale_id,
    )


_SELECT = (
    "SELECT a.*, i.title, i.spec, i.quantity, i.paid_fen, o.no AS order_no, o.status AS order_status, "
    "s.name AS shop_name, d.id AS dispute_id, "
    "(SELECT count(*) FROM after_sale_item x WHERE x.after_sale = a.id) AS item_count FROM after_sale a "
    'JOIN order_item i ON i.id = a.order_item JOIN shop_order o ON o.id = a."order" '
    "JOIN shop s ON s.id = a.shop LEFT JOIN after_sale_dispute d ON d.after_sale = a.id "
)


def _row(row: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(row)
    for key in ("photos", "return_address"):
        if isinstance(out.get(key), str):
            out[key] = json.loads(out[key])
    return out


async def buyer_requests(*, buyer_id: int, limit: int = 100) -> list[dict[str, Any]]:
    rows = await fetch(_SELECT + "WHERE a.buyer = {} ORDER BY a.id DESC LIMIT {}", buyer_id, limit)
    return [_row(r) for r in rows]


async def buyer_request(*, buyer_id: int, after_sale_id: int) -> dict[str, Any]:
    row = await fetchrow(_SELECT + "WHERE a.id = {} AND a.buyer = {}", after_sale_id, buyer_id)
    if row is None:
        raise AfterSaleNotFound(N_("After-sales request not found."))
    return _row(row)


async def shop_requests(*, shop_id: int, status: str = "", limit: int = 200) -> list[dict[str, Any]]:
    if status:
        rows = await fetch(
            _SELECT + "WHERE a.shop = {} AND a.status = {} ORDER BY a.id DESC LIMIT {}", shop_id, status, limit
        )
    else:
        rows = await fetch(_SELECT + "WHERE a.shop = {} ORDER BY a.id DESC LIMIT {}", shop_id, limit)
    return [_row(r) for r in rows]


async def order_requests(*, shop_id: int, order_id: int) -> list[dict[str, Any]]:
    """This shop's requests on one of its orders (another shop's order: none)."""
    rows = await fetch(_SELECT + 'WHERE a.shop = {} AND a."order" = {} ORDER BY a.id', shop_id, order_id)
    return [_row(r) for r in rows]


async def shop_counts(*, shop_id: int) -> dict[str, int]:
    rows = await fetch("SELECT status, count(*) AS n FROM after_sale WHERE shop = {} GROUP BY status", shop_id)
    return {r["status"]: int(r["n"]) for r in rows}


async def shop_request(*, shop_id: int, after_sale_id: int) -> dict[str, Any]:
    row = await fetchrow(_SELECT + "WHERE a.id = {} AND a.shop = {}", after_sale_id, shop_id)
    if row is None:
        raise AfterSaleNotFound(N_("After-sales request not found."))
    return _row(row)


async def timeline(*, after_sale_id: int) -> list[dict[str, Any]]:
    return await fetch(
        "SELECT from_status, to_status, action, actor_side, note, at FROM after_sale_event "
        "WHERE after_sale = {} ORDER BY id",
        after_sale_id,
    )


async def dispute_of(*, after_sale_id: int) -> dict[str, Any] | None:
    row = await fetchrow("SELECT * FROM after_sale_dispute WHERE after_sale = {}", after_sale_id)
    if row is None:
        return None
    out = dict(row)
    for key in ("buyer_evidence", "seller_evidence"):
        if isinstance(out.get(key), str):
            out[key] = json.loads(out[key])
    return out


async def evidence_photo(*, after_sale_id: int, side: str, index: int) -> bytes:
    """A dispute's evidence photo (side buyer | shop) of a request the caller already proved access to."""
    from app.onboarding.documents import private_storage

    dispute = await dispute_of(after_sale_id=after_sale_id)
    photos = (dispute or {}).get("buyer_evidence" if side == "buyer" else "seller_evidence") or []
    data = await private_storage().get(photos[index]["key"]) if 0 <= index < len(photos) else None
    if data is None or side not in ("buyer", "shop"):
        raise AfterSaleNotFound(N_("After-sales request not found."))
    return data


async def disputes(*, status: str = "open", limit: int = 200) -> list[dict[str, Any]]:
    rows = await fetch(
        _SELECT + "WHERE d.status = {} ORDER BY d.id LIMIT {}",
        status,
        limit,
    )
    return [_row(r) for r in rows]


async def dispute_request(*, after_sale_id: int) -> dict[str, Any]:
    row = await fetchrow(_SELECT + "WHERE a.id = {} AND d.id IS NOT NULL", after_sale_id)
    if row is None:
        raise AfterSaleNotFound(N_("Dispute not found."))
    return _row(row)


# ------------------------------------------------------------------ moving


async def _lock(after_sale_id: int, *, buyer_id: int | None = None, shop_id: int | None = None) -> dict[str, Any]:
    if buyer_id is not None:
        row = await fetchrow(
            "SELECT * FROM after_sale WHERE id = {} AND buyer = {} FOR UPDATE", after_sale_id, buyer_id
        )
    elif shop_id is not None:
        row = await fetchrow("SELECT * FROM after_sale WHERE id = {} AND shop = {} FOR UPDATE", after_sale_id, shop_id)
    else:
        row = await fetchrow("SELECT * FROM after_sale WHERE id = {} FOR UPDATE", after_sale_id)
    if row is None:
        raise AfterSaleNotFound(N_("After-sales request not found."))
    return _row(row)


async def _event(after_sale_id: int, frm: str, to: str, action: str, actor: Actor | None, side: str, note: str) -> None:
    await fetch(
        "INSERT INTO after_sale_event (after_sale, from_status, to_status, action, actor, actor_side, note, at) "
        "VALUES ({}, {}, {}, {}, {}, {}, {}, {})",
        after_sale_id,
        frm,
        to,
        action,
        actor.user_id if actor else None,
        side,
        note[:500],
        clock.now(),
    )


_MOVABLE = frozenset(
    {"status", "updated_at", "deadline_at", "closed_at", "reject_reason", "return_address", "return_carrier",
     "return_tracking", "approved_at", "shipped_at", "received_at", "replacement_carrier", "replacement_tracking",
     "reshipped_at"}
)  # fmt: skip


async def _move(
    row: dict[str, Any],
    to: str,
    *,
    action: str,
    actor: Actor | None,
    side: str,
    note: str = "",
    deadline_days: int | None = None,
    **extra: Any,
) -> None:
    rules.check_transition(row["status"], to, kind=row["kind"])
    now = clock.now()
    values = dict(extra)
    values["status"] = to
    values["updated_at"] = now
    values["deadline_at"] = now + timedelta(days=deadline_days) if deadline_days else None
    if to in rules.FINAL_STATES:
        values["closed_at"] = now
    names = list(values)
    sets = ", ".join(f"{name} = {{}}" if name not in ("return_address",) else f"{name} = {{}}::jsonb" for name in names)
    args = [json.dumps(values[n], ensure_ascii=False) if n == "return_address" else values[n] for n in names]
    assert _MOVABLE.issuperset(names), names  # column names come from this module, never from input
    await fetch(f"UPDATE after_sale SET {sets} WHERE id = {{}}", *args, row["id"])  # noqa: S608
    # the items follow the request: an open request blocks each of its items (after_sale_item_one_open)
    await fetch(
        "UPDATE after_sale_item SET open = {} WHERE after_sale = {} AND open <> {}",
        to in rules.OPEN_STATES,
        row["id"],
        to in rules.OPEN_STATES,
    )
    await _event(row["id"], row["status"], to, action, actor, side, note)
    row.update(values)


async def _audit(actor: Actor, action: str, row: Mapping[str, Any], before: dict[str, Any], after: dict[str, Any]):
    from app.moderation.services import record_audit

    await record_audit(
        actor=actor, action=action, target_type="after_sale", target_id=row["id"], before=before, after=after
    )


async def _notify(row: Mapping[str, Any], kind: str, title: str, body: str = "", **params: Any) -> None:
    from app.messaging.services import notify

    await notify(
        user_id=int(row["buyer"]),
        kind=kind,
        title=title,
        body=body,
        params={"no": row["id"], **params},
        link=f"/me/aftersales/{row['id']}",
    )


async def _notify_shop(row: Mapping[str, Any], kind: str, title: str) -> None:
    """Tell the shop's staff who handle after-sales (owner, manager, service)."""
    from app.messaging.services import notify

    staff = await fetch(
        "SELECT \"user\" FROM shop_staff WHERE shop = {} AND role IN ('owner', 'manager', 'service') ORDER BY id",
        row["shop"],
    )
    for member in staff:
        await notify(user_id=int(member["user"]), kind=kind, title=title, params={"no": row["id"]},
                     link=f"/seller/aftersales/{row['id']}")  # fmt: skip


def _key(after_sale_id: int, order_item_id: int, *, single: bool) -> str:
    """The refund's idempotency key: `aftersale:<id>` for a request of one item (as before requests could cover
    several: settlement allocates it to the request's order_item), `aftersale_item:<id>:<order item id>` for each
    item of a request of several (one refund row per item, so settlement can allocate each to its order item)."""
    return f"aftersale:{after_sale_id}" if single else f"aftersale_item:{after_sale_id}:{order_item_id}"


async def _items(after_sale_id: int) -> list[dict[str, Any]]:
    """A request's item rows with what refundable_fen needs (order_item's id as "id")."""
    rows = await fetch(
        "SELECT x.order_item AS id, x.order_item, x.quantity, x.amount_fen AS asked_fen, x.refunded_fen AS done_fen, "
        "x.restocked_qty, i.gross_fen, i.paid_fen, i.adjustments FROM after_sale_item x "
        "JOIN order_item i ON i.id = x.order_item WHERE x.after_sale = {} ORDER BY x.order_item",
        after_sale_id,
    )
    return [_item(r) for r in rows]


async def _restock(row: dict[str, Any], x: Mapping[str, Any], *, whole: bool) -> None:
    """Give units of one of the request's items back to its SKU (only stock taken from the SKU): the units
    returned, or (whole: refunded in full before shipping) every unit of the item not given back yet; never more
    than the item had, across requests."""
    item = await fetchrow("SELECT sku, quantity, stock_source FROM order_item WHERE id = {}", x["order_item"])
    if item is None or item["stock_source"] != "":
        return
    done = await fetchrow(
        "SELECT coalesce(sum(restocked_qty), 0) AS n FROM after_sale_item WHERE order_item = {}", x["order_item"]
    )
    left = int(item["quantity"]) - int(done["n"] if done else 0)
    qty = left if whole else min(left, int(x["quantity"]) - int(x["restocked_qty"]))
    if qty <= 0:
        return
    await fetch("UPDATE sku SET stock = stock + {} WHERE id = {}", qty, item["sku"])
    await fetch(
        "UPDATE after_sale_item SET restocked_qty = restocked_qty + {} WHERE after_sale = {} AND order_item = {}",
        qty,
        row["id"],
        x["order_item"],
    )
    await fetch("UPDATE after_sale SET restocked_qty = restocked_qty + {} WHERE id = {}", qty, row["id"])


async def _refund(
    row: dict[str, Any],
    amounts: list[tuple[dict[str, Any], int]],
    *,
    reason: str,
    restock: bool,
    actor: Actor | None = None,
) -> int | None:
    """In the caller's transaction: one pending refund per item with an amount (sent after commit:
    schedule_refunds); when asked (a refund before shipping) an item's stock back once it is refunded in full; and
    when every line of the order is now refunded, the order's points back and a still unshipped order cancelled.
    Returns the last refund id (None: nothing)."""
    from app.membership.checkout import refund_order_points
    from app.orders.states import transition
    from app.payments import services as payments

    refund_id = None
    total = 0
    single = len(amounts) == 1
    for x, amount_fen in amounts:
        if amount_fen <= 0:
            continue
        refund_id = await payments.request_refund(
            order_id=int(row["order"]),
            amount_fen=amount_fen,
            reason=reason[:200],
            key=_key(int(row["id"]), int(x["order_item"]), single=single),
        )
        await fetch(
            "UPDATE after_sale_item SET refunded_fen = refunded_fen + {} WHERE after_sale = {} AND order_item = {}",
            amount_fen,
            row["id"],
            x["order_item"],
        )
        total += amount_fen
    if total:
        await fetch("UPDATE after_sale SET refunded_fen = refunded_fen + {} WHERE id = {}", total, row["id"])
        row["refunded_fen"] = int(row.get("refunded_fen") or 0) + total
    if restock:
        for x in await _items(int(row["id"])):
            if await refundable_of(x) == 0:
                await _restock(row, x, whole=True)
    whole = await fetchrow(
        'SELECT (SELECT coalesce(sum(paid_fen), 0) FROM order_item WHERE "order" = {o}) AS paid, '
        '(SELECT coalesce(sum(refunded_fen), 0) FROM after_sale WHERE "order" = {o}) AS refunded, '
        "(SELECT status FROM shop_order WHERE id = {o}) AS status".replace("{o}", "{}"),
        row["order"],
        row["order"],
        row["order"],
    )
    if whole and int(whole["paid"]) > 0 and int(whole["refunded"]) >= int(whole["paid"]):
        await refund_order_points(order_id=int(row["order"]))
        await _release_coupons(int(row["order"]))
        if whole["status"] == "paid":  # nothing left to ship
            await transition(
                order_id=int(row["order"]),
                to="cancelled",
                action="refunded_in_full",
                actor=actor or Actor(user_id=None, label="aftersales"),
                reason=reason[:200],
                expect={"paid"},
                extra={"cancel_reason": reason[:200]},
            )
    return refund_id


async def _release_coupons(order_id: int) -> None:
    """The order is refunded in full: its shop's coupon comes back, and the platform coupon once the whole checkout
    is refunded (app/coupons/checkout.release_order_coupons)."""
    from app.coupons.checkout import release_order_coupons
    from app.orders.services import group_refunded_whole

    await release_order_coupons(order_id=order_id, whole_group=await group_refunded_whole(order_id))


def _after_commit(refund_id: int | None) -> None:
    if refund_id is not None:
        from app.payments import services as payments

        payments.schedule_refunds()


def _text(value: str, limit: int, field: str, *, required: bool = False, message: str = "") -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed({field: message or N_("This field is required.")})
    if len(value) > limit:
        raise ValidationFailed({field: N_("Too long.")})
    return value


# ------------------------------------------------------------------ buyer


async def apply(
    *,
    actor: Actor,
    buyer_id: int,
    order_item_id: int,
    kind: str,
    reason: str,
    amount_fen: int,
    note: str = "",
    photos: list[dict[str, Any]] | None = None,
) -> int:
    """Open a request for one item (all its units) of the buyer's paid order. Returns its id."""
    return await apply_items(
        actor=actor,
        buyer_id=buyer_id,
        items=[ItemAsk(order_item_id, None, amount_fen)],
        kind=kind,
        reason=reason,
        note=note,
        photos=photos,
    )


async def apply_items(
    *,
    actor: Actor,
    buyer_id: int,
    items: list[ItemAsk],
    kind: str,
    reason: str,
    note: str = "",
    photos: list[dict[str, Any]] | None = None,
) -> int:
    """Open one request for one or several items of one of the buyer's paid orders, each with its units and amount
    (never more than the item's refundable amount; an exchange asks for no money). Returns its id."""
    errors: dict[str, str] = {}
    if kind not in rules.KINDS:
        errors["kind"] = N_("Choose what you want.")
    if reason not in REASONS:
        errors["reason"] = N_("Choose a reason.")
    note = (note or "").strip()
    if len(note) > MAX_NOTE:
        errors["note"] = N_("Too long.")
    if not items:
        errors["items"] = N_("Choose at least one item.")
    if errors:
        raise ValidationFailed(errors)
    asks = {a.order_item_id: a for a in items}
    single = len(asks) == 1
    ids = sorted(asks)
    async with engine().transaction():
        # the item rows' locks (in id order) make concurrent applications for the same item take turns (the unique
        # index after_sale_item_one_open is the last guard)
        locked = await fetch("SELECT id FROM order_item WHERE id = ANY({}::int[]) ORDER BY id FOR UPDATE", ids)
        found = []
        for item_id in ids if len(locked) == len(ids) else []:
            row = await fetchrow(_ITEM_SQL, item_id, buyer_id)
            if row is not None:
                found.append(_item(row))
        if len(found) != len(ids):
            raise AfterSaleNotFound(N_("Order item not found."))
        if len({i["order_id"] for i in found}) != 1:
            raise AfterSaleError(N_("One request covers items of one order."), field="items")
        if found[0]["order_status"] not in rules.APPLICABLE_ORDER_STATES:
            raise AfterSaleError(N_("After-sales is not available for this order."))
        busy = await fetchrow("SELECT 1 AS x FROM after_sale_item WHERE order_item = ANY({}::int[]) AND open", ids)
        if busy is not None:
            raise AfterSaleError(N_("An after-sales request for this item is already in progress."))
        rows: list[tuple[int, int, int]] = []  # (order item, quantity, amount)
        for item in found:
            ask = asks[int(item["id"])]
            quantity = int(item["quantity"]) if ask.quantity is None else ask.quantity
            if not 1 <= quantity <= int(item["quantity"]):
                field = "quantity" if single else f"qty-{item['id']}"
                raise AfterSaleError(N_("Choose between 1 and %(max)s."), field=field, max=int(item["quantity"]))
            refundable = await refundable_of(item)
            amount = ask.amount_fen
            if kind == "exchange":
                amount = 0
                if refundable <= 0:
                    raise AfterSaleError(N_("Nothing is left to refund for this item."))
            else:
                try:
                    rules.check_amount(amount, refundable)
                except rules.AmountError as exc:
                    field = "amount" if single else f"amount-{item['id']}"
                    raise rules.AmountError(exc.message, field=field, amount=format_fen(refundable)) from None
            rows.append((int(item["id"]), quantity, amount))
        now = clock.now()
        created = await fetchrow(
            'INSERT INTO after_sale ("order", order_item, buyer, shop, kind, reason, amount_fen, note, photos, status, '
            "deadline_at, created_at, updated_at) VALUES ({}, {}, {}, {}, {}, {}, {}, {}, {}::jsonb, 'requested', {}, "
            "{}, {}) RETURNING *",
            found[0]["order_id"],
            ids[0],
            buyer_id,
            found[0]["shop"],
            kind,
            reason,
            sum(r[2] for r in rows),
            note,
            json.dumps(photos or []),
            now + timedelta(days=await days("aftersales.seller_reply_days")),
            now,
            now,
        )
        assert created is not None
        await fetch(
            "INSERT INTO after_sale_item (after_sale, order_item, quantity, amount_fen, refunded_fen, restocked_qty, "
            "open) SELECT {}, i, q, a, 0, 0, true FROM unnest({}::int[], {}::int[], {}::bigint[]) AS t(i, q, a)",
            created["id"],
            [r[0] for r in rows],
            [r[1] for r in rows],
            [r[2] for r in rows],
        )
        await _event(int(created["id"]), "", "requested", "requested", actor, "buyer", note)
        await _notify_shop(created, "aftersale_requested", N_("New after-sales request %(no)s"))
    return int(created["id"])


def _shipment(carrier: str, tracking_no: str) -> tuple[str, str]:
    """A carrier of the orders app's list and a tracking number, or the form's errors."""
    from app.orders import carrier as carriers

    carrier, tracking_no = (carrier or "").strip(), (tracking_no or "").strip()
    errors: dict[str, str] = {}
    if carrier not in carriers.BY_CODE:
        errors["carrier"] = N_("Choose a carrier.")
    if not tracking_no or len(tracking_no) > 40 or not tracking_no.replace("-", "").isalnum():
        errors["tracking_no"] = N_("Enter the tracking number (letters and digits).")
    if errors:
        raise ValidationFailed(errors)
    return carrier, tracking_no


async def ship_return(*, actor: Actor, buyer_id: int, after_sale_id: int, carrier: str, tracking_no: str) -> None:
    carrier, tracking_no = _shipment(carrier, tracking_no)
    confirm_days = await days("aftersales.seller_confirm_days")
    async with engine().transaction():
        row = await _lock(after_sale_id, buyer_id=buyer_id)
        await _move(
            row,
            "buyer_shipped",
            action="shipped",
            actor=actor,
            side="buyer",
            note=f"{carrier} {tracking_no}",  # the timeline shows the carrier's name from the code
            deadline_days=confirm_days,
            return_carrier=carrier,
            return_tracking=tracking_no,
            shipped_at=clock.now(),
        )
        await _notify_shop(row, "aftersale_return_shipped", N_("After-sales request %(no)s: the return was shipped"))


async def confirm_replacement(*, actor: Actor, buyer_id: int, after_sale_id: int) -> None:
    """The buyer has the exchange's replacement: the request closes (no refund for an exchange)."""
    async with engine().transaction():
        row = await _lock(after_sale_id, buyer_id=buyer_id)
        await _move(row, "closed", action="exchange_received", actor=actor, side="buyer")
        await _notify_shop(
            row, "aftersale_closed", N_("After-sales request %(no)s: the buyer received the replacement")
        )


async def cancel(*, actor: Actor, buyer_id: int, after_sale_id: int) -> None:
    async with engine().transaction():
        row = await _lock(after_sale_id, buyer_id=buyer_id)
        if row["status"] not in ("requested", "approved", "rejected"):
            raise rules.IllegalAfterSaleTransition(N_("This after-sales request can no longer be cancelled."))
        await _move(row, "closed", action="cancelled", actor=actor, side="buyer")


async def escalate(
    *, actor: Actor, buyer_id: int, after_sale_id: int, statement: str, evidence: list[dict[str, Any]] | None = None
) -> None:
    statement = _text(
        statement, MAX_STATEMENT, "statement", required=True, message=N_("Tell the platform what happened.")
    )
    async with engine().transaction():
        # the same lock order as apply: the items (in id order), then the request
        await fetch(
            "SELECT i.id FROM order_item i JOIN after_sale_item x ON x.order_item = i.id "
            "JOIN after_sale a ON a.id = x.after_sale WHERE a.id = {} AND a.buyer = {} ORDER BY i.id FOR UPDATE OF i",
            after_sale_id,
            buyer_id,
        )
        row = await _lock(after_sale_id, buyer_id=buyer_id)
        if row["status"] == "rejected":
            busy = await fetchrow(
                "SELECT 1 AS x FROM after_sale_item WHERE open AND after_sale <> {} AND order_item IN "
                "(SELECT order_item FROM after_sale_item WHERE after_sale = {})",
                row["id"],
                row["id"],
            )
            if busy:
                raise AfterSaleError(N_("An after-sales request for this item is already in progress."))
        await _move(row, "escalated", action="escalated", actor=actor, side="buyer", note=statement)
        await fetch(
            "INSERT INTO after_sale_dispute (after_sale, buyer_statement, buyer_evidence, seller_statement, "
            "seller_evidence, status, ruling, ruling_reason, amount_fen, created_at) "
            "VALUES ({}, {}, {}::jsonb, '', '[]'::jsonb, 'open', '', '', 0, {})",
            row["id"],
            statement,
            json.dumps(evidence or []),
            clock.now(),
        )
        await _notify_shop(row, "aftersale_escalated", N_("After-sales request %(no)s: the buyer asked the platform"))


# ------------------------------------------------------------------ seller


def _address(value: Mapping[str, str]) -> dict[str, str]:
    name = (value.get("name") or "").strip()
    phone = (value.get("phone") or "").strip()
    address = (value.get("address") or "").strip()
    errors: dict[str, str] = {}
    if not name or len(name) > 40:
        errors["return_name"] = N_("Enter the receiver's name.")
    if not phone or len(phone) > 20:
        errors["return_phone"] = N_("Enter a phone number.")
    if not address or len(address) > 200:
        errors["return_address"] = N_("Enter the return address.")
    if errors:
        raise ValidationFailed(errors)
    return {"name": name, "phone": phone, "address": address}


async def approve(
    *, actor: Actor, shop_id: int, after_sale_id: int, return_address: Mapping[str, str] | None = None
) -> None:
    refund_id = None
    ship_days = await days("aftersales.buyer_ship_days")
    async with engine().transaction():
        row = await _lock(after_sale_id, shop_id=shop_id)
        if row["status"] != "requested":
            rules.check_transition(row["status"], "approved")
        if rules.needs_return(row["kind"]):
            address = _address(return_address or {})
            await _move(
                row, "approved", action="approved", actor=actor, side="shop",
                deadline_days=ship_days, return_address=address, approved_at=clock.now(),
            )  # fmt: skip
        else:
            await _move(row, "approved", action="approved", actor=actor, side="shop", approved_at=clock.now())
            refund_id = await _refund_only(row, actor=actor, side="shop")
        await _audit(actor, "aftersale.approve", row, {"status": "requested"}, {"status": row["status"]})
        await _notify(
            row,
            "aftersale_approved",
            N_("After-sales request %(no)s approved"),
            N_("Ship the item back to the address shown.") if rules.needs_return(row["kind"]) else "",
        )
    _after_commit(refund_id)


async def _refund_only(row: dict[str, Any], *, actor: Actor | None, side: str) -> int | None:
    """approved → refunded for a refund-only request: the money, and the stock when the order never shipped."""
    order = await fetchrow("SELECT status FROM shop_order WHERE id = {}", row["order"])
    refund_id = await _refund(
        row,
        await _capped(row),
        reason=REASONS.get(row["reason"], ""),
        restock=bool(order and order["status"] == "paid"),
        actor=actor,
    )
    await _move(row, "refunded", action="refunded", actor=actor, side=side, note=format_fen(int(row["refunded_fen"])))
    return refund_id


async def _capped(row: Mapping[str, Any]) -> list[tuple[dict[str, Any], int]]:
    """Per item, the asked amount, never more than still refundable (another request may have refunded meanwhile)."""
    return [(x, min(int(x["asked_fen"]), await refundable_of(x))) for x in await _items(int(row["id"]))]


async def reject(*, actor: Actor, shop_id: int, after_sale_id: int, reason: str) -> None:
    reason = _text(reason, MAX_NOTE, "reason", required=True, message=N_("Tell the buyer why."))
    async with engine().transaction():
        row = await _lock(after_sale_id, shop_id=shop_id)
        await _move(row, "rejected", action="rejected", actor=actor, side="shop", note=reason, reject_reason=reason)
        await _audit(actor, "aftersale.reject", row, {"status": "requested"}, {"status": "rejected", "reason": reason})
        await _notify(
            row,
            "aftersale_rejected",
            N_("After-sales request %(no)s rejected"),
            N_("Reason: %(reason)s. You can ask the platform to step in."),
            reason=reason,
        )


async def confirm_received(*, actor: Actor, shop_id: int, after_sale_id: int) -> None:
    """The return arrived: stock back, then the refund (an exchange waits for the replacement's shipment)."""
    async with engine().transaction():
        row = await _lock(after_sale_id, shop_id=shop_id)
        refund_id = await receive(row, actor=actor)
        await _audit(actor, "aftersale.received", row, {"status": "buyer_shipped"}, {"status": row["status"]})
    _after_commit(refund_id)


async def receive(row: dict[str, Any], *, actor: Actor | None) -> int | None:
    """In the caller's transaction, the row locked: buyer_shipped → received → refunded; an exchange stays received
    until the seller ships the replacement, and its stock is untouched (the unit that came back replaces the one
    going out). Returns the refund id: call _after_commit with it after commit."""
    side = "shop" if actor is not None else "system"
    refund_id = None
    await _move(row, "received", action="received", actor=actor, side=side, received_at=clock.now())
    if row["kind"] == "exchange":
        await _notify(row, "aftersale_received", N_("After-sales request %(no)s: the return was received"),
                      N_("The shop will send the replacement."))  # fmt: skip
        return None
    for x in await _items(int(row["id"])):
        await _restock(row, x, whole=False)
    refund_id = await _refund(row, await _capped(row), reason=REASONS.get(row["reason"], ""), restock=False,
                              actor=actor)  # fmt: skip
    await _move(row, "refunded", action="refunded", actor=actor, side=side, note=format_fen(int(row["refunded_fen"])))
    await _notify(row, "aftersale_refunded", N_("After-sales request %(no)s: the return was received"),
                  N_("Your refund is on its way.") if refund_id else "")  # fmt: skip
    return refund_id


async def ship_replacement(*, actor: Actor, shop_id: int, after_sale_id: int, carrier: str, tracking_no: str) -> None:
    """An exchange whose return arrived: the seller ships the replacement (carrier and tracking number); the buyer
    confirms receipt, or the request closes after the order auto-confirm period (sweep)."""
    carrier, tracking_no = _shipment(carrier, tracking_no)
    confirm_days = await days("orders.auto_confirm_days")
    async with engine().transaction():
        row = await _lock(after_sale_id, shop_id=shop_id)
        await _move(
            row,
            "reshipped",
            action="reshipped",
            actor=actor,
            side="shop",
            note=f"{carrier} {tracking_no}",
            deadline_days=confirm_days,
            replacement_carrier=carrier,
            replacement_tracking=tracking_no,
            reshipped_at=clock.now(),
        )
        await _audit(actor, "aftersale.reshipped", row, {"status": "received"},
                     {"status": "reshipped", "carrier": carrier, "tracking_no": tracking_no})  # fmt: skip
        await _notify(row, "aftersale_reshipped", N_("After-sales request %(no)s: the replacement was shipped"),
                      N_("Confirm when you have received it."))  # fmt: skip


async def seller_statement(
    *, actor: Actor, shop_id: int, after_sale_id: int, statement: str, evidence: list[dict[str, Any]] | None = None
) -> None:
    statement = _text(statement, MAX_STATEMENT, "statement", required=True, message=N_("Write your statement."))
    async with engine().transaction():
        row = await _lock(after_sale_id, shop_id=shop_id)
        if row["status"] != "escalated":
            raise AfterSaleError(N_("The platform is not reviewing this request."))
        await fetch(
            "UPDATE after_sale_dispute SET seller_statement = {}, "
            "seller_evidence = CASE WHEN {}::jsonb = '[]'::jsonb THEN seller_evidence ELSE {}::jsonb END "
            "WHERE after_sale = {} AND status = 'open'",
            statement,
            json.dumps(evidence or []),
            json.dumps(evidence or []),
            row["id"],
        )
        await _event(row["id"], "escalated", "escalated", "seller_statement", actor, "shop", statement)
        await _audit(actor, "aftersale.seller_statement", row, {}, {"statement": statement})


# ------------------------------------------------------------------ platform


async def rule(*, actor: Actor, after_sale_id: int, ruling: str, amount_fen: int | None, reason: str) -> None:
    """The platform's ruling on an escalated request: refund in full, in part, or reject. Audited. Over several
    items, a partial refund fills the items in order, each up to what is still refundable for it."""
    reason = _text(reason, MAX_NOTE, "reason", required=True, message=N_("Give the reason for the ruling."))
    if ruling not in rules.RULINGS:
        raise ValidationFailed({"ruling": N_("Choose a ruling.")})
    refund_id = None
    async with engine().transaction():
        row = await _lock(after_sale_id)
        order = await fetchrow("SELECT status FROM shop_order WHERE id = {}", row["order"])
        items = await _items(int(row["id"]))
        caps = [await refundable_of(x) for x in items]
        refundable = sum(caps)
        try:
            amount = rules.ruling_amount(ruling, requested_fen=int(row["amount_fen"]), partial_fen=amount_fen,
                                         refundable=refundable)  # fmt: skip
        except rules.AmountError as exc:
            raise rules.AmountError(exc.message, field="amount", amount=format_fen(refundable)) from None
        await _move(row, "arbitrated", action=f"ruled_{ruling}", actor=actor, side="platform", note=reason)
        if amount > 0:
            shares = list(zip(items, rules.split_amount(amount, caps), strict=True))
            refund_id = await _refund(row, shares, reason=reason, restock=bool(order and order["status"] == "paid"),
                                      actor=actor)  # fmt: skip
        await fetch(
            "UPDATE after_sale_dispute SET status = 'ruled', ruling = {}, ruling_reason = {}, ruled_by = {}, "
            "amount_fen = {}, ruled_at = {} WHERE after_sale = {}",
            ruling,
            reason,
            actor.user_id,
            amount,
            clock.now(),
            row["id"],
        )
        await _audit(actor, "aftersale.rule", row, {"status": "escalated"},
                     {"ruling": ruling, "amount_fen": amount, "reason": reason, "refund": refund_id})  # fmt: skip
        await _notify(
            row,
            "aftersale_ruled",
            N_("The platform has ruled on after-sales request %(no)s"),
            N_("Ruling: %(ruling)s. %(reason)s"),
            ruling=RULING_LABELS[ruling],
            reason=reason,
        )
    _after_commit(refund_id)


RULING_LABELS = {
    "refund_full": N_("Refund in full"),
    "refund_partial": N_("Refund in part"),
    "rejected": N_("Request rejected"),
}
