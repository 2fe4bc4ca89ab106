"""Tables of the assessment app (issue 9): the admin's weights (every change a new row: history for free),
the daily score snapshot per shop, and the measures (rewards and sanctions) applied to shops."""

from __future__ import annotations

from piccolo.columns import JSONB, Date, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from app.sellers.tables import Shop


class AssessmentWeights(Table, tablename="assessment_weights"):
    """The current weights are the newest row; none yet: rules.DEFAULT_WEIGHTS. Each sums to 100."""

    sales = Integer()
    dsr = Integer()
    refund = Integer()
    dispute = Integer()
    response = Integer()
    violation = Integer()
    changed_by = Integer(null=True, default=None)  # app_user.id
    created_at = Timestamptz(default=TimestamptzNow())

    assessment_weights_sum = Check(
        "sales + dsr + refund + dispute + response + violation = 100 AND "
        "least(sales, dsr, refund, dispute, response, violation) >= 0"
    )


class ShopScore(Table, tablename="shop_score"):
    """One shop's score on one day (Asia/Shanghai): written once by the daily sweep (ON CONFLICT DO NOTHING),
    so the sweep is safe to run twice or concurrently; an operator's "recompute today" replaces the day's rows.
    components: {"sales": {"sub": 0-100, "weight": n, "value": ..., "neutral": bool}, ...};
    metrics: the raw numbers the sub-scores came from (GMV, refund amounts, counts...)."""

    shop = ForeignKey(references=Shop, null=False, on_delete=OnDelete.cascade, index=True)
    day = Date(index=True)
    score = Integer()
    rank = Integer(default=0)
    components = JSONB(default="{}")
    metrics = JSONB(default="{}")
    computed_at = Timestamptz(default=TimestamptzNow())

    shop_score_one_per_day = Unique([shop, day])
    shop_score_range = Check("score BETWEEN 0 AND 100")


class ShopMeasure(Table, tablename="shop_measure"):
    """A reward or a sanction on one shop.

    kind: boost (traffic boost: a ranking bonus > 0 until ends_at) | badge ("recommended shop" until ends_at) |
    rectification (整改 notice with a deadline: ends_at) | demotion (降权: a bonus < 0 until ends_at) |
    suspension (the shop is suspended through app/onboarding/shops.change_shop_status).
    status: proposed (by the sweep: a person confirms) | active | resolved (rectification done) |
    escalated (rectification overdue) | expired | revoked | dismissed (a proposal turned down)."""

    shop = ForeignKey(references=Shop, null=False, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=16)
    status = Varchar(length=12, default="active", index=True)
    bonus = Integer(default=0)  # ranking bonus in hundredths of a relevance point (search adds bonus / 100)
    reason = Varchar(length=500, default="")
    ends_at = Timestamptz(null=True, default=None)  # boost/badge/demotion expiry; rectification deadline
    proposed_day = Date(null=True, default=None)  # set on the sweep's proposals (one per shop and day)
    created_by = Integer(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())
    closed_at = Timestamptz(null=True, default=None)
    closed_by = Integer(null=True, default=None)
    note = Varchar(length=500, default="")  # the shop's answer to a rectification / the closing note

    shop_measure_valid_kind = Check("kind IN ('boost', 'badge', 'rectification', 'demotion', 'suspension')")
    shop_measure_valid_status = Check(
        "status IN ('proposed', 'active', 'resolved', 'escalated', 'expired', 'revoked', 'dismissed')"
    )
    shop_measure_bonus_range = Check("bonus BETWEEN -100 AND 100")
