"""Reviews (评价/晒单): the buyer reviews a delivered order item once (stars, text, up to 9 photos, anonymous,
shop DSR ratings), may add one follow-up (追评) within FOLLOWUP_DAYS; the seller replies once; anyone signed in
votes "helpful" once; buyers report, moderators hide or restore (audited). Items delivered more than
REVIEW_AUTO_DAYS ago without a review get an automatic 5-star review marked `auto` (sweep)."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from asyncpg.exceptions import UniqueViolationError

from app.catalog.images import store_image, variant_widths
from app.core import clock
from app.core.db import engine, fetch, fetchrow
from app.core.errors import DomainError, NotFound, ValidationFailed
from app.core.i18n import N_
from app.core.principal import Actor
from app.core.storage import get_storage
from app.moderation.sensitive import screen
from app.moderation.services import record_audit
from app.operations.settings import REGISTRY, setting

REVIEW_AUTO_DAYS = REGISTRY["reviews.auto_days"].default  # the default; operators change it at /admin/settings/
FOLLOWUP_DAYS = 90
DSR_DAYS = 180
MAX_PHOTOS = 9
MAX_TEXT = 1000
MAX_REPLY = 500
REVIEWABLE = ("delivered", "completed")
FILTERS = ("all", "photos", "followups", "low")
PAGE_SIZE = 10

REVIEW_NOT_FOUND = N_("Review not found.")
ITEM_NOT_FOUND = N_("Order item not found.")
NOT_DELIVERED = N_("You can review an item once it has been delivered.")
ALREADY_REVIEWED = N_("You have already reviewed this item.")
FOLLOWUP_CLOSED = N_("A follow-up review is possible once, within 90 days of the review.")
SENSITIVE = N_("Your text contains words that are not allowed: %(words)s. Please rephrase it.")
TOO_MANY_PHOTOS = N_("At most 9 photos.")
ALREADY_REPLIED = N_("This review already has a reply.")
REPORT_TWICE = N_("You have already reported this review.")
AUTO_TEXT = N_("The buyer did not leave a review; this positive review was given automatically.")


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


class ReviewError(DomainError):
    code = "review_error"


def _photos(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, str):
        value = json.loads(value)
    return list(value or [])


def _rating(form: dict[str, str], name: str, errors: dict[str, str], msg: str) -> int:
    raw = (form.get(name) or "").strip()
    if raw not in {"1", "2", "3", "4", "5"}:
        errors[name] = msg
        return 0
    return int(raw)


def parse_review(form: dict[str, str]) -> dict[str, Any]:
    """Pure: the posted review form → values, or ValidationFailed with every field error."""
    errors: dict[str, str] = {}
    rating = _rating(form, "rating", errors, N_("Choose 1 to 5 stars."))
    dsr = {
        name: _rating(form, name, errors, N_("Rate from 1 to 5."))
        for name in ("dsr_description", "dsr_service", "dsr_logistics")
    }
    text = (form.get("text") or "").strip()
    if len(text) > MAX_TEXT:
        errors["text"] = N_("At most 1000 characters.")
    if errors:
        raise ValidationFailed(errors)
    return {"rating": rating, "text": text, "anonymous": form.get("anonymous") in ("1", "on", "true"), **dsr}


async def _store_photos(uploads: list[Upload]) -> list[dict[str, Any]]:
    if len(uploads) > MAX_PHOTOS:
        raise ReviewError(TOO_MANY_PHOTOS, field="photos")
    stored = []
    for upload in uploads:
        image = await store_image(upload.data, prefix="r")  # raises ImageRejected (not an image / too large)
        stored.append({"key": image.key, "w": image.width, "h": image.height})
    return stored


async def _screen(*texts: str) -> None:
    result = await screen(*texts)
    if not result.ok:
        raise ReviewError(SENSITIVE, field="text", words="、".join(result.blocked))


async def item_for_buyer(*, buyer_id: int, order_item_id: int) -> dict[str, Any]:
    """The buyer's own order item with its order's state; another buyer's item is not found."""
    row = await fetchrow(
        "SELECT i.id, i.title, i.spec, i.image_key, i.product, o.id AS order_id, o.no AS order_no, o.shop, "
        'o.status, o.delivered_at, o.completed_at FROM order_item i JOIN shop_order o ON o.id = i."order" '
        "WHERE i.id = {} AND o.buyer = {}",
        order_item_id,
        buyer_id,
    )
    if row is None:
        raise NotFound(ITEM_NOT_FOUND)
    return row


async def review_of_item(order_item_id: int) -> dict[str, Any] | None:
    return await fetchrow("SELECT * FROM review WHERE order_item = {}", order_item_id)


def followup_open(review: dict[str, Any], now: datetime) -> bool:
    return (
        not review["auto"]
        and review["followup_at"] is None
        and now - review["created_at"] <= timedelta(days=FOLLOWUP_DAYS)
    )


async def item_action(*, buyer_id: int, order_item_id: int) -> tuple[str, dict[str, Any] | None]:
    """ "review" | "followup" | "" for the buyer's order page."""
    try:
        item = await item_for_buyer(buyer_id=buyer_id, order_item_id=order_item_id)
    except NotFound:
        return "", None
    review = await review_of_item(order_item_id)
    if review is None:
        return ("review" if item["status"] in REVIEWABLE else ""), None
    return ("followup" if followup_open(review, clock.now()) else ""), review


async def _count_rating(*, product_id: int, rating: int, sign: int) -> None:
    """Keep the product's rating_sum / rating_count (search sort, listing, SEO) in step with its visible reviews,
    in the caller's transaction."""
    await fetch(
        "UPDATE product SET rating_sum = rating_sum + {}, rating_count = rating_count + {} WHERE id = {}",
        sign * rating,
        sign,
        product_id,
    )


async def submit_review(*, buyer_id: int, order_item_id: int, form: dict[str, str], uploads: list[Upload]) -> int:
    item = await item_for_buyer(buyer_id=buyer_id, order_item_id=order_item_id)
    if item["status"] not in REVIEWABLE:
        raise ReviewError(NOT_DELIVERED)
    values = parse_review(form)
    await _screen(values["text"])
    if await review_of_item(order_item_id) is not None:
        raise ReviewError(ALREADY_REVIEWED)
    photos = await _store_photos(uploads)
    try:
        async with engine().transaction():
            row = await fetchrow(
                'INSERT INTO review (order_item, "order", product, shop, buyer, rating, text, photos, anonymous, '
                "dsr_description, dsr_service, dsr_logistics, created_at) VALUES "
                "({}, {}, {}, {}, {}, {}, {}, {}::jsonb, {}, {}, {}, {}, {}) RETURNING id",
                order_item_id,
                item["order_id"],
                item["product"],
                item["shop"],
                buyer_id,
                values["rating"],
                values["text"],
                json.dumps(photos),
                values["anonymous"],
                values["dsr_description"],
                values["dsr_service"],
                values["dsr_logistics"],
                clock.now(),
            )
            assert row is not None
            await _count_rating(product_id=item["product"], rating=values["rating"], sign=1)
    except UniqueViolationError as exc:  # a second submit racing the first
        raise ReviewError(ALREADY_REVIEWED) from exc
    assert row is not None
    if photos:
        from app.membership.services import award_review_points

        await award_review_points(user_id=buyer_id, review_id=row["id"])
    return int(row["id"])


async def submit_followup(*, buyer_id: int, order_item_id: int, text: str, uploads: list[Upload]) -> int:
    await item_for_buyer(buyer_id=buyer_id, order_item_id=order_item_id)
    review = await review_of_item(order_item_id)
    if review is None or review["buyer"] != buyer_id:
        raise NotFound(REVIEW_NOT_FOUND)
    text = text.strip()
    if not text:
        raise ValidationFailed({"text": N_("Write your follow-up review.")})
    if len(text) > MAX_TEXT:
        raise ValidationFailed({"text": N_("At most 1000 characters.")})
    if not followup_open(review, clock.now()):
        raise ReviewError(FOLLOWUP_CLOSED)
    await _screen(text)
    photos = await _store_photos(uploads)
    row = await fetchrow(
        "UPDATE review SET followup_text = {}, followup_photos = {}::jsonb, followup_at = {} "
        "WHERE id = {} AND followup_at IS NULL RETURNING id",
        text,
        json.dumps(photos),
        clock.now(),
        review["id"],
    )
    if row is None:
        raise ReviewError(FOLLOWUP_CLOSED)
    return int(review["id"])


# -- reading ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Summary:
    count: int
    average: float  # 0.0 when there is none
    positive_pct: int  # share of 4- and 5-star reviews, rounded
    with_photos: int
    followups: int
    low: int


def summarize(rows: list[dict[str, Any]]) -> Summary:
    """Pure: rating summary over review rows with rating, photos and followup_at."""
    count = len(rows)
    if not count:
        return Summary(0, 0.0, 0, 0, 0, 0)
    total = sum(r["rating"] for r in rows)
    positive = sum(1 for r in rows if r["rating"] >= 4)
    return Summary(
        count=count,
        average=round(total / count, 1),
        positive_pct=round(100 * positive / count),
        with_photos=sum(1 for r in rows if _photos(r["photos"])),
        followups=sum(1 for r in rows if r["followup_at"] is not None),
        low=sum(1 for r in rows if r["rating"] <= 2),
    )


@dataclass(frozen=True)
class Dsr:
    description: float
    service: float
    logistics: float
    count: int


def dsr_average(rows: list[dict[str, Any]]) -> Dsr:
    """Pure: the mean of each DSR score (two decimals), 0 when there are no rows."""
    n = len(rows)
    if not n:
        return Dsr(0.0, 0.0, 0.0, 0)

    def mean(name: str) -> float:
        return round(sum(r[name] for r in rows) / n, 2)

    return Dsr(mean("dsr_description"), mean("dsr_service"), mean("dsr_logistics"), n)


_FILTER_SQL = {
    "all": "",
    "photos": " AND jsonb_array_length(r.photos) > 0",
    "followups": " AND r.followup_at IS NOT NULL",
    "low": " AND r.rating <= 2",
}


async def product_reviews(*, product_id: int, filter: str = "all", page: int = 1) -> tuple[Summary, list[dict]]:  # type: ignore[type-arg]
    base = await fetch(
        "SELECT rating, photos, followup_at FROM review WHERE product = {} AND status = 'visible'", product_id
    )
    where = _FILTER_SQL.get(filter, "")
    rows = await fetch(
        "SELECT r.*, u.display_name FROM review r JOIN app_user u ON u.id = r.buyer "  # noqa: S608 (constant)
        "WHERE r.product = {} AND r.status = 'visible'" + where + " ORDER BY r.created_at DESC, r.id DESC "
        "LIMIT {} OFFSET {}",
        product_id,
        PAGE_SIZE + 1,
        (max(page, 1) - 1) * PAGE_SIZE,
    )
    return summarize(base), [view(r) for r in rows]


def _with_urls(photos: list[dict[str, Any]]) -> list[dict[str, Any]]:
    storage = get_storage()
    return [{**p, "url": storage.url(f"{p['key']}/{variant_widths(p['w'])[-1]}.jpg")} for p in photos]


def view(row: dict[str, Any]) -> dict[str, Any]:
    """A review row for templates: photos decoded, each with the URL of its largest JPEG (the "viewer")."""
    view = dict(row)
    view["photos"] = _with_urls(_photos(row.get("photos")))
    view["followup_photos"] = _with_urls(_photos(row.get("followup_photos")))
    return view


async def shop_dsr(*, shop_id: int) -> tuple[Dsr, Dsr]:
    """The shop's DSR over the last DSR_DAYS, and the same over all shops selling in its main category (the
    category most of its products are in). Auto-positive reviews carry no ratings from a person: left out."""
    since = clock.now() - timedelta(days=DSR_DAYS)
    own = await fetch(
        "SELECT dsr_description, dsr_service, dsr_logistics FROM review WHERE shop = {} AND created_at >= {} "
        "AND NOT auto",
        shop_id,
        since,
    )
    category = await fetch(
        "SELECT dsr_description, dsr_service, dsr_logistics FROM review r WHERE r.created_at >= {} AND NOT r.auto "
        "AND r.product IN (SELECT p.id FROM product p "
        "WHERE p.category IN (SELECT category FROM product WHERE shop = {} GROUP BY category "
        "ORDER BY count(*) DESC LIMIT 1))",
        since,
        shop_id,
    )
    return dsr_average(own), dsr_average(category)


async def my_reviews(*, buyer_id: int) -> list[dict[str, Any]]:
    rows = await fetch(
        "SELECT r.*, i.title, u.display_name FROM review r JOIN order_item i ON i.id = r.order_item "
        "JOIN app_user u ON u.id = r.buyer WHERE r.buyer = {} "
        "ORDER BY r.created_at DESC LIMIT 100",
        buyer_id,
    )
    return [view(r) for r in rows]


async def vote_helpful(*, user_id: int, review_id: int) -> int:
    """Once per user; returns the review's helpful count."""
    async with engine().transaction():
        review = await fetchrow("SELECT id FROM review WHERE id = {} AND status = 'visible'", review_id)
        if review is None:
            raise NotFound(REVIEW_NOT_FOUND)
        added = await fetchrow(
            'INSERT INTO review_vote (review, "user", created_at) VALUES ({}, {}, now()) '
            "ON CONFLICT ON CONSTRAINT review_vote_once DO NOTHING RETURNING id",
            review_id,
            user_id,
        )
        if added:
            row = await fetchrow(
                "UPDATE review SET helpful_count = helpful_count + 1 WHERE id = {} RETURNING helpful_count", review_id
            )
        else:
            row = await fetchrow("SELECT helpful_count FROM review WHERE id = {}", review_id)
    assert row is not None
    return int(row["helpful_count"])


async def voted_ids(*, user_id: int, review_ids: list[int]) -> set[int]:
    if not review_ids:
        return set()
    rows = await fetch(
        'SELECT review FROM review_vote WHERE "user" = {} AND review = ANY({}::bigint[])', user_id, review_ids
    )
    return {int(r["review"]) for r in rows}


async def report(*, user_id: int, review_id: int, reason: str) -> None:
    reason = reason.strip()
    if not reason:
        raise ValidationFailed({"reason": N_("Say why you report this review.")})
    if len(reason) > 500:
        raise ValidationFailed({"reason": N_("At most 500 characters.")})
    if await fetchrow("SELECT id FROM review WHERE id = {} AND status = 'visible'", review_id) is None:
        raise NotFound(REVIEW_NOT_FOUND)
    row = await fetchrow(
        "INSERT INTO review_report (review, reporter, reason, status, created_at) VALUES ({}, {}, {}, 'open', now()) "
        "ON CONFLICT ON CONSTRAINT review_report_once DO NOTHING RETURNING id",
        review_id,
        user_id,
        reason,
    )
    if row is None:
        raise ReviewError(REPORT_TWICE)


# -- seller ----------------------------------------------------------------------------------------------------


async def shop_reviews(*, shop_id: int, unreplied: bool = False) -> list[dict[str, Any]]:
    rows = await fetch(
        "SELECT r.*, i.title, u.display_name FROM review r JOIN order_item i ON i.id = r.order_item "  # noqa: S608
        "JOIN app_user u ON u.id = r.buyer WHERE r.shop = {}"
        + (" AND r.replied_at IS NULL" if unreplied else "")
        + " ORDER BY r.created_at DESC LIMIT 200",
        shop_id,
    )
    return [view(r) for r in rows]


async def reply(*, actor: Actor, shop_id: int, review_id: int, text: str) -> None:
    text = text.strip()
    if not text:
        raise ValidationFailed({"reply": N_("Write your reply.")})
    if len(text) > MAX_REPLY:
        raise ValidationFailed({"reply": N_("At most 500 characters.")})
    await _screen(text)
    async with engine().transaction():
        review = await fetchrow(
            "SELECT id, buyer, replied_at FROM review WHERE id = {} AND shop = {}", review_id, shop_id
        )
        if review is None:
            raise NotFound(REVIEW_NOT_FOUND)
        row = await fetchrow(
            "UPDATE review SET seller_reply = {}, replied_at = {}, replied_by = {} "
            "WHERE id = {} AND replied_at IS NULL RETURNING id",
            text,
            clock.now(),
            actor.user_id,
            review_id,
        )
        if row is None:
            raise ReviewError(ALREADY_REPLIED)
        await record_audit(
            actor=actor, action="review.reply", target_type="review", target_id=review_id, after={"reply": text}
        )
    try:
        from app.messaging.services import notify

        await notify(
            user_id=review["buyer"],
            kind="review_reply",
            title=N_("The seller replied to your review"),
            link="/me/reviews/",
        )
    except Exception:  # a notice is best effort; the reply is committed
        logging.getLogger(__name__).exception("review reply notice failed")


# -- moderation ------------------------------------------------------------------------------------------------


async def report_queue(*, status: str = "open") -> list[dict[str, Any]]:
    rows = await fetch(
        "SELECT rr.id AS report_id, rr.reason AS report_reason, rr.status AS report_status, rr.created_at AS "
        "reported_at, r.*, i.title, u.display_name FROM review_report rr JOIN review r ON r.id = rr.review "
        "JOIN order_item i ON i.id = r.order_item JOIN app_user u ON u.id = r.buyer "
        "WHERE rr.status = {} ORDER BY rr.created_at LIMIT 200",
        status,
    )
    return [view(r) for r in rows]


async def set_visibility(*, actor: Actor, review_id: int, hidden: bool, reason: str) -> None:
    """Hide or restore a review with a reason; closes its open reports; audited in the same transaction."""
    reason = reason.strip()
    if not reason:
        raise ValidationFailed({"reason": N_("Give a reason.")})
    if len(reason) > 500:
        raise ValidationFailed({"reason": N_("At most 500 characters.")})
    new = "hidden" if hidden else "visible"
    async with engine().transaction():
        before = await fetchrow("SELECT status, product, rating FROM review WHERE id = {} FOR UPDATE", review_id)
        if before is None:
            raise NotFound(REVIEW_NOT_FOUND)
        if before["status"] != new:
            await _count_rating(product_id=before["product"], rating=before["rating"], sign=-1 if hidden else 1)
        await fetch(
            "UPDATE review SET status = {}, hidden_reason = {} WHERE id = {}", new, reason if hidden else "", review_id
        )
        await fetch(
            "UPDATE review_report SET status = {}, handled_by = {}, handled_at = {} "
            "WHERE review = {} AND status = 'open'",
            "hidden" if hidden else "dismissed",
            actor.user_id,
            clock.now(),
            review_id,
        )
        await record_audit(
            actor=actor,
            action="review.hide" if hidden else ("review.restore" if before["status"] == "hidden" else "review.keep"),
            target_type="review",
            target_id=review_id,
            before={"status": before["status"]},
            after={"status": new, "reason": reason},
        )


# -- sweep -----------------------------------------------------------------------------------------------------


async def auto_positive(*, limit: int = 500) -> int:
    """Items whose order was delivered more than the reviews.auto_days setting ago and that have no review get a 5-star
    review marked auto. Idempotent: the unique order_item constraint makes a second run add nothing."""
    cutoff = clock.now() - timedelta(days=await setting("reviews.auto_days"))
    async with engine().transaction():
        rows = await fetch(
            'INSERT INTO review (order_item, "order", product, shop, buyer, rating, text, auto, created_at) '
            "SELECT i.id, o.id, i.product, o.shop, o.buyer, 5, '', true, {} FROM order_item i "
            "JOIN shop_order o ON o.id = i.\"order\" WHERE o.status IN ('delivered', 'completed') "
            "AND o.delivered_at IS NOT NULL AND o.delivered_at < {} "
            "AND NOT EXISTS (SELECT 1 FROM review r WHERE r.order_item = i.id) ORDER BY i.id LIMIT {} "
            "ON CONFLICT (order_item) DO NOTHING RETURNING id, product",
            clock.now(),
            cutoff,
            limit,
        )
        per_product: dict[int, int] = {}
        for r in rows:
            per_product[r["product"]] = per_product.get(r["product"], 0) + 1
        for product_id, n in sorted(per_product.items()):
            await fetch(
                "UPDATE product SET rating_sum = rating_sum + {}, rating_count = rating_count + {} WHERE id = {}",
                5 * n,
                n,
                product_id,
            )
    return len(rows)
