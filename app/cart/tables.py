"""Carts live in PostgreSQL (stateless web processes): a signed-in shopper's cart, or an anonymous one found by the
`cart` cookie's token, merged into the account at login."""

from piccolo.columns import Boolean, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from app.accounts.tables import User
from app.catalog.tables import Sku

MAX_QUANTITY = 999  # per line; checkout also stops at the SKU's stock


class Cart(Table, tablename="cart"):
    user = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.cascade, unique=True)
    token = Varchar(length=43, null=True, default=None, unique=True)  # the anonymous visitor's cookie value
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow(), index=True)  # anonymous carts idle for long are swept

    one_owner = Check('("user" IS NULL) <> (token IS NULL)')


class CartItem(Table, tablename="cart_item"):
    cart = ForeignKey(references=Cart, null=False, on_delete=OnDelete.cascade, index=True)
    sku = ForeignKey(references=Sku, null=False, on_delete=OnDelete.cascade, index=True)
    quantity = Integer(default=1)
    selected = Boolean(default=True)
    added_at = Timestamptz(default=TimestamptzNow())

    unique_sku = Unique([cart, sku])
    valid_quantity = Check("quantity BETWEEN 1 AND 999")
