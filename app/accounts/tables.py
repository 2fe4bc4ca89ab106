from piccolo.columns import Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table


class User(Table, tablename="app_user"):
    """A person with an account. Signs in with an email or a mainland mobile number."""

    email = Varchar(length=254, null=True, default=None, unique=True)
    phone = Varchar(length=20, null=True, default=None, unique=True)
    password_hash = Varchar(length=255)
    display_name = Varchar(length=64, default="")
    locale = Varchar(length=8, default="")  # "" = follow the browser
    status = Varchar(length=16, default="active")  # active | banned
    auth_epoch = Integer(default=0)  # bumped by "log out everywhere": older sessions stop working
    created_at = Timestamptz(default=TimestamptzNow())
    last_login_at = Timestamptz(null=True, default=None)

    has_identifier = Check("email IS NOT NULL OR phone IS NOT NULL")
    valid_status = Check("status IN ('active', 'banned')")


class PlatformRole(Table, tablename="platform_role"):
    """A platform staff role held by a user: admin, moderator, finance, operations."""

    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=16)
    granted_at = Timestamptz(default=TimestamptzNow())

    unique_user_role = Unique([user, role])
    valid_role = Check("role IN ('admin', 'moderator', 'finance', 'operations')")


class Address(Table, tablename="address"):
    """A delivery address in a user's address book (收货地址). Region codes are GB/T 2260 codes from the bundled
    dataset (app/accounts/regions). At most one default per
    user (partial unique index address_one_default, raw migration)."""

    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade, index=True)
    receiver = Varchar(length=20)
    mobile = Varchar(length=11)
    province = Varchar(length=6)
    city = Varchar(length=6)
    district = Varchar(length=12, default="")  # nine-digit town codes where a city has no districts (东莞)
    detail = Varchar(length=120)
    tag = Varchar(length=8, default="")  # "" | home | company
    is_default = Boolean(default=False)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    valid_tag = Check("tag IN ('', 'home', 'company')")
