"""Tables of the analytics app (issue 9). The contract between capture, rollups and dashboards:

- `analytics_event` is the raw, append-only stream written by capture (never read by a dashboard).
- The `analytics_daily_*` tables are the rollups a worker sweep rebuilds per day (delete the day's rows, insert
  them again from events and orders: idempotent, re-runnable). Every dashboard query reads rollups only.
- Days are calendar days in the display time zone (settings.display_timezone, Asia/Shanghai).
- `shop` = 0 in a daily table means the whole platform (a row per shop plus one platform row per day).
- `who` identifies a person for UV and retention: 'u<user id>' when signed in, else 'v<visitor id>'; a visitor who
  signs in is linked to the user from then on (`analytics_visitor_link`)."""

from __future__ import annotations

from piccolo.columns import JSONB, BigInt, BigSerial, Boolean, Date, Integer, Real, Timestamptz, Varchar
from piccolo.columns.defaults.timestamptz import TimestamptzNow
from piccolo.table import Table


class Event(Table, tablename="analytics_event"):
    """One server-side event. kind: page_view | product_view | search | add_to_cart | checkout | pay."""

    id = BigSerial(primary_key=True)
    at = Timestamptz(default=TimestamptzNow(), index=True)
    kind = Varchar(length=16)
    visitor = Varchar(length=36, default="")  # the anonymous visitor cookie (a uuid4), '' for server-side events
    user_id = Integer(null=True, default=None)
    session = Varchar(length=36, default="")  # visit id: a new one after 30 minutes without a page view
    route = Varchar(length=64, default="")  # the route's name or a path pattern, e.g. 'product', 'search'
    path = Varchar(length=200, default="")
    referrer = Varchar(length=200, default="")  # host + path of an external referrer; '' when internal or none
    product = Integer(null=True, default=None)
    shop = Integer(null=True, default=None)
    group_id = Integer(null=True, default=None)  # order group for checkout / pay
    amount_fen = BigInt(default=0)  # pay: the amount paid
    keyword = Varchar(length=64, default="")
    results = Integer(null=True, default=None)  # search: how many results
    status = Integer(default=200)  # page_view: the HTTP status
    variant = Varchar(length=32, default="")  # the home-layout A/B variant shown, '' when none
    extra = JSONB(default="{}")


class VisitorLink(Table, tablename="analytics_visitor_link"):
    visitor = Varchar(length=36, primary_key=True)
    user_id = Integer(index=True)
    linked_at = Timestamptz(default=TimestamptzNow())


class DailySite(Table, tablename="analytics_daily_site"):
    """Per day and shop (0 = platform). GMV/orders/paying buyers come from orders paid that day (before refunds);
    refunds from refunds requested that day; traffic from events."""

    day = Date()
    shop = Integer(default=0)
    pv = BigInt(default=0)
    uv = BigInt(default=0)
    sessions = BigInt(default=0)
    bounces = BigInt(default=0)  # sessions with one page view
    dwell_ms = BigInt(default=0)  # sum of time between consecutive page views of a session
    dwell_n = BigInt(default=0)  # how many page views had a next page view (the dwell denominator)
    product_viewers = BigInt(default=0)  # funnel: distinct who with a product view
    cart_adders = BigInt(default=0)  # distinct who with an add to cart
    checkout_visitors = BigInt(default=0)
    paying_visitors = BigInt(default=0)
    orders = BigInt(default=0)  # paid orders (per shop: shop orders; platform: shop orders as well)
    paying_buyers = BigInt(default=0)
    gmv_fen = BigInt(default=0)
    refund_fen = BigInt(default=0)
    refunded_orders = BigInt(default=0)
    new_users = BigInt(default=0)  # platform row only: accounts created that day
    responses = BigInt(default=0)  # platform row only: HTTP responses counted by capture
    errors_5xx = BigInt(default=0)
    updated_at = Timestamptz(default=TimestamptzNow())


class DailyProduct(Table, tablename="analytics_daily_product"):
    day = Date()
    product = Integer()
    shop = Integer()
    category = Integer()
    views = BigInt(default=0)
    viewers = BigInt(default=0)
    units = BigInt(default=0)
    orders = BigInt(default=0)
    gmv_fen = BigInt(default=0)
    refund_fen = BigInt(default=0)


class DailyCategory(Table, tablename="analytics_daily_category"):
    """Per day, shop (0 = platform) and top-level category."""

    day = Date()
    shop = Integer(default=0)
    category = Integer()
    orders = BigInt(default=0)
    units = BigInt(default=0)
    gmv_fen = BigInt(default=0)


class DailyBuyer(Table, tablename="analytics_daily_buyer"):
    """Paid orders per buyer, day and shop (0 = platform): repurchase over any range without scanning orders."""

    day = Date()
    shop = Integer(default=0)
    buyer = Integer()
    orders = Integer(default=0)
    gmv_fen = BigInt(default=0)


class DailyActive(Table, tablename="analytics_daily_active"):
    """Who was active (any event) on a day; `first_day` is when that person was first seen (retention cohorts)."""

    day = Date()
    who = Varchar(length=40)
    first_day = Date()


class DailySearch(Table, tablename="analytics_daily_search"):
    day = Date()
    keyword = Varchar(length=64)
    searches = BigInt(default=0)
    searchers = BigInt(default=0)
    no_result = BigInt(default=0)  # searches that found nothing


class DailyCampaign(Table, tablename="analytics_daily_campaign"):
    """Per day and discount source from order item adjustments ('promo:<id>', 'coupon:<template id>',
    'flash:<session id>', ...): orders, GMV driven (paid amount of orders using it), discount cost and its bearer."""

    day = Date()
    source = Varchar(length=40)
    shop = Integer(default=0)  # the promotion's shop; 0 for platform campaigns
    participants = BigInt(default=0)  # distinct buyers that day
    orders = BigInt(default=0)
    gmv_fen = BigInt(default=0)
    discount_fen = BigInt(default=0)  # positive: what the discount cost its bearer
    platform_fen = BigInt(default=0)  # the part borne by the platform


class DailyStock(Table, tablename="analytics_daily_stock"):
    """Per day and shop (0 = platform): a stock snapshot for turnover and sell-through."""

    day = Date()
    shop = Integer(default=0)
    skus_on_sale = BigInt(default=0)
    skus_sold = BigInt(default=0)
    stock_value_fen = BigInt(default=0)  # sum(stock x price) of on-sale SKUs at the snapshot
    sold_value_fen = BigInt(default=0)  # goods sold that day at their price (cost of goods sold: no cost price is kept)


class DailyService(Table, tablename="analytics_daily_service"):
    """Customer service per day and shop (0 = platform)."""

    day = Date()
    shop = Integer(default=0)
    conversations = BigInt(default=0)  # conversations whose first buyer message came that day
    answered = BigInt(default=0)
    first_response_s = BigInt(default=0)  # sum over answered
    complaints_closed = BigInt(default=0)
    complaint_resolution_s = BigInt(default=0)


class Experiment(Table, tablename="analytics_experiment"):
    """An A/B test of home layouts: variants [{"key": "a", "layout": "classic", "weight": 50}, ...]."""

    name = Varchar(length=80)
    status = Varchar(length=12, default="draft")  # draft | running | stopped
    variants = JSONB(default="[]")
    started_at = Timestamptz(null=True, default=None)
    stopped_at = Timestamptz(null=True, default=None)
    created_at = Timestamptz(default=TimestamptzNow())


class DailyExperiment(Table, tablename="analytics_daily_experiment"):
    day = Date()
    experiment = Integer()
    variant = Varchar(length=32)
    visitors = BigInt(default=0)  # distinct who shown the variant
    converted = BigInt(default=0)  # of them, who paid the same day or later within the experiment
    gmv_fen = BigInt(default=0)
    conversion = Real(default=0.0)


class FirstSeen(Table, tablename="analytics_first_seen"):
    """When each `who` was first active (the rollup keeps the earliest day it has rolled): the retention cohort of
    analytics_daily_active.first_day, stable across re-runs of any day."""

    who = Varchar(length=40, primary_key=True)
    first_day = Date()


class RollupDay(Table, tablename="analytics_rollup_day"):
    """Which days the rollup sweep has built: today and yesterday are rebuilt every few minutes; an older day is
    rebuilt once more and then marked final."""

    day = Date(primary_key=True)
    rolled_at = Timestamptz(default=TimestamptzNow())
    final = Boolean(default=False)


class HttpMinute(Table, tablename="analytics_http_minute"):
    """Responses and 5xx responses counted by capture, per minute (added to by each process's flush): the
    platform row's responses / errors_5xx (技术故障率)."""

    minute = Timestamptz(primary_key=True)
    responses = BigInt(default=0)
    errors_5xx = BigInt(default=0)
