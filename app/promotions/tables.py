"""Tables of the promotions app (issue 7): shop promotions and platform campaigns.

One `Promotion` row per promotion, whatever its kind; the kind says which columns matter:
- full_reduction / full_discount (满减 / 满折): `tiers` [{threshold_fen, off_fen}] or [{threshold_fen, percent}]
  (percent is what is paid: 90 = 打9折) over `scope` (all | categories | products, ids in `scope_ids`);
- multi_piece (多件优惠): `tiers` [{pieces, percent}] over `scope`;
- limited_time / member_price (限时折扣 / 会员价): one `PromotionSku` per SKU with price_fen or percent (and
  min_level_rank for member prices);
- bundle (套餐): `PromotionSku` rows with the quantity of each SKU in one set, sold at `bundle_price_fen`;
- gift (买赠): triggered by buying `PromotionSku.quantity` of one of its SKUs, or by spending `threshold_fen`
  on the shop's goods in scope; the order gets `gift_quantity` of `gift_sku` while `gift_stock` lasts.
Platform campaigns (issuer platform) have no shop and are paid by the platform."""

from __future__ import annotations

from piccolo.columns import JSONB, BigInt, ForeignKey, Integer, Timestamptz, Varchar
from piccolo.columns.base import OnDelete
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.constraints import Check, Unique
from piccolo.table import Table

from app.accounts.tables import User
from app.catalog.tables import Sku
from app.sellers.tables import Shop

KINDS = ("full_reduction", "full_discount", "limited_time", "multi_piece", "member_price", "bundle", "gift")
STATUSES = ("draft", "active", "paused", "ended")
SCOPES = ("all", "categories", "products")


class Promotion(Table, tablename="promotion"):
    issuer = Varchar(length=8, default="shop")  # shop | platform
    shop = ForeignKey(references=Shop, null=True, default=None, on_delete=OnDelete.cascade, index=True)
    kind = Varchar(length=16)
    name = Varchar(length=64)
    starts_at = Timestamptz()
    ends_at = Timestamptz(index=True)
    status = Varchar(length=8, default="draft", index=True)
    scope = Varchar(length=12, default="all")
    scope_ids = JSONB(default="[]")
    tiers = JSONB(default="[]")
    bundle_price_fen = BigInt(null=True, default=None)
    threshold_fen = BigInt(null=True, default=None)  # gift: spend at least this (instead of a trigger SKU)
    gift_sku = ForeignKey(references=Sku, null=True, default=None, on_delete=OnDelete.restrict)
    gift_quantity = Integer(default=1)
    gift_stock = Integer(default=0)
    created_by = ForeignKey(references=User, null=True, default=None, on_delete=OnDelete.set_null)
    created_at = Timestamptz(default=TimestamptzNow())
    updated_at = Timestamptz(default=TimestamptzNow())

    promotion_valid_issuer = Check("(issuer = 'platform' AND shop IS NULL) OR (issuer = 'shop' AND shop IS NOT NULL)")
    promotion_valid_kind = Check(
        "kind IN ('full_reduction', 'full_discount', 'limited_time', 'multi_piece', 'member_price', 'bundle', 'gift')"
    )
    promotion_valid_status = Check("status IN ('draft', 'active', 'paused', 'ended')")
    promotion_valid_scope = Check("scope IN ('all', 'categories', 'products')")
    promotion_valid_window = Check("ends_at > starts_at")
    promotion_gift_stock_never_negative = Check("gift_stock >= 0")
    promotion_valid_gift_quantity = Check("gift_quantity > 0")
    promotion_valid_money = Check(
        "(bundle_price_fen IS NULL OR bundle_price_fen >= 0) AND (threshold_fen IS NULL OR threshold_fen > 0)"
    )


class PromotionSku(Table, tablename="promotion_sku"):
    """A SKU on a promotion: its price or percent (limited-time, member price), its quantity in one set (bundle)
    or the quantity that triggers the gift (gift)."""

    promotion = ForeignKey(references=Promotion, null=False, on_delete=OnDelete.cascade, index=True)
    sku = ForeignKey(references=Sku, null=False, on_delete=OnDelete.cascade, index=True)
    price_fen = BigInt(null=True, default=None)
    percent = Integer(null=True, default=None)  # what is paid: 85 = 85 % of the price
    min_level_rank = Integer(default=0)
    quantity = Integer(default=1)

    promotion_sku_unique = Unique([promotion, sku])
    promotion_sku_valid_price = Check(
        "(price_fen IS NULL OR price_fen >= 0) AND (percent IS NULL OR percent BETWEEN 1 AND 99)"
    )
    promotion_sku_valid_quantity = Check("quantity > 0 AND min_level_rank >= 0")
