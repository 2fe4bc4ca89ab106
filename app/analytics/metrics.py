"""The dashboards' KPIs (PRODUCT.md "KPI definitions"), read from the daily rollups only (app/analytics/tables.py):
no query here touches orders or events. Every query is a range scan on `day` (the rollups' unique keys start
with it) filtered by shop, aggregated in SQL; lists are top-N; names (shops, categories, products, campaigns) are
looked up in one batch per list.

Over a date range:
- sums of the daily counters (PV, orders, GMV, refunds, funnel steps); UV and paying visitors are sums of the daily
  distinct counts (a visitor counts once per day), so conversion = paying visitors / UV stays a ratio of like
  with like;
- paying buyers and repurchase are distinct buyers over the whole range (analytics_daily_buyer);
- stock turnover = value sold / average daily stock value; sell-through is the average daily SKUs sold / on sale.
A ratio whose denominator is 0 is None (shown as "—")."""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from app.config import get_settings
from app.core import clock
from app.core.db import fetch
from app.core.errors import DomainError
from app.core.i18n import N_

MAX_DAYS = 366
TOP_N = 20
COHORT_DAYS = 31  # the cohort table shows at most the last 31 cohort days of the range
PRESETS = ("today", "yesterday", "7d", "30d", "month", "custom")
PRESET_LABELS = {
    "today": N_("Today"),
    "yesterday": N_("Yesterday"),
    "7d": N_("Last 7 days"),
    "30d": N_("Last 30 days"),
    "month": N_("This month"),
    "custom": N_("Custom range"),
}
DEFAULT_PRESET = "7d"
_CAMPAIGN = re.compile(r"^(platform|shop|[a-z]{1,12}:[A-Za-z0-9_-]{1,32})$")


class FilterError(DomainError):
    code = "analytics_filter"


# ---------------------------------------------------------------- filters


@dataclass(frozen=True, slots=True)
class Filters:
    start: date
    end: date  # inclusive
    shop: int = 0  # 0 = the whole platform
    category: int | None = None  # a top-level category
    campaign: str | None = None  # 'promo:<id>', 'coupon:<id>', 'flash:<id>', ... or 'platform' / 'shop'
    preset: str = DEFAULT_PRESET

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def previous(self) -> Filters:
        """The period of the same length just before this one."""
        end = self.start - timedelta(days=1)
        return replace(self, start=end - timedelta(days=self.days - 1), end=end, preset="custom")

    def query(self, *, with_shop: bool = True) -> dict[str, str]:
        """The query parameters that reproduce these filters (links, CSV exports, hx-push-url)."""
        out = {"range": self.preset}
        if self.preset == "custom":
            out |= {"start": self.start.isoformat(), "end": self.end.isoformat()}
        if with_shop and self.shop:
            out["shop"] = str(self.shop)
        if self.category:
            out["category"] = str(self.category)
        if self.campaign:
            out["campaign"] = self.campaign
        return out


def today() -> date:
    return clock.now().astimezone(ZoneInfo(get_settings().display_timezone)).date()


def preset_range(preset: str, today: date) -> tuple[date, date]:
    if preset == "today":
        return today, today
    if preset == "yesterday":
        day = today - timedelta(days=1)
        return day, day
    if preset == "30d":
        return today - timedelta(days=29), today
    if preset == "month":
        return today.replace(day=1), today
    return today - timedelta(days=6), today  # 7d


def _date(text: str, name: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise FilterError(N_("Enter the dates as YYYY-MM-DD."), field=name) from None


def _id(text: str, name: str) -> int | None:
    text = (text or "").strip()
    if not text or text == "0":
        return None
    if not text.isascii() or not text.isdigit() or len(text) > 9:
        raise FilterError(N_("Choose a value from the list."), field=name)
    return int(text)


def parse_filters(params: Mapping[str, str], *, today: date, shop: int | None = None) -> Filters:
    """Query parameters → Filters. `shop` given (the seller's own shop) overrides any shop in the query.
    Raises FilterError with a clear message on bad input."""
    preset = (params.get("range") or "").strip()
    start_text, end_text = (params.get("start") or "").strip(), (params.get("end") or "").strip()
    if not preset:
        preset = "custom" if start_text or end_text else DEFAULT_PRESET
    if preset not in PRESETS:
        raise FilterError(N_("Choose a date range from the list."), field="range")
    if preset == "custom":
        if not start_text or not end_text:
            raise FilterError(N_("Enter both a start and an end date."), field="start")
        start, end = _date(start_text, "start"), _date(end_text, "end")
        if end < start:
            raise FilterError(N_("The end date must be on or after the start date."), field="end")
        if (end - start).days + 1 > MAX_DAYS:
            raise FilterError(N_("Choose a range of at most %(days)s days."), field="end", days=MAX_DAYS)
    else:
        start, end = preset_range(preset, today)
    campaign = (params.get("campaign") or "").strip() or None
    if campaign is not None and not _CAMPAIGN.match(campaign):
        raise FilterError(N_("Choose a value from the list."), field="campaign")
    return Filters(
        start=start,
        end=end,
        shop=shop if shop is not None else (_id(params.get("shop", ""), "shop") or 0),
        category=_id(params.get("category", ""), "category"),
        campaign=campaign,
        preset=preset,
    )


# ---------------------------------------------------------------- pure arithmetic


def ratio(numerator: float | None, denominator: float | None) -> float | None:
    """numerator / denominator; None (shown "—") when either is missing or the denominator is 0."""
    if numerator is None or not denominator:
        return None
    return numerator / denominator


def change(current: float | None, previous: float | None, kind: str) -> float | None:
    """Against the previous period: rates compare in percentage points (a difference of shares), everything
    else as a relative change. None when there is nothing to compare with."""
    if current is None or previous is None:
        return None
    if kind == "ratio":
        return current - previous
    return ratio(current - previous, previous)


@dataclass(frozen=True, slots=True)
class Kpi:
    key: str
    label: str  # msgid
    kind: str  # money | count | ratio | ms | seconds | money_avg
    value: float | None
    previous: float | None
    platform_only: bool = False
    good_when_up: bool = True

    @property
    def delta(self) -> float | None:
        return change(self.value, self.previous, self.kind)

    @property
    def trend(self) -> str:
        d = self.delta
        if d is None or abs(d) < 1e-9:
            return "flat"
        return "good" if (d > 0) == self.good_when_up else "bad"


def _n(row: Mapping[str, Any], name: str) -> int:
    return int(row.get(name) or 0)


KPI_LABELS = {
    "gmv": N_("GMV"),
    "net_gmv": N_("GMV net of refunds"),
    "orders": N_("Paid orders"),
    "paying_buyers": N_("Paying buyers"),
    "aov": N_("Average spend per buyer"),
    "order_avg": N_("Average order value"),
    "pv": N_("Page views"),
    "uv": N_("Visitors"),
    "conversion": N_("Conversion"),
    "bounce": N_("Bounce rate"),
    "dwell": N_("Average time on page"),
    "new_users": N_("New users"),
    "refund_amount": N_("Refund rate by amount"),
    "refund_orders": N_("Refund rate by orders"),
    "repurchase": N_("Repurchase rate"),
    "turnover": N_("Stock turnover"),
    "sell_through": N_("Sell-through"),
    "first_response": N_("First response time"),
    "answered": N_("Conversations answered"),
    "resolution": N_("Complaint resolution time"),
    "errors": N_("Server error rate (5xx)"),
}


def kpi_values(p: Mapping[str, Any]) -> dict[str, float | None]:
    """One period's sums (site, buyers, stock, service) → the KPI values."""
    gmv, refund = _n(p, "gmv_fen"), _n(p, "refund_fen")
    avg_stock = p.get("avg_stock_fen")
    return {
        "gmv": gmv,
        "net_gmv": gmv - refund,
        "orders": _n(p, "orders"),
        "paying_buyers": _n(p, "buyers"),
        "aov": ratio(gmv, _n(p, "buyers")),
        "order_avg": ratio(gmv, _n(p, "orders")),
        "pv": _n(p, "pv"),
        "uv": _n(p, "uv"),
        "conversion": ratio(_n(p, "paying_visitors"), _n(p, "uv")),
        "bounce": ratio(_n(p, "bounces"), _n(p, "sessions")),
        "dwell": ratio(_n(p, "dwell_ms"), _n(p, "dwell_n")),
        "new_users": _n(p, "new_users"),
        "refund_amount": ratio(refund, gmv),
        "refund_orders": ratio(_n(p, "refunded_orders"), _n(p, "orders")),
        "repurchase": ratio(_n(p, "repeat_buyers"), _n(p, "buyers")),
        "turnover": ratio(_n(p, "sold_value_fen"), float(avg_stock) if avg_stock is not None else None),
        "sell_through": ratio(_n(p, "skus_sold"), _n(p, "skus_on_sale")),
        "first_response": ratio(_n(p, "first_response_s"), _n(p, "answered")),
        "answered": ratio(_n(p, "answered"), _n(p, "conversations")),
        "resolution": ratio(_n(p, "complaint_resolution_s"), _n(p, "complaints_closed")),
        "errors": ratio(_n(p, "errors_5xx"), _n(p, "responses")),
    }


_KIND = {
    "gmv": "money",
    "net_gmv": "money",
    "aov": "money_avg",
    "order_avg": "money_avg",
    "conversion": "ratio",
    "bounce": "ratio",
    "dwell": "ms",
    "refund_amount": "ratio",
    "refund_orders": "ratio",
    "repurchase": "ratio",
    "turnover": "times",
    "sell_through": "ratio",
    "first_response": "seconds",
    "answered": "ratio",
    "resolution": "seconds",
    "errors": "ratio",
}
_DOWN_IS_GOOD = {"bounce", "refund_amount", "refund_orders", "first_response", "resolution", "errors"}
_PLATFORM_ONLY = {"new_users", "errors"}


def build_kpis(current: Mapping[str, Any], previous: Mapping[str, Any], *, shop: int) -> list[Kpi]:
    cur, prev = kpi_values(current), kpi_values(previous)
    out = []
    for key, label in KPI_LABELS.items():
        if shop and key in _PLATFORM_ONLY:
            continue  # counted for the platform only (no shop dimension in those counters)
        out.append(
            Kpi(
                key=key,
                label=label,
                kind=_KIND.get(key, "count"),
                value=cur[key],
                previous=prev[key],
                platform_only=key in _PLATFORM_ONLY,
                good_when_up=key not in _DOWN_IS_GOOD,
            )
        )
    return out


# ---------------------------------------------------------------- queries

_SITE_SUMS = (
    "pv, uv, sessions, bounces, dwell_ms, dwell_n, product_viewers, cart_adders, checkout_visitors, "
    "paying_visitors, orders, paying_buyers, gmv_fen, refund_fen, refunded_orders, new_users, responses, errors_5xx"
)


def _sums(columns: str) -> str:
    return ", ".join(f"coalesce(sum({c.strip()}), 0)::bigint AS {c.strip()}" for c in columns.split(","))


async def _periods(sql: str, f: Filters, *args: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """Runs `sql` (selecting `cur` and sums, with placeholders: the split day, the shop, first day, last day, then
    `args`) over the previous and current period at once."""
    prev = f.previous()
    rows = await fetch(sql, f.start, f.shop, prev.start, f.end, *args)
    by = {r["cur"]: r for r in rows}
    return dict(by.get(True) or {}), dict(by.get(False) or {})


async def overview(f: Filters) -> list[Kpi]:
    site_sql = (
        f"SELECT day >= {{}} AS cur, {_sums(_SITE_SUMS)} FROM analytics_daily_site "  # noqa: S608 (constant)
        "WHERE shop = {} AND day BETWEEN {} AND {} GROUP BY 1"
    )
    stock_sql = (
        "SELECT day >= {} AS cur, coalesce(sum(sold_value_fen), 0)::bigint AS sold_value_fen, "
        "avg(stock_value_fen) AS avg_stock_fen, coalesce(sum(skus_sold), 0)::bigint AS skus_sold, "
        "coalesce(sum(skus_on_sale), 0)::bigint AS skus_on_sale FROM analytics_daily_stock "
        "WHERE shop = {} AND day BETWEEN {} AND {} GROUP BY 1"
    )
    service_sql = (
        "SELECT day >= {} AS cur, "  # noqa: S608 (constant column names)
        + _sums("conversations, answered, first_response_s, complaints_closed, complaint_resolution_s")
        + " FROM analytics_daily_service WHERE shop = {} AND day BETWEEN {} AND {} GROUP BY 1"
    )
    *parts, buyers = await asyncio.gather(*(_periods(sql, f) for sql in (site_sql, stock_sql, service_sql)), _buyers(f))
    current: dict[str, Any] = {}
    previous: dict[str, Any] = {}
    for cur, prev in [*parts, buyers]:
        current |= cur
        previous |= prev
    return build_kpis(current, previous, shop=f.shop)


async def _buyers(f: Filters) -> tuple[dict[str, Any], dict[str, Any]]:
    """Distinct paying buyers and those with 2+ paid orders, in this period and the previous one: one pass over
    the buyer rollup grouped by buyer (one hash key, not two)."""
    prev = f.previous()
    rows = await fetch(
        "SELECT count(*) FILTER (WHERE c >= 1) AS buyers, count(*) FILTER (WHERE c >= 2) AS repeat_buyers, "
        "count(*) FILTER (WHERE p >= 1) AS prev_buyers, count(*) FILTER (WHERE p >= 2) AS prev_repeat "
        "FROM (SELECT sum(orders) FILTER (WHERE day >= {}) AS c, sum(orders) FILTER (WHERE day < {}) AS p "
        "FROM analytics_daily_buyer WHERE shop = {} AND day BETWEEN {} AND {} GROUP BY buyer) t",
        f.start,
        f.start,
        f.shop,
        prev.start,
        f.end,
    )
    r = rows[0] if rows else {}
    return (
        {"buyers": _n(r, "buyers"), "repeat_buyers": _n(r, "repeat_buyers")},
        {"buyers": _n(r, "prev_buyers"), "repeat_buyers": _n(r, "prev_repeat")},
    )


@dataclass(frozen=True, slots=True)
class DayPoint:
    day: date
    gmv_fen: int = 0
    orders: int = 0
    pv: int = 0
    uv: int = 0
    paying_visitors: int = 0

    @property
    def conversion(self) -> float | None:
        return ratio(self.paying_visitors, self.uv)


def fill_days(rows: list[Mapping[str, Any]], start: date, end: date) -> list[DayPoint]:
    """One point per day of the range, zeros where the rollup has no row."""
    by_day = {r["day"]: r for r in rows}
    out = []
    day = start
    while day <= end:
        r = by_day.get(day)
        out.append(
            DayPoint(day, _n(r, "gmv_fen"), _n(r, "orders"), _n(r, "pv"), _n(r, "uv"), _n(r, "paying_visitors"))
            if r
            else DayPoint(day)
        )
        day += timedelta(days=1)
    return out


async def daily_series(f: Filters) -> list[DayPoint]:
    rows = await fetch(
        "SELECT day, gmv_fen, orders, pv, uv, paying_visitors FROM analytics_daily_site "
        "WHERE shop = {} AND day BETWEEN {} AND {} ORDER BY day",
        f.shop,
        f.start,
        f.end,
    )
    return fill_days(rows, f.start, f.end)


FUNNEL_STEPS = (
    ("uv", N_("Visitors")),
    ("product_viewers", N_("Viewed a product")),
    ("cart_adders", N_("Added to cart")),
    ("checkout_visitors", N_("Reached checkout")),
    ("paying_visitors", N_("Paid an order")),
)


@dataclass(frozen=True, slots=True)
class FunnelStep:
    key: str
    label: str
    count: int
    step_ratio: float | None  # of the previous step
    overall: float | None  # of the visitors


def funnel_steps(sums: Mapping[str, Any]) -> list[FunnelStep]:
    out: list[FunnelStep] = []
    first = _n(sums, "uv")
    before: int | None = None
    for key, label in FUNNEL_STEPS:
        count = _n(sums, key)
        step = ratio(count, before) if before is not None else None
        out.append(FunnelStep(key, label, count, step, ratio(count, first)))
        before = count
    return out


async def funnel(f: Filters) -> list[FunnelStep]:
    row = await fetch(
        "SELECT " + _sums("uv, product_viewers, cart_adders, checkout_visitors, paying_visitors") + " "
        "FROM analytics_daily_site WHERE shop = {} AND day BETWEEN {} AND {}",
        f.shop,
        f.start,
        f.end,
    )
    return funnel_steps(row[0] if row else {})


@dataclass(frozen=True, slots=True)
class Cohort:
    day: date
    size: int
    d1: float | None  # None: not observable yet (the day has not come) or an empty cohort
    d7: float | None
    d30: float | None


def cohort_row(row: Mapping[str, Any], *, today: date) -> Cohort:
    day, size = row["first_day"], _n(row, "size")

    def share(k: int) -> float | None:
        return ratio(_n(row, f"d{k}"), size) if day + timedelta(days=k) < today else None

    return Cohort(day, size, share(1), share(7), share(30))


async def retention(f: Filters, *, today: date) -> list[Cohort]:
    """Users first seen on day d (in the range; the last COHORT_DAYS of it) and the share of them active on
    d+1, d+7, d+30. Platform-wide: activity has no shop dimension."""
    first = max(f.start, f.end - timedelta(days=COHORT_DAYS - 1))
    rows = await fetch(
        "SELECT first_day, count(*) FILTER (WHERE day = first_day) AS size, "
        "count(*) FILTER (WHERE day = first_day + 1) AS d1, count(*) FILTER (WHERE day = first_day + 7) AS d7, "
        "count(*) FILTER (WHERE day = first_day + 30) AS d30 FROM analytics_daily_active "
        "WHERE first_day BETWEEN {} AND {} AND day IN (first_day, first_day + 1, first_day + 7, first_day + 30) "
        "GROUP BY first_day ORDER BY first_day DESC",
        first,
        f.end,
    )
    return [cohort_row(r, today=today) for r in rows]


async def top_searches(f: Filters) -> list[dict[str, Any]]:
    return await fetch(
        "SELECT keyword, sum(searches)::bigint AS searches, sum(searchers)::bigint AS searchers, "
        "sum(no_result)::bigint AS no_result FROM analytics_daily_search WHERE day BETWEEN {} AND {} "
        "GROUP BY keyword ORDER BY 2 DESC, keyword LIMIT {}",
        f.start,
        f.end,
        TOP_N,
    )


async def no_result_searches(f: Filters) -> list[dict[str, Any]]:
    return await fetch(
        "SELECT keyword, sum(no_result)::bigint AS no_result, sum(searches)::bigint AS searches "
        "FROM analytics_daily_search WHERE day BETWEEN {} AND {} AND no_result > 0 "
        "GROUP BY keyword ORDER BY 2 DESC, keyword LIMIT {}",
        f.start,
        f.end,
        TOP_N,
    )


async def category_share(f: Filters) -> list[dict[str, Any]]:
    """GMV per top-level category and its share of the total (the category filter keeps one row)."""
    rows = await fetch(
        "SELECT t.*, c.name_zh, c.name_en FROM (SELECT category, sum(gmv_fen)::bigint AS gmv_fen, "
        "sum(orders)::bigint AS orders, sum(units)::bigint AS units, sum(sum(gmv_fen)) OVER ()::bigint AS total "
        "FROM analytics_daily_category WHERE shop = {} AND day BETWEEN {} AND {} GROUP BY category) t "
        "LEFT JOIN category c ON c.id = t.category WHERE ({} = 0 OR t.category = {}) "
        "ORDER BY t.gmv_fen DESC, t.category LIMIT {}",
        f.shop,
        f.start,
        f.end,
        f.category or 0,
        f.category or 0,
        TOP_N,
    )
    return [{**r, "share": ratio(r["gmv_fen"], r["total"])} for r in rows]


async def seller_ranking(f: Filters) -> list[dict[str, Any]]:
    rows = await fetch(
        "SELECT t.*, s.name FROM (SELECT shop, sum(gmv_fen)::bigint AS gmv_fen, sum(orders)::bigint AS orders, "
        "sum(refund_fen)::bigint AS refund_fen, sum(refunded_orders)::bigint AS refunded_orders, "
        "sum(uv)::bigint AS uv, sum(paying_visitors)::bigint AS paying_visitors FROM analytics_daily_site "
        "WHERE shop <> 0 AND day BETWEEN {} AND {} AND ({} = 0 OR shop = {}) GROUP BY shop "
        "ORDER BY 2 DESC, shop LIMIT {}) t LEFT JOIN shop s ON s.id = t.shop ORDER BY t.gmv_fen DESC, t.shop",
        f.start,
        f.end,
        f.shop,
        f.shop,
        TOP_N,
    )
    return [
        {
            **r,
            "refund_rate": ratio(r["refund_fen"], r["gmv_fen"]),
            "refund_order_rate": ratio(r["refunded_orders"], r["orders"]),
            "conversion": ratio(r["paying_visitors"], r["uv"]),
        }
        for r in rows
    ]


async def top_products(f: Filters) -> list[dict[str, Any]]:
    """Best sellers by GMV; with a category filter, the products in that category's subtree."""
    rows = await fetch(
        "SELECT t.*, p.title FROM (SELECT product, min(shop) AS shop, sum(units)::bigint AS units, "
        "sum(orders)::bigint AS orders, sum(gmv_fen)::bigint AS gmv_fen, sum(refund_fen)::bigint AS refund_fen, "
        "sum(views)::bigint AS views, sum(viewers)::bigint AS viewers FROM analytics_daily_product "
        "WHERE day BETWEEN {} AND {} AND ({} = 0 OR shop = {}) AND ({} = 0 OR category IN "
        "(SELECT id FROM category WHERE path LIKE {})) GROUP BY product HAVING sum(units) > 0 "
        "ORDER BY sum(gmv_fen) DESC, product LIMIT {}) t LEFT JOIN product p ON p.id = t.product "
        "ORDER BY t.gmv_fen DESC, t.product",
        f.start,
        f.end,
        f.shop,
        f.shop,
        f.category or 0,
        f"%/{f.category or 0}/%",
        TOP_N,
    )
    return [{**r, "conversion": ratio(r["orders"], r["viewers"])} for r in rows]


def _campaign_where(f: Filters) -> tuple[str, list[Any]]:
    sql, args = "", []
    if f.shop:
        sql += " AND shop = {}"
        args.append(f.shop)
    if f.campaign == "platform":
        sql += " AND shop = 0"
    elif f.campaign == "shop":
        sql += " AND shop <> 0"
    elif f.campaign:
        sql += " AND source = {}"
        args.append(f.campaign)
    return sql, args


async def campaigns(f: Filters) -> list[dict[str, Any]]:
    where, args = _campaign_where(f)
    rows = await fetch(
        "SELECT source, shop, sum(participants)::bigint AS participants, sum(orders)::bigint AS orders, "  # noqa: S608
        "sum(gmv_fen)::bigint AS gmv_fen, sum(discount_fen)::bigint AS discount_fen, "
        "sum(platform_fen)::bigint AS platform_fen FROM analytics_daily_campaign WHERE day BETWEEN {} AND {}"
        + where
        + " GROUP BY source, shop ORDER BY 5 DESC, source LIMIT {}",
        f.start,
        f.end,
        *args,
        TOP_N * 2,
    )
    names = await campaign_names([r["source"] for r in rows])
    return [
        {
            **r,
            "name": names.get(r["source"], r["source"]),
            "label": source_label(r["source"]),  # a msgid to translate instead of the name
            "rank": r["source"].partition(":")[2],
            "issuer": "shop" if r["shop"] else "platform",
            "cost_benefit": ratio(r["discount_fen"], r["gmv_fen"]),
        }
        for r in rows
    ]


_NAME_SQL = {
    "promo": "SELECT id, name FROM promotion WHERE id = ANY({})",
    "gift": "SELECT id, name FROM promotion WHERE id = ANY({})",
    "coupon": "SELECT id, name FROM coupon_template WHERE id = ANY({})",
    "flash": "SELECT fi.id, fs.title || ' · ' || p.title AS name FROM flash_item fi "
    "JOIN flash_session fs ON fs.id = fi.session JOIN product p ON p.id = fi.product WHERE fi.id = ANY({})",
}
SOURCE_LABELS = {"points": N_("Points deduction"), "member": N_("Member price")}


def source_label(source: str) -> str | None:
    """The msgid naming a source that has no row of its own ('points', 'member:<rank>'), else None."""
    return SOURCE_LABELS.get(source.partition(":")[0])


async def campaign_names(sources: list[str]) -> dict[str, str]:
    """'promo:3' / 'gift:3' → the promotion's name, 'coupon:…' → the coupon's, 'flash:<item>' → session · product;
    one query per kind. Sources without a row ('points', 'member:<rank>') are named by source_label()."""
    ids: dict[str, set[int]] = {}
    for source in sources:
        kind, _, ident = source.partition(":")
        if kind in _NAME_SQL and ident.isdigit():
            ids.setdefault(kind, set()).add(int(ident))
    out: dict[str, str] = {}
    for kind, wanted in ids.items():
        for r in await fetch(_NAME_SQL[kind], sorted(wanted)):
            out[f"{kind}:{r['id']}"] = r["name"]
    return out


async def campaign_options(f: Filters) -> list[dict[str, str]]:
    """The campaigns with results in the range (for the filter's list)."""
    rows = await fetch(
        "SELECT DISTINCT source FROM analytics_daily_campaign WHERE day BETWEEN {} AND {} "
        "AND ({} = 0 OR shop = {}) ORDER BY source LIMIT 200",
        f.start,
        f.end,
        f.shop,
        f.shop,
    )
    names = await campaign_names([r["source"] for r in rows])
    return [
        {
            "value": r["source"],
            "name": names.get(r["source"], r["source"]),
            "label": source_label(r["source"]),
            "rank": r["source"].partition(":")[2],
        }
        for r in rows
    ]


async def shop_options() -> list[dict[str, Any]]:
    return await fetch("SELECT id, name FROM shop ORDER BY name LIMIT 1000")


async def category_options() -> list[dict[str, Any]]:
    return await fetch("SELECT id, name_zh, name_en FROM category WHERE level = 1 ORDER BY sort_order, id")


# ---------------------------------------------------------------- the dashboards


@dataclass(slots=True)
class Dashboard:
    filters: Filters
    kpis: list[Kpi]
    series: list[DayPoint]
    funnel: list[FunnelStep]
    products: list[dict[str, Any]]
    campaigns: list[dict[str, Any]]
    categories: list[dict[str, Any]] = field(default_factory=list)
    sellers: list[dict[str, Any]] = field(default_factory=list)
    searches: list[dict[str, Any]] = field(default_factory=list)
    no_result: list[dict[str, Any]] = field(default_factory=list)
    cohorts: list[Cohort] = field(default_factory=list)

    def kpi(self, key: str) -> Kpi | None:
        return next((k for k in self.kpis if k.key == key), None)


async def admin_dashboard(f: Filters) -> Dashboard:
    (kpis, series, steps, products, camps, cats, sellers, searches, no_result, cohorts) = await asyncio.gather(
        overview(f),
        daily_series(f),
        funnel(f),
        top_products(f),
        campaigns(f),
        category_share(f),
        seller_ranking(f),
        top_searches(f),
        no_result_searches(f),
        retention(f, today=today()),
    )
    return Dashboard(f, kpis, series, steps, products, camps, cats, sellers, searches, no_result, cohorts)


async def seller_dashboard(f: Filters) -> Dashboard:
    assert f.shop, "the seller dashboard is per shop"
    kpis, series, steps, products, camps, cats = await asyncio.gather(
        overview(f), daily_series(f), funnel(f), top_products(f), campaigns(f), category_share(f)
    )
    return Dashboard(f, kpis, series, steps, products, camps, cats)


@dataclass(frozen=True, slots=True)
class Summary:
    """The home pages' block: today and the last 7 days."""

    today: dict[str, float | None]
    week: dict[str, float | None]


async def summary(*, shop: int = 0) -> Summary:
    day = today()
    rows = await fetch(
        "SELECT day = {} AS is_today, " + _sums("gmv_fen, orders, uv, paying_visitors, refund_fen") + " "
        "FROM analytics_daily_site WHERE shop = {} AND day BETWEEN {} AND {} GROUP BY 1",
        day,
        shop,
        day - timedelta(days=6),
        day,
    )
    now_ = next((r for r in rows if r["is_today"]), {})
    week = {k: sum(_n(r, k) for r in rows) for k in ("gmv_fen", "orders", "uv", "paying_visitors")}

    def values(r: Mapping[str, Any]) -> dict[str, float | None]:
        return {
            "gmv": _n(r, "gmv_fen"),
            "orders": _n(r, "orders"),
            "uv": _n(r, "uv"),
            "conversion": ratio(_n(r, "paying_visitors"), _n(r, "uv")),
        }

    return Summary(values(now_), values(week))
