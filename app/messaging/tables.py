from piccolo.columns import JSONB, ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.accounts.tables import User


class Notification(Table, tablename="notification"):
    """An in-app notice to one user (站内信). title/body are gettext message ids (marked with N_) with
    %(name)s params, translated when shown, so the reader sees them in the language they read in; `kind` lets
    later channels (SMS, e-mail) pick what to forward."""

    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=48)
    title = Varchar(length=200)
    body = Varchar(length=2000, default="")
    params = JSONB(default="{}")
    link = Varchar(length=300, default="")
    read_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
