from piccolo.columns import ForeignKey, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from app.accounts.tables import User


class Shop(Table, tablename="shop"):
    name = Varchar(length=64, unique=True)
    shop_type = Varchar(length=16, default="individual")  # flagship | authorized | specialty | individual
    status = Varchar(length=16, default="active")  # active | suspended | closed
    created_at = Timestamptz(default=TimestamptzNow())

    valid_status = Check("status IN ('active', 'suspended', 'closed')")


class ShopStaff(Table, tablename="shop_staff"):
    """A user working for a shop in one role: owner, manager, service, warehouse, finance."""

    shop = ForeignKey(references=Shop, null=False, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=16)
    created_at = Timestamptz(default=TimestamptzNow())

    unique_shop_user = Unique([shop, user])
    valid_role = Check("role IN ('owner', 'manager', 'service', 'warehouse', 'finance')")
