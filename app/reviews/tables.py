"""Tables of the reviews app (issue 8): one Review per order item (with its follow-up 追评 and the seller's
single reply as columns), helpful votes (one per user) and reports to the platform."""

from __future__ import annotations

from piccolo.columns import JSONB, Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from app.accounts.tables import User
from app.orders.tables import Order, OrderItem
from app.sellers.tables import Shop


class Review(Table, tablename="review"):
    """photos / followup_photos: [{"key", "w", "h"}] of images stored by app/catalog/images.store_image."""

    order_item = ForeignKey(references=OrderItem, null=False, on_delete=OnDelete.cascade, unique=True)
    order = ForeignKey(references=Order, null=False, on_delete=OnDelete.cascade, index=True)
    product = Integer(index=True)
    shop = ForeignKey(references=Shop, null=False, on_delete=OnDelete.cascade, index=True)
    buyer = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade, index=True)
    rating = Integer()
    text = Varchar(length=1000, default="")
    photos = JSONB(default="[]")
    anonymous = Boolean(default=False)
    dsr_description = Integer(default=5)
    dsr_service = Integer(default=5)
    dsr_logistics = Integer(default=5)
    status = Varchar(length=8, default="visible")
    auto = Boolean(default=False)
    followup_text = Varchar(length=1000, default="")
    followup_photos = JSONB(default="[]")
    followup_at = Timestamptz(null=True, default=None)
    seller_reply = Varchar(length=500, default="")
    replied_at = Timestamptz(null=True, default=None)
    replied_by = Integer(null=True, default=None)
    helpful_count = Integer(default=0)
    hidden_reason = Varchar(length=500, default="")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)

    review_valid_rating = Check(
        "rating BETWEEN 1 AND 5 AND dsr_description BETWEEN 1 AND 5 AND dsr_service BETWEEN 1 AND 5 "
        "AND dsr_logistics BETWEEN 1 AND 5"
    )
    review_valid_status = Check("status IN ('visible', 'hidden')")


class ReviewVote(Table, tablename="review_vote"):
    review = ForeignKey(references=Review, null=False, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade)
    created_at = Timestamptz(default=TimestamptzNow())

    review_vote_once = Unique([review, user])


class ReviewReport(Table, tablename="review_report"):
    review = ForeignKey(references=Review, null=False, on_delete=OnDelete.cascade, index=True)
    reporter = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade)
    reason = Varchar(length=500)
    status = Varchar(length=10, default="open", index=True)  # open | hidden | dismissed
    handled_by = Integer(null=True, default=None)
    handled_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())

    review_report_once = Unique([review, reporter])
    review_report_valid_status = Check("status IN ('open', 'hidden', 'dismissed')")
