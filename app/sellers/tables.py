from piccolo.columns import JSONB, Boolean, ForeignKey, Integer, Text, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from app.accounts.tables import User


class Shop(Table, tablename="shop"):
    name = Varchar(length=64, unique=True)
    shop_type = Varchar(length=16, default="individual")  # flagship | authorized | specialty | individual
    # pending: approved, fees not yet settled (not open) | active | suspended (products hidden, orders still
    # served) | closed
    status = Varchar(length=16, default="active")
    status_reason = Varchar(length=500, default="")
    # documents lapsed (定期复查): the shop stays open but may not list new products until it rectifies
    rectification_since = Timestamptz(null=True, default=None)
    logo_key = Varchar(length=128, default="")
    banner_key = Varchar(length=128, default="")
    notice = Varchar(length=500, default="")
    description = Text(default="")
    # the shop page's decoration (店铺装修): published is what shoppers see, draft is what the preview shows
    decoration = JSONB(default="{}")
    decoration_draft = JSONB(default="{}")
    created_at = Timestamptz(default=TimestamptzNow())

    valid_status = Check("status IN ('pending', 'active', 'suspended', 'closed')")


class ShopStaff(Table, tablename="shop_staff"):
    """A user working for a shop in one role: owner, manager, service, warehouse, finance."""

    shop = ForeignKey(references=Shop, null=False, on_delete=OnDelete.cascade, index=True)
    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade, index=True)
    role = Varchar(length=16)
    created_at = Timestamptz(default=TimestamptzNow())

    unique_shop_user = Unique([shop, user])
    valid_role = Check("role IN ('owner', 'manager', 'service', 'warehouse', 'finance')")


class ShopCategoryGrant(Table, tablename="shop_category_grant"):
    """A platform category (any level; its descendants included) the shop may sell in."""

    shop = ForeignKey(references=Shop, null=False, on_delete=OnDelete.cascade, index=True)
    category = Integer(index=True)  # catalog.category.id (catalog depends on sellers, not the reverse)
    created_at = Timestamptz(default=TimestamptzNow())

    unique_shop_category = Unique([shop, category])


class ShopSection(Table, tablename="shop_section"):
    """店铺分类: the shop's own grouping of its products, shown as tabs on its shop page."""

    shop = ForeignKey(references=Shop, null=False, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=20)
    position = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow())

    unique_shop_name = Unique([shop, name])


class ProductShopSection(Table, tablename="product_shop_section"):
    """A product of the shop placed in one of its sections (a product may be in several)."""

    section = ForeignKey(references=ShopSection, null=False, on_delete=OnDelete.cascade, index=True)
    product = Integer(index=True)  # catalog.product.id (catalog depends on sellers, not the reverse)

    unique_section_product = Unique([section, product])


class ShippingTemplate(Table, tablename="shipping_template"):
    """运费模板: one per shop (no row = free shipping). Flat: flat_fen per order; by weight: first_weight_g for
    first_fen, then every started extra_weight_g for extra_fen. Free at or above free_over_fen (NULL: never).
    excluded_regions: province codes (GB/T 2260) the shop does not deliver to. Read into the pricing engine's
    ShippingTemplate by app/sellers/shipping.shipping_templates()."""

    shop = ForeignKey(references=Shop, null=False, on_delete=OnDelete.cascade, unique=True)
    mode = Varchar(length=8, default="flat")  # flat | weight
    flat_fen = Integer(default=0)
    free_over_fen = Integer(null=True, default=None)
    first_weight_g = Integer(default=1000)
    first_fen = Integer(default=0)
    extra_weight_g = Integer(default=1000)
    extra_fen = Integer(default=0)
    excluded_regions = JSONB(default="[]")
    updated_at = Timestamptz(default=TimestamptzNow())

    valid_mode = Check("mode IN ('flat', 'weight')")
    valid_fees = Check(
        "flat_fen >= 0 AND first_fen >= 0 AND extra_fen >= 0 AND (free_over_fen IS NULL OR free_over_fen >= 0)"
    )
    valid_weights = Check("first_weight_g > 0 AND extra_weight_g > 0")


class PickupPoint(Table, tablename="pickup_point"):
    """自提点: a place where buyers collect their orders (order online, pick up in store). At most 20 active per
    shop; deactivated points stay for the orders that name them (orders keep a snapshot anyway)."""

    shop = ForeignKey(references=Shop, null=False, on_delete=OnDelete.cascade, index=True)
    name = Varchar(length=30)
    province = Varchar(length=6)
    city = Varchar(length=6)
    district = Varchar(length=12, default="")
    detail = Varchar(length=120)
    phone = Varchar(length=20)
    hours = Varchar(length=60)
    active = Boolean(default=True)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())
