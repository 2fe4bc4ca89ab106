"""Catalog tables. Money in fen (BigInt), times UTC. Product specs are JSONB on the product
([{"name": "颜色", "values": ["红", "蓝"]}, ...]); each SKU names its values ({"颜色": "红", "尺码": "M"}).
Product.price_min_fen/price_max_fen/stock_total/sku_count are kept by catalog.services from the SKUs (one
place writes them) so listing pages sort and filter without joining SKUs. search_vector (tsvector) is added
by a raw migration and maintained by catalog.search."""

from piccolo.columns import (
    JSONB,
    BigInt,
    Boolean,
    ForeignKey,
    Integer,
    Text,
    Timestamptz,
    Varchar,
)
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from app.accounts.tables import User
from app.sellers.tables import Shop

PRODUCT_STATUSES = ("draft", "pending_review", "active", "rejected", "delisted")


class Category(Table, tablename="category"):
    """Three levels. `path` is the chain of ids ('/1/5/23/') so a subtree is one prefix match."""

    parent = ForeignKey(references="self", null=True, default=None, on_delete=OnDelete.restrict, index=True)
    name_zh = Varchar(length=32)
    name_en = Varchar(length=64)
    level = Integer(default=1)
    path = Varchar(length=64, default="", index=True)
    icon = Varchar(length=16, default="")  # an emoji or a short glyph shown in the shortcut grid
    sort_order = Integer(default=0)
    visible = Boolean(default=True)
    commission_bp = Integer(default=500)  # basis points: 500 = 5.00 %

    valid_level = Check("level BETWEEN 1 AND 3")
    valid_commission = Check("commission_bp BETWEEN 0 AND 10000")


class Brand(Table, tablename="brand"):
    name = Varchar(length=64, unique=True)
    name_en = Varchar(length=64, default="")


class Product(Table, tablename="product"):
    shop = ForeignKey(references=Shop, null=False, on_delete=OnDelete.restrict, index=True)
    category = ForeignKey(references=Category, null=False, on_delete=OnDelete.restrict, index=True)
    brand = ForeignKey(references=Brand, null=True, default=None, on_delete=OnDelete.set_null, index=True)
    title = Varchar(length=120)
    subtitle = Varchar(length=200, default="")
    description_html = Text(default="")  # sanitized with nh3 on the way in
    specs = JSONB(default="[]")
    status = Varchar(length=16, default="draft", index=True)
    price_min_fen = BigInt(default=0, index=True)
    price_max_fen = BigInt(default=0)
    stock_total = Integer(default=0)
    sku_count = Integer(default=0)
    sales_count = Integer(default=0, index=True)
    rating_sum = Integer(default=0)
    rating_count = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)
    updated_at = Timestamptz(default=TimestamptzNow())
    review_note = Varchar(length=500, default="")  # the moderator's reason when rejected
    low_stock_threshold = Integer(default=10)  # 库存预警: a SKU at or below it is "low stock"
    # the content fingerprint (app.catalog.merchant) when an approved product was delisted: relisting it
    # unchanged goes straight back on sale, a changed one goes to review
    approved_digest = Varchar(length=64, default="")

    valid_status = Check("status IN ('draft', 'pending_review', 'active', 'rejected', 'delisted')")
    valid_prices = Check("price_min_fen >= 0 AND price_max_fen >= price_min_fen")


class Sku(Table, tablename="sku"):
    product = ForeignKey(references=Product, null=False, on_delete=OnDelete.cascade, index=True)
    code = Varchar(length=64)
    spec_values = JSONB(default="{}")
    price_fen = BigInt()
    list_price_fen = BigInt(null=True, default=None)
    stock = Integer(default=0)
    weight_g = Integer(default=0)
    position = Integer(default=0)
    image_position = Integer(null=True, default=None)  # which product image shows this SKU

    unique_code = Unique([product, code])
    stock_never_negative = Check("stock >= 0")
    valid_price = Check("price_fen >= 0 AND (list_price_fen IS NULL OR list_price_fen >= 0)")


class ProductImage(Table, tablename="product_image"):
    """An uploaded image, re-encoded; `key` names the stored variants (see app.catalog.images)."""

    product = ForeignKey(references=Product, null=False, on_delete=OnDelete.cascade, index=True)
    position = Integer(default=0)  # 0 is the cover
    key = Varchar(length=128)
    width = Integer()
    height = Integer()


class ShopImage(Table, tablename="shop_image"):
    """图片空间: every image a shop uploaded (product images name them by key), reusable across its products."""

    shop = ForeignKey(references=Shop, null=False, on_delete=OnDelete.cascade, index=True)
    key = Varchar(length=128)
    width = Integer()
    height = Integer()
    bytes = Integer(default=0)  # of the uploaded file
    filename = Varchar(length=200, default="")
    created_at = Timestamptz(default=TimestamptzNow(), index=True)

    unique_shop_key = Unique([shop, key])


class Favorite(Table, tablename="favorite"):
    """A product or a shop a user follows (exactly one of the two)."""

    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade, index=True)
    product = ForeignKey(references=Product, null=True, default=None, on_delete=OnDelete.cascade, index=True)
    shop = ForeignKey(references=Shop, null=True, default=None, on_delete=OnDelete.cascade, index=True)
    created_at = Timestamptz(default=TimestamptzNow())

    unique_product = Unique([user, product])
    unique_shop = Unique([user, shop])
    one_target = Check("(product IS NULL) <> (shop IS NULL)")


class BrowseHistory(Table, tablename="browse_history"):
    """足迹: the last time a user viewed a product (one row per user and product)."""

    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade, index=True)
    product = ForeignKey(references=Product, null=False, on_delete=OnDelete.cascade)
    viewed_at = Timestamptz(default=TimestamptzNow(), index=True)

    unique_user_product = Unique([user, product])


class SearchLog(Table, tablename="search_log"):
    """Every search, for analytics (hot searches, searches with no result)."""

    keyword = Varchar(length=64, index=True)
    user = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    visitor = Varchar(length=64, default="")
    results = Integer(default=0)
    created_at = Timestamptz(default=TimestamptzNow(), index=True)


class SearchHistory(Table, tablename="search_history"):
    """A signed-in user's recent keywords (one row per keyword, newest first); they can clear it."""

    user = ForeignKey(references=User, null=False, on_delete=OnDelete.cascade, index=True)
    keyword = Varchar(length=64)
    searched_at = Timestamptz(default=TimestamptzNow())

    unique_user_keyword = Unique([user, keyword])
