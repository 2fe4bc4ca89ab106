"""Tables of the operations app (issue 9): stored system settings, password-reset tokens."""

from __future__ import annotations

from piccolo.columns import ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table

from app.accounts.tables import User


class SystemSetting(Table, tablename="system_setting"):
    """An operator's value for a key of app/operations/settings.py REGISTRY (absent = the default applies).
    A trigger sends NOTIFY 'settings' at commit so every process drops its cached values."""

    key = Varchar(length=64, unique=True)
    value = Integer()
    updated_at = Timestamptz(default=TimestamptzNow())
    updated_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)


class PasswordReset(Table, tablename="password_reset"):
    """A one-time password-reset link issued by an admin: only the SHA-256 of the token is kept; valid until
    expires_at and used_at stays empty."""

    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade, index=True)
    token_hash = Varchar(length=64, unique=True)
    created_at = Timestamptz(default=TimestamptzNow())
    expires_at = Timestamptz()
    used_at = Timestamptz(null=True, default=None)
    issued_by = ForeignKey(references=User, null=True, on_delete=OnDelete.set_null)
