from piccolo.columns import JSONB, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check
from piccolo.table import Table

from app.accounts.tables import User
from app.catalog.tables import Product


class AuditLog(Table, tablename="audit_log"):
    """One admin or seller state change: who, what, on which row, before and after, from where, when."""

    actor = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null, index=True)
    actor_label = Varchar(length=255, default="")
    action = Varchar(length=64, index=True)
    target_type = Varchar(length=64)
    target_id = Varchar(length=64)
    before = JSONB(null=True, default=None)
    after = JSONB(null=True, default=None)
    ip = Varchar(length=45, null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class SensitiveWord(Table, tablename="sensitive_word"):
    """Admin-managed word list: `block` refuses the text with a message, `flag` lets it through to a
    moderator's queue marked for attention."""

    word = Varchar(length=64, unique=True)
    level = Varchar(length=8, default="block")
    created_at = Timestamptz(default=TimestamptzNow())

    valid_level = Check("level IN ('block', 'flag')")


class ProductRevision(Table, tablename="product_revision"):
    """What a moderator approved: a plain snapshot of the product, its SKUs and images (see
    app.moderation.review_services.product_snapshot). The next review diffs against the latest one."""

    product = ForeignKey(references=Product, null=False, on_delete=OnDelete.cascade, index=True)
    snapshot = JSONB(default="{}")
    approved_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    approved_at = Timestamptz(default=TimestamptzNow(), index=True)
