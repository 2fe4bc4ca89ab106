"""Tables of the membership app (issue 7): levels by growth value, the member's profile, the growth and points
ledgers (the points balance is never stored: it is the sum of the ledger), daily check-ins, the points settings
(one row) and the points mall."""

from __future__ import annotations

from piccolo.columns import JSONB, BigInt, Boolean, Date, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from app.accounts.tables import User

POINTS_REASONS = ("order", "checkin", "review", "spend", "refund", "expire", "birthday", "mall", "admin")


class MemberLevel(Table, tablename="member_level"):
    """A level reached at `growth_threshold` growth; higher rank = better (thresholds increase with rank)."""

    rank = Integer(unique=True)
    name_zh = Varchar(length=32)
    name_en = Varchar(length=32)
    growth_threshold = BigInt(default=0)
    extra_discount_pct = Integer(default=0)
    free_shipping = Boolean(default=False)
    points_multiplier_pct = Integer(default=100)  # 100 = 1x, 150 = 1.5x
    active = Boolean(default=True)
    updated_at = Timestamptz(default=TimestamptzNow())

    valid_rank = Check("rank >= 1")
    valid_threshold = Check("growth_threshold >= 0")
    valid_discount = Check("extra_discount_pct BETWEEN 0 AND 100")
    valid_multiplier = Check("points_multiplier_pct BETWEEN 0 AND 1000")


class MemberProfile(Table, tablename="member_profile"):
    """One per member: growth value (the sum of growth_entry, kept here so the level is one read) and the birthday,
    which the member sets once."""

    user = ForeignKey(references=User, null=False, unique=True, on_delete=OnDelete.cascade)
    growth = BigInt(default=0)
    birthday = Date(null=True, default=None)
    last_birthday_gift_year = Integer(default=0)
    expiry_settled_year = Integer(default=0)  # earnings of this year and before have had their expiry written
    created_at = Timestamptz(default=TimestamptzNow())

    valid_growth = Check("growth >= 0")


class GrowthEntry(Table, tablename="growth_entry"):
    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade, index=True)
    delta = BigInt()
    reason = Varchar(length=16)  # order | admin
    ref = Varchar(length=64)
    created_at = Timestamptz(default=TimestamptzNow())

    growth_entry_once = Unique([reason, ref])


class PointsEntry(Table, tablename="points_entry"):
    """The points ledger. Earnings are positive and expire at the end of the year they were earned (Asia/Shanghai);
    spends, mall redemptions, expiries and negative adjustments are negative. (reason, ref) is unique, so anything
    retried (an order credit, a refund, a check-in, a birthday gift) is written once."""

    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade, index=True)
    delta = BigInt()
    reason = Varchar(length=16)
    ref = Varchar(length=64)
    note = Varchar(length=200, default="")  # an admin adjustment's reason
    expires_at = Timestamptz(null=True, default=None)  # earnings only
    created_at = Timestamptz(default=TimestamptzNow())

    points_entry_once = Unique([reason, ref])
    valid_reason = Check(
        "reason IN ('order', 'checkin', 'review', 'spend', 'refund', 'expire', 'birthday', 'mall', 'admin')"
    )
    valid_delta = Check("delta <> 0")
    earnings_expire = Check("(delta > 0) = (expires_at IS NOT NULL)")


class CheckIn(Table, tablename="member_checkin"):
    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade)
    day = Date()  # the day in Asia/Shanghai
    points = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())

    member_checkin_once = Unique([user, day])


class PointsSettings(Table, tablename="points_settings"):
    """A single row (key 'default')."""

    key = Varchar(length=16, unique=True, default="default")
    points_per_yuan = Integer(default=100)  # 100 points = ¥1 when spent
    max_use_pct = Integer(default=20)  # of the payable amount per order
    earn_per_yuan = Integer(default=1)  # points per ¥1 paid for goods of a completed order
    checkin_points = Integer(default=5)
    review_photo_points = Integer(default=20)
    birthday_points = Integer(default=200)
    birthday_coupon_template_id = Integer(null=True, default=None)
    enabled = Boolean(default=True)
    updated_at = Timestamptz(default=TimestamptzNow())

    valid_values = Check(
        "points_per_yuan > 0 AND max_use_pct BETWEEN 0 AND 100 AND earn_per_yuan >= 0 AND checkin_points >= 0 "
        "AND review_photo_points >= 0 AND birthday_points >= 0"
    )


class PointsMallItem(Table, tablename="points_mall_item"):
    """Something points buy: a coupon (granted at once through app/coupons) or a gift the platform ships."""

    title = Varchar(length=80)
    description = Varchar(length=300, default="")
    kind = Varchar(length=8, default="coupon")  # coupon | gift
    coupon_template_id = Integer(null=True, default=None)
    gift_sku_id = Integer(null=True, default=None)
    cost_points = Integer()
    stock = Integer(default=0)
    per_user_limit = Integer(default=1)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())

    valid_kind = Check("kind IN ('coupon', 'gift')")
    valid_cost = Check("cost_points > 0")
    valid_stock = Check("stock >= 0")
    valid_limit = Check("per_user_limit >= 1")


class PointsRedemption(Table, tablename="points_redemption"):
    item = ForeignKey(references=PointsMallItem, null=False, on_delete=OnDelete.restrict, index=True)
    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade, index=True)
    cost_points = Integer()
    status = Varchar(length=16, default="granted")  # granted (coupon given) | pending (gift to ship) | shipped
    user_coupon_id = Integer(null=True, default=None)
    address = JSONB(default="{}")  # a gift's delivery address as it was when redeemed (the default address)
    shipped_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())

    valid_status = Check("status IN ('granted', 'pending', 'shipped')")


TABLES = [
    MemberLevel,
    MemberProfile,
    GrowthEntry,
    PointsEntry,
    CheckIn,
    PointsSettings,
    PointsMallItem,
    PointsRedemption,
]
