from piccolo.apps.migrations.auto.migration_manager import MigrationManager
from piccolo.columns.base import OnDelete
from piccolo.columns.base import OnUpdate
from piccolo.columns.column_types import BigInt
from piccolo.columns.column_types import ForeignKey
from piccolo.columns.column_types import Integer
from piccolo.columns.column_types import JSONB
from piccolo.columns.column_types import Serial
from piccolo.columns.column_types import Timestamptz
from piccolo.columns.column_types import Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.columns.indexes import IndexMethod
from piccolo.constraints import Check
from piccolo.constraints import Unique
from piccolo.table import Table


class Promotion(Table, tablename="promotion", schema=None):
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


class Sku(Table, tablename="sku", schema=None):
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


ID = "2026-11-23T16:30:50:637086"
VERSION = "1.38.0"
DESCRIPTION = "promotions"


async def forwards():
    manager = MigrationManager(
        migration_id=ID, app_name="promotions", description=DESCRIPTION
    )

    manager.add_table(
        class_name="PromotionSku",
        tablename="promotion_sku",
        schema=None,
        columns=None,
    )

    manager.add_table(
        class_name="Promotion", tablename="promotion", schema=None, columns=None
    )

    manager.add_column(
        table_class_name="PromotionSku",
        tablename="promotion_sku",
        column_name="promotion",
        db_column_name="promotion",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Promotion,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
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
        table_class_name="PromotionSku",
        tablename="promotion_sku",
        column_name="sku",
        db_column_name="sku",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Sku,
            "on_delete": OnDelete.cascade,
            "on_update": OnUpdate.cascade,
            "target_column": None,
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
        table_class_name="PromotionSku",
        tablename="promotion_sku",
        column_name="price_fen",
        db_column_name="price_fen",
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
        table_class_name="PromotionSku",
        tablename="promotion_sku",
        column_name="percent",
        db_column_name="percent",
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
        table_class_name="PromotionSku",
        tablename="promotion_sku",
        column_name="min_level_rank",
        db_column_name="min_level_rank",
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
        table_class_name="PromotionSku",
        tablename="promotion_sku",
        column_name="quantity",
        db_column_name="quantity",
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
        table_class_name="Promotion",
        tablename="promotion",
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
        table_class_name="Promotion",
        tablename="promotion",
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
        table_class_name="Promotion",
        tablename="promotion",
        column_name="kind",
        db_column_name="kind",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 16,
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
        table_class_name="Promotion",
        tablename="promotion",
        column_name="name",
        db_column_name="name",
        column_class_name="Varchar",
        column_class=Varchar,
        params={
            "length": 64,
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
        table_class_name="Promotion",
        tablename="promotion",
        column_name="starts_at",
        db_column_name="starts_at",
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
        table_class_name="Promotion",
        tablename="promotion",
        column_name="ends_at",
        db_column_name="ends_at",
        column_class_name="Timestamptz",
        column_class=Timestamptz,
        params={
            "default": TimestamptzNow(),
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
        table_class_name="Promotion",
        tablename="promotion",
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
        table_class_name="Promotion",
        tablename="promotion",
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
        table_class_name="Promotion",
        tablename="promotion",
        column_name="scope_ids",
        db_column_name="scope_ids",
        column_class_name="JSONB",
        column_class=JSONB,
        params={
            "default": "[]",
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
        table_class_name="Promotion",
        tablename="promotion",
        column_name="tiers",
        db_column_name="tiers",
        column_class_name="JSONB",
        column_class=JSONB,
        params={
            "default": "[]",
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
        table_class_name="Promotion",
        tablename="promotion",
        column_name="bundle_price_fen",
        db_column_name="bundle_price_fen",
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
        table_class_name="Promotion",
        tablename="promotion",
        column_name="threshold_fen",
        db_column_name="threshold_fen",
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
        table_class_name="Promotion",
        tablename="promotion",
        column_name="gift_sku",
        db_column_name="gift_sku",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": Sku,
            "on_delete": OnDelete.restrict,
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
        table_class_name="Promotion",
        tablename="promotion",
        column_name="gift_quantity",
        db_column_name="gift_quantity",
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
        table_class_name="Promotion",
        tablename="promotion",
        column_name="gift_stock",
        db_column_name="gift_stock",
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
        table_class_name="Promotion",
        tablename="promotion",
        column_name="created_by",
        db_column_name="created_by",
        column_class_name="ForeignKey",
        column_class=ForeignKey,
        params={
            "references": User,
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
        table_class_name="Promotion",
        tablename="promotion",
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
        table_class_name="Promotion",
        tablename="promotion",
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

    manager.add_constraint(
        table_class_name="PromotionSku",
        tablename="promotion_sku",
        constraint_name="promotion_sku_unique",
        constraint_class=Unique,
        params={"columns": ["promotion", "sku"], "nulls_distinct": True},
        schema=None,
    )

    manager.add_constraint(
        table_class_name="PromotionSku",
        tablename="promotion_sku",
        constraint_name="promotion_sku_valid_price",
        constraint_class=Check,
        params={
            "condition": "(price_fen IS NULL OR price_fen >= 0) AND (percent IS NULL OR percent BETWEEN 1 AND 99)"
        },
        schema=None,
    )

    manager.add_constraint(
        table_class_name="PromotionSku",
        tablename="promotion_sku",
        constraint_name="promotion_sku_valid_quantity",
        constraint_class=Check,
        params={"condition": "quantity > 0 AND min_level_rank >= 0"},
        schema=None,
    )

    manager.add_constraint(
        table_class_name="Promotion",
        tablename="promotion",
        constraint_name="promotion_valid_issuer",
        constraint_class=Check,
        params={
            "condition": "(issuer = 'platform' AND shop IS NULL) OR (issuer = 'shop' AND shop IS NOT NULL)"
        },
        schema=None,
    )

    manager.add_constraint(
        table_class_name="Promotion",
        tablename="promotion",
        constraint_name="promotion_valid_kind",
        constraint_class=Check,
        params={
            "condition": "kind IN ('full_reduction', 'full_discount', 'limited_time', 'multi_piece', 'member_price', 'bundle', 'gift')"
        },
        schema=None,
    )

    manager.add_constraint(
        table_class_name="Promotion",
        tablename="promotion",
        constraint_name="promotion_valid_status",
        constraint_class=Check,
        params={"condition": "status IN ('draft', 'active', 'paused', 'ended')"},
        schema=None,
    )

    manager.add_constraint(
        table_class_name="Promotion",
        tablename="promotion",
        constraint_name="promotion_valid_scope",
        constraint_class=Check,
        params={"condition": "scope IN ('all', 'categories', 'products')"},
        schema=None,
    )

    manager.add_constraint(
        table_class_name="Promotion",
        tablename="promotion",
        constraint_name="promotion_valid_window",
        constraint_class=Check,
        params={"condition": "ends_at > starts_at"},
        schema=None,
    )

    manager.add_constraint(
        table_class_name="Promotion",
        tablename="promotion",
        constraint_name="promotion_gift_stock_never_negative",
        constraint_class=Check,
        params={"condition": "gift_stock >= 0"},
        schema=None,
    )

    manager.add_constraint(
        table_class_name="Promotion",
        tablename="promotion",
        constraint_name="promotion_valid_gift_quantity",
        constraint_class=Check,
        params={"condition": "gift_quantity > 0"},
        schema=None,
    )

    manager.add_constraint(
        table_class_name="Promotion",
        tablename="promotion",
        constraint_name="promotion_valid_money",
        constraint_class=Check,
        params={
            "condition": "(bundle_price_fen IS NULL OR bundle_price_fen >= 0) AND (threshold_fen IS NULL OR threshold_fen > 0)"
        },
        schema=None,
    )

    return manager
