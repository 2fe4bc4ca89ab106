"""Tables of the flash app (issue 7): the platform's sessions (秒杀场次), the SKUs sellers nominate for them with
their own flash stock, and each buyer's count per item (the per-user limit, held by one row and one statement).

Stock: when the admin approves an item, its flash stock leaves the SKU's stock (one conditional UPDATE); flash
orders then take only `flash_stock`. After the session ends (or is cancelled) a sweep gives what is left back to the
SKU once (`returned`). Always: initial flash stock = flash_stock + sold + returned_qty."""

from piccolo.columns import BigInt, Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from app.accounts.tables import User
from app.catalog.tables import Product, Sku
from app.sellers.tables import Shop

SESSION_STATES = ("scheduled", "cancelled")
ITEM_STATES = ("nominated", "approved", "rejected", "withdrawn")


class FlashSession(Table, tablename="flash_session"):
    """A time slot the platform runs (e.g. 10:00-12:00). Running = scheduled and starts_at <= now < ends_at."""

    title = Varchar(length=60)
    starts_at = Timestamptz(index=True)
    ends_at = Timestamptz(index=True)
    status = Varchar(length=16, default="scheduled")
    created_at = Timestamptz(default=TimestamptzNow())

    flash_session_valid_status = Check("status IN ('scheduled', 'cancelled')")
    flash_session_valid_window = Check("ends_at > starts_at")


class FlashItem(Table, tablename="flash_item"):
    session = ForeignKey(references=FlashSession, null=False, on_delete=OnDelete.cascade, index=True)
    shop = ForeignKey(references=Shop, null=False, on_delete=OnDelete.cascade, index=True)
    product = ForeignKey(references=Product, null=False, on_delete=OnDelete.cascade, index=True)
    sku = ForeignKey(references=Sku, null=False, on_delete=OnDelete.cascade, index=True)
    flash_price_fen = BigInt()
    flash_stock = Integer(default=0)  # what is left to sell (moved out of the SKU at approval)
    sold = Integer(default=0)  # taken by orders not cancelled
    returned_qty = Integer(default=0)  # given back to the SKU by the end-of-session sweep
    per_user_limit = Integer(default=1)
    status = Varchar(length=16, default="nominated", index=True)
    reviewed_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    reviewed_at = Timestamptz(null=True, default=None)
    reason = Varchar(length=200, default="")  # why it was rejected
    stock_reserved = Boolean(default=False)  # the flash stock has left the SKU's stock
    returned = Boolean(default=False)  # the unsold flash stock went back to the SKU (once)
    created_at = Timestamptz(default=TimestamptzNow())

    flash_item_valid_status = Check("status IN ('nominated', 'approved', 'rejected', 'withdrawn')")
    flash_item_valid_stock = Check("flash_stock >= 0 AND sold >= 0 AND returned_qty >= 0")
    flash_item_valid_limit = Check("per_user_limit >= 1")
    flash_item_valid_price = Check("flash_price_fen > 0")


class FlashPurchase(Table, tablename="flash_purchase"):
    """How many units of an item a buyer holds in orders not cancelled: the per-user limit's one row."""

    item = ForeignKey(references=FlashItem, null=False, on_delete=OnDelete.cascade)
    buyer = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade, index=True)
    quantity = Integer(default=0)

    flash_purchase_item_buyer = Unique([item, buyer])
    flash_purchase_valid_quantity = Check("quantity >= 0")
