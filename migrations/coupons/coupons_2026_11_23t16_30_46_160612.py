from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import Array
from piccolo.columns.column_types import BigInt
from piccolo.columns.column_types import Boolean
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import Serial
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Check
from piccolo.table import Table


class CouponTemplate(Table, tablename="coupon_template", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


class OrderGroup(Table, tablename="order_group", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


class Shop(Table, tablename="shop", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


class User(Table, tablename="app_user", schema=None):
    id = Serial(
        null=False,
        primary_key=True,
        unique=False,
        index=False,
        index_method=IndexMethod.btree,
        choices=None,
        db_column_name="id",
        secret=False,
    )


ID = "2026-11-23T16:30:46:160612"
VERSION = "1.38.0"
DESCRIPTION = "coupon_tables"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="coupons", description=DESCRIPTION
    )

    manager.add_table(
        class_name="CouponTemplate",
        tablename="coupon_template",
        schema=None,
        columns=None,
    )

    manager.add_table(
        class_name="UserCoupon",
        tablename="user_coupon",
        schema=None,
        columns=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="issuer",
        db_column_name="issuer",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 8,
            "default": "shop",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="shop",
        db_column_name="shop",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Shop,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="name",
        db_column_name="name",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 40,
            "default": "",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="kind",
        db_column_name="kind",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 12,
            "default": "threshold",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="amount_fen",
        db_column_name="amount_fen",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="threshold_fen",
        db_column_name="threshold_fen",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="percent",
        db_column_name="percent",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="cap_fen",
        db_column_name="cap_fen",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="min_spend_fen",
        db_column_name="min_spend_fen",
        column_class_name="BigInt",
        column_class=BigInt,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="scope",
        db_column_name="scope",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 12,
            "default": "all",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="scope_ids",
        db_column_name="scope_ids",
        column_class_name="Array",
        column_class=Array,
        params={
            "default": list,
            "base_column": Integer(
                default=0,
                null=False,
                primary_key=False,
                unique=False,
                index=False,
                index_method=IndexMethod.btree,
                choices=None,
                db_column_name=None,
                secret=False,
            ),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="claim_start_at",
        db_column_name="claim_start_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="claim_end_at",
        db_column_name="claim_end_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="use_start_at",
        db_column_name="use_start_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="use_end_at",
        db_column_name="use_end_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="use_days",
        db_column_name="use_days",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="total_quantity",
        db_column_name="total_quantity",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="claimed_count",
        db_column_name="claimed_count",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 0,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="per_user_limit",
        db_column_name="per_user_limit",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": 1,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="new_user_only",
        db_column_name="new_user_only",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="redeem_code",
        db_column_name="redeem_code",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 32,
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": True,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="welcome_pack",
        db_column_name="welcome_pack",
        column_class_name="Boolean",
        column_class=Boolean,
        params={
            "default": False,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="status",
        db_column_name="status",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 8,
            "default": "draft",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": True,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="created_by",
        db_column_name="created_by",
        column_class_name="Integer",
        column_class=Integer,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="created_at",
        db_column_name="created_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        column_name="updated_at",
        db_column_name="updated_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="UserCoupon",
        tablename="user_coupon",
        column_name="template",
        db_column_name="template",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": CouponTemplate,
            "on_delete": OnDelete.restrict,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="UserCoupon",
        tablename="user_coupon",
        column_name="user",
        db_column_name="user",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": User,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="UserCoupon",
        tablename="user_coupon",
        column_name="status",
        db_column_name="status",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 8,
            "default": "unused",
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="UserCoupon",
        tablename="user_coupon",
        column_name="claimed_at",
        db_column_name="claimed_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="UserCoupon",
        tablename="user_coupon",
        column_name="valid_from",
        db_column_name="valid_from",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="UserCoupon",
        tablename="user_coupon",
        column_name="valid_until",
        db_column_name="valid_until",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
            "null": False,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="UserCoupon",
        tablename="user_coupon",
        column_name="used_group",
        db_column_name="used_group",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": OrderGroup,
            "on_delete": OnDelete.set_null,
            "on_update": OnUpdate.cascade,
            "target_column": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_column(
        table_class_name="UserCoupon",
        tablename="user_coupon",
        column_name="used_at",
        db_column_name="used_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": None,
            "null": True,
            "primary_key": False,
            "unique": False,
            "index": False,
            "index_method": IndexMethod.btree,
            "choices": None,
            "db_column_name": None,
            "secret": False,
        },
        schema=None,
    )

    manager.add_constraint(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        constraint_name="coupon_valid_issuer",
        constraint_class=Check,
        params={
            "condition": "(issuer = 'platform' AND shop IS NULL) OR (issuer = 'shop' AND shop IS NOT NULL)"
        },
        schema=None,
    )

    manager.add_constraint(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        constraint_name="coupon_valid_kind",
        constraint_class=Check,
        params={
            "condition": "kind IN ('amount_off', 'threshold', 'percent_off')"
        },
        schema=None,
    )

    manager.add_constraint(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        constraint_name="coupon_valid_scope",
        constraint_class=Check,
        params={
            "condition": "scope IN ('all', 'categories', 'shops', 'products')"
        },
        schema=None,
    )

    manager.add_constraint(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        constraint_name="coupon_valid_status",
        constraint_class=Check,
        params={"condition": "status IN ('draft', 'active', 'paused', 'ended')"},
        schema=None,
    )

    manager.add_constraint(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        constraint_name="coupon_valid_money",
        constraint_class=Check,
        params={
            "condition": "amount_fen >= 0 AND threshold_fen >= 0 AND min_spend_fen >= 0 AND (cap_fen IS NULL OR cap_fen > 0) AND percent BETWEEN 0 AND 99"
        },
        schema=None,
    )

    manager.add_constraint(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        constraint_name="coupon_valid_quantity",
        constraint_class=Check,
        params={
            "condition": "claimed_count >= 0 AND claimed_count <= total_quantity AND per_user_limit >= 1"
        },
        schema=None,
    )

    manager.add_constraint(
        table_class_name="CouponTemplate",
        tablename="coupon_template",
        constraint_name="coupon_valid_use_window",
        constraint_class=Check,
        params={
            "condition": "(use_days IS NOT NULL AND use_days > 0) OR (use_start_at IS NOT NULL AND use_end_at IS NOT NULL)"
        },
        schema=None,
    )

    manager.add_constraint(
        table_class_name="UserCoupon",
        tablename="user_coupon",
        constraint_name="user_coupon_valid_status",
        constraint_class=Check,
        params={"condition": "status IN ('unused', 'used', 'expired')"},
        schema=None,
    )

    manager.add_constraint(
        table_class_name="UserCoupon",
        tablename="user_coupon",
        constraint_name="user_coupon_valid_use",
        constraint_class=Check,
        params={"condition": "status <> 'used' OR used_at IS NOT NULL"},
        schema=None,
    )

    return manager
