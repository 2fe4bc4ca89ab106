"""Infrastructure tables: server-side sessions and rate-limit counters (state kept out of process memory)."""

from piccolo.columns import Bytea, Integer, Timestamptz, Varchar
from piccolo.table import Table


class SessionEntry(Table, tablename="session_entry"):
    """One Litestar server-side session (see app/web/session.py)."""

    key = Varchar(length=128, primary_key=True)
    value = Bytea()
    expires_at = Timestamptz(null=True, default=None, index=True)


class RateCounter(Table, tablename="rate_counter"):
    """Hits for one key in one fixed window; `bucket` is '<key>@<window start epoch>'."""

    bucket = Varchar(length=255, primary_key=True)
    hits = Integer(default=0)
    expires_at = Timestamptz(index=True)
