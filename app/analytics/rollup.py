"""Daily rollups (issue 9): one calendar day (display time zone) of events, orders, refunds, users, searches,
discounts, stock, chat and complaints summed into the analytics_daily_* tables that every dashboard reads.

`rollup_day(day)` is idempotent and re-runnable for any day: in one transaction, under an advisory lock per day
(two workers never build the same day at once; the second waits and then rebuilds it), it deletes the day's rows
and inserts them again. Definitions (PRODUCT.md "KPI definitions"):

- who: 'u<user id>' for a signed-in user's event, or an anonymous visitor linked to a user at sign-in
  (analytics_visitor_link: the whole visitor counts as that user), else 'v<visitor id>'.
- Traffic (events): pv = page views; uv = distinct who with a page view; sessions = distinct visits with a page
  view (the 30-minute `vs` cookie); bounces = visits with one page view; dwell = time from a page view to the next
  one of the same visit (dwell_ms summed, dwell_n such page views). Per shop: page views of its product and shop
  pages (no sessions, bounces or dwell: a visit is not a shop's).
- Funnel: distinct who with a product view, an add to cart, a checkout (per shop: checkouts that placed an order of
  the shop), and paying visitors = distinct buyers ('u<buyer>') with an order paid that day.
- Orders paid that day (shop_order.paid_at, whatever happened to them later): orders, paying buyers, GMV =
  sum(total_fen) before refunds. Refunds requested that day (refund.created_at, not failed): refund_fen and
  distinct refunded orders. New users = accounts created that day; responses / 5xx from analytics_http_minute.
- Products: views / distinct viewers (product_view), units, orders and GMV (the lines' paid_fen) of paid orders.
- Categories: top-level category of each line (category.path). Buyers: paid orders and GMV per buyer and shop.
- Active: who had any event; first_day = the earliest day that who was ever rolled (analytics_first_seen).
- Searches: search_log (keyword, searches, distinct searchers, searches with no result).
- Campaigns: every adjustment of the lines of orders paid that day, per source ('promo:<id>', 'coupon:<id>',
  'flash:<item>', 'member:<rank>', 'points', 'gift:<id>'): distinct buyers, orders, GMV driven = total_fen of the
  orders using it, discount cost and the platform's part. shop = the promotion's or coupon's shop, 0 for the
  platform's (flash sales, member prices, points, platform coupons and promotions).
- Stock: a snapshot of on-sale SKUs (stock x price) can only be taken for today; a past day keeps the snapshot it
  has, and only its sold figures (SKUs sold, value sold at the lines' unit price) are recomputed.
- Service: conversations whose first buyer message came that day, answered ones and the seconds to the shop's
  first answer; complaints closed (resolved or dismissed) that day and their time to close.

`python -m app.analytics.rollup --day 2026-11-20` or `--days 7` (today and the 6 days before)."""

from __future__ import annotations

import argparse
import asyncio
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from app.analytics.experiments import rollup_experiments
from app.config import get_settings
from app.core import clock
from app.core.db import engine, fetch

LOCK_CLASS = 0x4A15_A7  # pg_advisory_xact_lock(LOCK_CLASS, day number): one builder per day

TABLES = (
    "analytics_daily_site",
    "analytics_daily_product",
    "analytics_daily_category",
    "analytics_daily_buyer",
    "analytics_daily_active",
    "analytics_daily_search",
    "analytics_daily_campaign",
    "analytics_daily_service",
)


def tz() -> ZoneInfo:
    return ZoneInfo(get_settings().display_timezone)


def today() -> date:
    return clock.now().astimezone(tz()).date()


def bounds(day: date) -> tuple[datetime, datetime]:
    """The day's first instant and the next day's, in UTC."""
    zone = tz()
    start = datetime.combine(day, time(0), zone).astimezone(UTC)
    end = datetime.combine(day + timedelta(days=1), time(0), zone).astimezone(UTC)
    return start, end


# The day's events with their person (who) and shop (a product's shop for product pages and views)
_EVENTS = """
CREATE TEMP TABLE _ev ON COMMIT DROP AS
SELECT e.id, e.at, e.kind, e.session, e.product, e.group_id, COALESCE(e.shop, p.shop) AS shop,
       CASE WHEN COALESCE(e.user_id, l.user_id) IS NOT NULL THEN 'u' || COALESCE(e.user_id, l.user_id)
            WHEN e.visitor <> '' THEN 'v' || e.visitor END AS who
FROM analytics_event e
LEFT JOIN analytics_visitor_link l ON e.user_id IS NULL AND l.visitor = e.visitor
LEFT JOIN product p ON p.id = e.product
WHERE e.at >= {} AND e.at < {} AND e.kind <> 'http'
"""

_ORDERS = """
CREATE TEMP TABLE _ord ON COMMIT DROP AS
SELECT o.id, o.shop, o.buyer, o.total_fen, o."group" AS group_id
FROM shop_order o WHERE o.paid_at >= {} AND o.paid_at < {}
"""

_ITEMS = """
CREATE TEMP TABLE _item ON COMMIT DROP AS
SELECT i.id, i."order" AS order_id, o.shop, o.buyer, o.total_fen, i.sku, i.product, i.quantity, i.unit_price_fen,
       i.paid_fen, i.adjustments, p.category,
       COALESCE(NULLIF(split_part(c.path, '/', 2), '')::int, p.category) AS top_category
FROM _ord o JOIN order_item i ON i."order" = o.id
LEFT JOIN product p ON p.id = i.product
LEFT JOIN category c ON c.id = p.category
"""

# (shop, metric, value) rows pivoted into one analytics_daily_site row per shop; GROUPING SETS ((), (shop)) gives
# the platform row (shop 0) and a row per shop in one pass
_PLATFORM_OR_SHOP = "CASE WHEN grouping(shop) = 1 THEN 0 ELSE shop END"
_GROUPS = "GROUP BY GROUPING SETS ((), (shop)) HAVING grouping(shop) = 1 OR shop IS NOT NULL"


def _sql(text: str) -> str:
    """Fixed SQL fragments: @shop (0 for the platform's grouping set, else the shop) and @groups."""
    return text.replace("@shop", _PLATFORM_OR_SHOP).replace("@groups", _GROUPS)


_SITE_PARTS = [
    "SELECT 0 AS shop, 'pv' AS m, 0::bigint AS v",
    "SELECT @shop, 'pv', count(*) FROM _ev WHERE kind = 'page_view' @groups",
    "SELECT @shop, 'uv', count(DISTINCT who) FROM _ev WHERE kind = 'page_view' @groups",
    "SELECT @shop, 'product_viewers', count(DISTINCT who) FROM _ev WHERE kind = 'product_view' @groups",
    "SELECT @shop, 'cart_adders', count(DISTINCT who) FROM _ev WHERE kind = 'add_to_cart' @groups",
    "SELECT 0, 'checkout_visitors', count(DISTINCT who) FROM _ev WHERE kind = 'checkout'",
    "SELECT o.shop, 'checkout_visitors', count(DISTINCT e.who) FROM _ev e "
    "JOIN shop_order o ON o.\"group\" = e.group_id WHERE e.kind = 'checkout' GROUP BY o.shop",
    "SELECT @shop, 'paying_visitors', count(DISTINCT buyer) FROM _ord @groups",
    "SELECT @shop, 'paying_buyers', count(DISTINCT buyer) FROM _ord @groups",
    "SELECT @shop, 'orders', count(*) FROM _ord @groups",
    "SELECT @shop, 'gmv_fen', sum(total_fen) FROM _ord @groups",
    "SELECT 0, 'sessions', count(*) FROM (SELECT session FROM _ev WHERE kind = 'page_view' AND session <> '' "
    "GROUP BY session) s",
    "SELECT 0, 'bounces', count(*) FROM (SELECT session FROM _ev WHERE kind = 'page_view' AND session <> '' "
    "GROUP BY session HAVING count(*) = 1) s",
    "SELECT 0, 'dwell_ms', COALESCE(sum(ms), 0)::bigint FROM _dwell",
    "SELECT 0, 'dwell_n', count(ms) FROM _dwell",
    "SELECT 0, 'new_users', count(*) FROM app_user WHERE created_at >= {} AND created_at < {}",
    "SELECT 0, 'responses', COALESCE(sum(responses), 0)::bigint FROM analytics_http_minute "
    "WHERE minute >= {} AND minute < {}",
    "SELECT 0, 'errors_5xx', COALESCE(sum(errors_5xx), 0)::bigint FROM analytics_http_minute "
    "WHERE minute >= {} AND minute < {}",
    "SELECT @shop, 'refund_fen', sum(amount_fen) FROM _ref @groups",
    "SELECT @shop, 'refunded_orders', count(DISTINCT order_id) FROM _ref @groups",
]
_SITE_COLUMNS = [
    "pv",
    "uv",
    "sessions",
    "bounces",
    "dwell_ms",
    "dwell_n",
    "product_viewers",
    "cart_adders",
    "checkout_visitors",
    "paying_visitors",
    "orders",
    "paying_buyers",
    "gmv_fen",
    "refund_fen",
    "refunded_orders",
    "new_users",
    "responses",
    "errors_5xx",
]
_SITE = (
    f"INSERT INTO analytics_daily_site (day, shop, {', '.join(_SITE_COLUMNS)}, updated_at) "  # noqa: S608
    "SELECT {}::date, shop, "
    + ", ".join(f"COALESCE(sum(v) FILTER (WHERE m = '{c}'), 0)" for c in _SITE_COLUMNS)
    + ", now() FROM ("
    + " UNION ALL ".join(_sql(part) for part in _SITE_PARTS)
    + ") x GROUP BY shop"
)

_DWELL = """
CREATE TEMP TABLE _dwell ON COMMIT DROP AS
SELECT (extract(epoch FROM lead(at) OVER (PARTITION BY session ORDER BY at, id) - at) * 1000)::bigint AS ms
FROM _ev WHERE kind = 'page_view' AND session <> ''
"""

_REFUNDS = """
CREATE TEMP TABLE _ref ON COMMIT DROP AS
SELECT r.id, r."order" AS order_id, o.shop, r.amount_fen
FROM refund r LEFT JOIN shop_order o ON o.id = r."order"
WHERE r.created_at >= {} AND r.created_at < {} AND r.status <> 'failed'
"""

_PRODUCT = """
INSERT INTO analytics_daily_product (day, product, shop, category, views, viewers, units, orders, gmv_fen, refund_fen)
SELECT {}::date, x.product, p.shop, p.category, sum(x.views), sum(x.viewers), sum(x.units), sum(x.orders),
       sum(x.gmv), sum(x.refund)
FROM (
    SELECT product, count(*) AS views, count(DISTINCT who) AS viewers, 0 AS units, 0 AS orders, 0 AS gmv, 0 AS refund
    FROM _ev WHERE kind = 'product_view' AND product IS NOT NULL GROUP BY product
    UNION ALL
    SELECT product, 0, 0, sum(quantity), count(DISTINCT order_id), sum(paid_fen), 0 FROM _item GROUP BY product
) x JOIN product p ON p.id = x.product
GROUP BY x.product, p.shop, p.category
"""

_CATEGORY = _sql("""
INSERT INTO analytics_daily_category (day, shop, category, orders, units, gmv_fen)
SELECT {}::date, @shop, top_category, count(DISTINCT order_id), sum(quantity), sum(paid_fen)
FROM _item WHERE top_category IS NOT NULL
GROUP BY GROUPING SETS ((top_category), (shop, top_category))
""")

_BUYER = _sql("""
INSERT INTO analytics_daily_buyer (day, shop, buyer, orders, gmv_fen)
SELECT {}::date, @shop, buyer, count(*), sum(total_fen)
FROM _ord GROUP BY GROUPING SETS ((buyer), (shop, buyer))
""")

# who was active that day, with the earliest day each was ever seen (analytics_first_seen; a row is only rewritten
# when this day is earlier than the one it has, so re-runs write nothing there)
_FIRST_SEEN = """
INSERT INTO analytics_first_seen (who, first_day)
SELECT DISTINCT who, {}::date FROM _ev WHERE who IS NOT NULL
ON CONFLICT (who) DO UPDATE SET first_day = EXCLUDED.first_day
WHERE EXCLUDED.first_day < analytics_first_seen.first_day
"""

_ACTIVE = """
INSERT INTO analytics_daily_active (day, who, first_day)
SELECT {}::date, a.who, f.first_day
FROM (SELECT DISTINCT who FROM _ev WHERE who IS NOT NULL) a JOIN analytics_first_seen f ON f.who = a.who
"""

_SEARCH = """
INSERT INTO analytics_daily_search (day, keyword, searches, searchers, no_result)
SELECT {}::date, keyword, count(*),
       count(DISTINCT CASE WHEN "user" IS NOT NULL THEN 'u' || "user" WHEN visitor <> '' THEN 'v' || visitor
                           ELSE 'r' || id END),
       count(*) FILTER (WHERE results = 0)
FROM search_log WHERE created_at >= {} AND created_at < {} GROUP BY keyword
"""

_CAMPAIGN = """
INSERT INTO analytics_daily_campaign (day, source, shop, participants, orders, gmv_fen, discount_fen, platform_fen)
SELECT {}::date, source, shop, count(DISTINCT buyer), count(*), sum(total_fen), sum(discount), sum(platform)
FROM (
    SELECT a.source,
           CASE WHEN a.source LIKE 'promo:%' OR a.source LIKE 'gift:%' THEN COALESCE(pr.shop, 0)
                WHEN a.source LIKE 'coupon:%' THEN COALESCE(ct.shop, 0) ELSE 0 END AS shop,
           a.order_id, max(a.buyer) AS buyer, max(a.total_fen) AS total_fen,
           -sum(a.amount_fen) AS discount,
           COALESCE(-sum(a.amount_fen) FILTER (WHERE a.bearer = 'platform'), 0) AS platform
    FROM (
        SELECT i.order_id, i.buyer, i.total_fen, left(COALESCE(adj->>'source', ''), 40) AS source,
               COALESCE((adj->>'amount_fen')::bigint, 0) AS amount_fen, adj->>'bearer' AS bearer
        FROM _item i CROSS JOIN LATERAL jsonb_array_elements(
            CASE WHEN jsonb_typeof(i.adjustments) = 'array' THEN i.adjustments ELSE '[]'::jsonb END) adj
    ) a
    LEFT JOIN promotion pr ON (a.source LIKE 'promo:%' OR a.source LIKE 'gift:%')
        AND pr.id = NULLIF(regexp_replace(split_part(a.source, ':', 2), '[^0-9]', '', 'g'), '')::int
    LEFT JOIN coupon_template ct ON a.source LIKE 'coupon:%'
        AND ct.id = NULLIF(regexp_replace(split_part(a.source, ':', 2), '[^0-9]', '', 'g'), '')::int
    WHERE a.source <> ''
    GROUP BY 1, 2, 3
) per_order
GROUP BY source, shop
"""

_SERVICE = _sql("""
INSERT INTO analytics_daily_service
    (day, shop, conversations, answered, first_response_s, complaints_closed, complaint_resolution_s)
SELECT {}::date, @shop, sum(conversations), sum(answered), sum(first_response_s),
       sum(complaints_closed), sum(complaint_resolution_s)
FROM (
    SELECT c.shop, 1 AS conversations, (r.at IS NOT NULL)::int AS answered,
           COALESCE(extract(epoch FROM r.at - f.at), 0)::bigint AS first_response_s,
           0 AS complaints_closed, 0::bigint AS complaint_resolution_s
    FROM (SELECT conversation, min(created_at) AS at FROM chat_message WHERE side = 'buyer' GROUP BY conversation
          HAVING min(created_at) >= {} AND min(created_at) < {}) f
    JOIN conversation c ON c.id = f.conversation
    LEFT JOIN LATERAL (SELECT min(m.created_at) AS at FROM chat_message m
                       WHERE m.conversation = f.conversation AND m.side = 'shop' AND m.created_at >= f.at) r ON true
    UNION ALL
    SELECT c.shop, 0, 0, 0, 1, extract(epoch FROM e.at - c.created_at)::bigint
    FROM (SELECT complaint, min(created_at) AS at FROM complaint_event WHERE status IN ('resolved', 'dismissed')
          GROUP BY complaint HAVING min(created_at) >= {} AND min(created_at) < {}) e
    JOIN complaint c ON c.id = e.complaint
) x
GROUP BY GROUPING SETS ((), (shop)) HAVING (grouping(shop) = 1 OR shop IS NOT NULL) AND count(*) > 0
""")

_STOCK_SNAPSHOT = _sql("""
INSERT INTO analytics_daily_stock (day, shop, skus_on_sale, skus_sold, stock_value_fen, sold_value_fen)
SELECT {}::date, @shop, COALESCE(sum(on_sale), 0), count(DISTINCT sold_sku), COALESCE(sum(stock_value), 0),
       COALESCE(sum(sold_value), 0)
FROM (
    SELECT p.shop, 1 AS on_sale, NULL::int AS sold_sku, s.stock::bigint * s.price_fen AS stock_value,
           0::bigint AS sold_value
    FROM sku s JOIN product p ON p.id = s.product WHERE p.status = 'active'
    UNION ALL
    SELECT shop, 0, sku, 0, unit_price_fen * quantity FROM _item
) x
GROUP BY GROUPING SETS ((), (shop)) HAVING grouping(shop) = 1 OR shop IS NOT NULL
""")

_STOCK_SOLD = """
UPDATE analytics_daily_stock st SET
    skus_sold = (SELECT count(DISTINCT sku) FROM _item i WHERE st.shop = 0 OR i.shop = st.shop),
    sold_value_fen = (SELECT COALESCE(sum(unit_price_fen * quantity), 0) FROM _item i
                      WHERE st.shop = 0 OR i.shop = st.shop)
WHERE st.day = {}::date
"""


async def rollup_day(day: date) -> None:
    """Rebuild every analytics_daily_* row of `day` (the stock snapshot only when `day` is today)."""
    start, end = bounds(day)
    async with engine().transaction():
        await fetch("SELECT pg_advisory_xact_lock({}, {})", LOCK_CLASS, day.toordinal())
        await fetch(_EVENTS, start, end)
        await fetch(_ORDERS, start, end)
        await fetch(_ITEMS)
        await fetch(_REFUNDS, start, end)
        await fetch(_DWELL)
        await fetch("ANALYZE _ev, _ord, _item")
        for table in TABLES:
            await fetch(f"DELETE FROM {table} WHERE day = {{}}", day)  # noqa: S608 (fixed table names)
        await fetch(_SITE, day, start, end, start, end, start, end)
        await fetch(_PRODUCT, day)
        await fetch(_CATEGORY, day)
        await fetch(_BUYER, day)
        await fetch(_FIRST_SEEN, day)
        await fetch(_ACTIVE, day)
        await fetch(_SEARCH, day, start, end)
        await fetch(_CAMPAIGN, day)
        await fetch(_SERVICE, day, start, end, start, end)
        if day == today():
            await fetch("DELETE FROM analytics_daily_stock WHERE day = {}", day)
            await fetch(_STOCK_SNAPSHOT, day)
        else:
            await fetch(_STOCK_SOLD, day)
        await fetch(
            "INSERT INTO analytics_rollup_day (day, rolled_at, final) VALUES ({}, now(), {}) "
            "ON CONFLICT (day) DO UPDATE SET rolled_at = now(), final = analytics_rollup_day.final OR EXCLUDED.final",
            day,
            day < today() - timedelta(days=1),
        )


async def rollup_days(days: int) -> None:
    """Today and the days - 1 days before it, oldest first."""
    last = today()
    for n in range(days - 1, -1, -1):
        await rollup_day(last - timedelta(days=n))
    await rollup_experiments()


async def _main() -> None:
    from app.core.db import close_pool, start_pool

    parser = argparse.ArgumentParser(description="Rebuild the analytics rollups of some days.")
    parser.add_argument("--day", type=date.fromisoformat, help="one day, e.g. 2026-11-20")
    parser.add_argument("--days", type=int, default=2, help="today and the days before it (default 2)")
    args = parser.parse_args()
    await start_pool(min_size=1, max_size=2)
    try:
        if args.day:
            await rollup_day(args.day)
            await rollup_experiments()
        else:
            await rollup_days(max(1, args.days))
    finally:
        await close_pool()


if __name__ == "__main__":
    asyncio.run(_main())
