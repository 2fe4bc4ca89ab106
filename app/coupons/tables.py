"""Tables of the coupons app (issue 7): a CouponTemplate is what the platform or a shop offers; a UserCoupon is
one claimed copy in a shopper's wallet. Claiming is race-safe: `claimed_count` is raised with one conditional
UPDATE (CHECK claimed_count <= total_quantity as the last guard), which also serialises the per-user count of
concurrent claims of the same template (see app/coupons/services.claim)."""

from __future__ import annotations

from piccolo.columns import Array, BigInt, Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check
from piccolo.table import Table

from app.accounts.tables import User
from app.orders.tables import OrderGroup
from app.sellers.tables import Shop

ISSUERS = ("platform", "shop")
KINDS = ("amount_off", "threshold", "percent_off")
SCOPES = ("all", "categories", "shops", "products")
TEMPLATE_STATES = ("draft", "active", "paused", "ended")
COUPON_STATES = ("unused", "used", "expired")


class CouponTemplate(Table, tablename="coupon_template"):
    """amount_off: amount_fen off; threshold (满减): amount_fen off from threshold_fen; percent_off: `percent` % off,
    at most cap_fen. min_spend_fen applies to every kind. The use window is fixed (use_start_at..use_end_at) or
    `use_days` days from claiming. `redeem_code` (stored upper-case): claimable only by typing the code."""

    issuer = Varchar(length=8, default="shop")
    shop = ForeignKey(references=Shop, null=True, default=None, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=40)
    kind = Varchar(length=12, default="threshold")
    amount_fen = BigInt(default=0)
    threshold_fen = BigInt(default=0)
    percent = Integer(default=0)  # % off, 1-99 (percent_off)
    cap_fen = BigInt(null=True, default=None)  # percent_off: the most it takes off
    min_spend_fen = BigInt(default=0)
    scope = Varchar(length=12, default="all")
    scope_ids = Array(base_column=Integer(), default=list)
    claim_start_at = Timestamptz()
    claim_end_at = Timestamptz()
    use_start_at = Timestamptz(null=True, default=None)
    use_end_at = Timestamptz(null=True, default=None)
    use_days = Integer(null=True, default=None)
    total_quantity = Integer(default=0)
    claimed_count = Integer(default=0)
    per_user_limit = Integer(default=1)
    new_user_only = Boolean(default=False)
    redeem_code = Varchar(length=32, null=True, default=None, unique=True)
    welcome_pack = Boolean(default=False)
    status = Varchar(length=8, default="draft", index=True)
    created_by = Integer(null=True, default=None)  # app_user.id
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    coupon_valid_issuer = Check("(issuer = 'platform' AND shop IS NULL) OR (issuer = 'shop' AND shop IS NOT NULL)")
    coupon_valid_kind = Check("kind IN ('amount_off', 'threshold', 'percent_off')")
    coupon_valid_scope = Check("scope IN ('all', 'categories', 'shops', 'products')")
    coupon_valid_status = Check("status IN ('draft', 'active', 'paused', 'ended')")
    coupon_valid_money = Check(
        "amount_fen >= 0 AND threshold_fen >= 0 AND min_spend_fen >= 0 AND (cap_fen IS NULL OR cap_fen > 0) "
        "AND percent BETWEEN 0 AND 99"
    )
    coupon_valid_quantity = Check("claimed_count >= 0 AND claimed_count <= total_quantity AND per_user_limit >= 1")
    coupon_valid_use_window = Check(
        "(use_days IS NOT NULL AND use_days > 0) OR (use_start_at IS NOT NULL AND use_end_at IS NOT NULL)"
    )


class UserCoupon(Table, tablename="user_coupon"):
    template = ForeignKey(references=CouponTemplate, null=False, on_delete=OnDelete.restrict)
    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade)
    status = Varchar(length=8, default="unused")
    claimed_at = Timestamptz()
    valid_from = Timestamptz()
    valid_until = Timestamptz()
    used_group = ForeignKey(references=OrderGroup, null=True, default=None, on_delete=OnDelete.set_null)
    used_at = Timestamptz(null=True, default=None)

    user_coupon_valid_status = Check("status IN ('unused', 'used', 'expired')")
    user_coupon_valid_use = Check("status <> 'used' OR used_at IS NOT NULL")


TABLES = [CouponTemplate, UserCoupon]
