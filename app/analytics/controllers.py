"""Pages of the analytics app (issue 9): the platform dashboard (/admin/analytics/, operations and finance), the
seller dashboard (/seller/analytics/, its own shop only: the shop comes from the session, never the query), the
CSV export of every table with the same filters, and the small summary blocks the home pages load."""

from __future__ import annotations

import asyncio
import csv
import io
from collections.abc import Callable, Iterable
from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get
from litestar.params import FromPath
from litestar.response import Template

from app.analytics import metrics
from app.analytics.charts import bar_chart, line_chart
from app.core.errors import NotFound
from app.core.i18n import N_, get_locale, gettext
from app.core.money import format_fen
from app.reviews import services as review_services
from app.sellers.permissions import requires_shop_permission
from app.web.guards import requires_platform_role
from app.web.htmx import render

TABLE_NOT_FOUND = N_("There is no such table.")
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _params(request: Request) -> dict[str, str]:
    return {k: v for k, v in request.query_params.items() if isinstance(v, str)}


# ---------------------------------------------------------------- charts and formatting


def _short_day(day: date) -> str:
    return f"{day.month}/{day.day}" if get_locale() == "en" else f"{day.month}月{day.day}日"


def _money_axis(fen: float) -> str:
    """Axis ticks are round numbers: whole yuan without the cents (¥1,000), cents only below ¥1."""
    fen = round(fen)
    return format_fen(fen) if fen % 100 else format_fen(fen).rsplit(".", 1)[0]


def _count(value: float) -> str:
    return f"{value:,.0f}"


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def charts(d: metrics.Dashboard) -> dict[str, Any]:
    labels = [_short_day(p.day) for p in d.series]
    out: dict[str, Any] = {
        "gmv": line_chart(
            labels, [p.gmv_fen for p in d.series], title=gettext("GMV per day"), fmt=_money_axis, chart_id="chart-gmv"
        ),
        "traffic": line_chart(
            labels, [p.uv for p in d.series], title=gettext("Visitors per day"), fmt=_count, chart_id="chart-uv"
        ),
        "funnel": bar_chart(
            [gettext(s.label) for s in d.funnel],
            [s.count for s in d.funnel],
            title=gettext("Conversion funnel"),
            fmt=_count,
            chart_id="chart-funnel",
        ),
    }
    name = "name_en" if get_locale() == "en" else "name_zh"
    if d.categories:
        out["categories"] = bar_chart(
            [c.get(name) or str(c["category"]) for c in d.categories],
            [c["gmv_fen"] for c in d.categories],
            title=gettext("Category share"),
            fmt=_money_axis,
            chart_id="chart-categories",
        )
    return out


# ---------------------------------------------------------------- CSV


def safe_cell(value: Any) -> str:
    """A CSV cell: text that a spreadsheet would run as a formula (= + - @, tab, CR first) gets a leading '."""
    if value is None:
        return "—"
    if isinstance(value, Yuan):
        return str(value)
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return f"{value:.4f}"
    text = str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def csv_bytes(headers: list[str], rows: Iterable[list[Any]]) -> bytes:
    """UTF-8 with a BOM (so Excel reads the Chinese right), every cell through safe_cell."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in headers])
    for row in rows:
        writer.writerow([safe_cell(c) for c in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


class Yuan(str):
    """A money cell: already formatted, never a formula even when negative."""


def _yuan(fen: int) -> Yuan:
    """Fen → '12.30' for a spreadsheet (always two decimals)."""
    whole, cents = divmod(abs(int(fen)), 100)
    return Yuan(f"{'-' if fen < 0 else ''}{whole}.{cents:02d}")


def _kpi_cell(kind: str, value: float | None) -> Any:
    if value is None:
        return None
    if kind in ("money", "money_avg"):
        return _yuan(round(value))
    if kind == "ms":
        return round(value / 1000, 1)
    if kind in ("seconds", "ratio", "times"):
        return float(value)
    return int(value)


async def _table(name: str, f: metrics.Filters, *, admin: bool) -> tuple[list[str], list[list[Any]]]:
    """The export of one dashboard table: translated headers and raw rows (ratios as fractions, money in yuan)."""
    t = gettext
    if name == "overview":
        kpis = await metrics.overview(f)
        return [t("Metric"), t("This period"), t("Previous period"), t("Change")], [
            [t(k.label), _kpi_cell(k.kind, k.value), _kpi_cell(k.kind, k.previous), k.delta] for k in kpis
        ]
    if name == "daily":
        series = await metrics.daily_series(f)
        return [t("Day"), t("GMV (yuan)"), t("Paid orders"), t("Page views"), t("Visitors"), t("Conversion")], [
            [p.day.isoformat(), _yuan(p.gmv_fen), p.orders, p.pv, p.uv, p.conversion] for p in series
        ]
    if name == "funnel":
        steps = await metrics.funnel(f)
        return [t("Step"), t("People"), t("Of the step before"), t("Of the visitors")], [
            [t(s.label), s.count, s.step_ratio, s.overall] for s in steps
        ]
    if name == "products":
        rows = await metrics.top_products(f)
        headers = [t("Product"), t("Units"), t("Paid orders"), t("GMV (yuan)"), t("Refunds (yuan)"), t("Views")]
        return headers, [
            [
                r["title"] or r["product"],
                r["units"],
                r["orders"],
                _yuan(r["gmv_fen"]),
                _yuan(r["refund_fen"]),
                r["views"],
            ]
            for r in rows
        ]
    if name == "campaigns":
        rows = await metrics.campaigns(f)
        return [
            t("Campaign"),
            t("Issuer"),
            t("Participants"),
            t("Paid orders"),
            t("GMV driven (yuan)"),
            t("Discount cost (yuan)"),
            t("Cost-benefit"),
        ], [
            [
                t(r["label"]) + (f" ({r['rank']})" if r["rank"] else "") if r["label"] else r["name"],
                t("Platform") if r["issuer"] == "platform" else t("Shop"),
                r["participants"],
                r["orders"],
                _yuan(r["gmv_fen"]),
                _yuan(r["discount_fen"]),
                r["cost_benefit"],
            ]
            for r in rows
        ]
    if name == "categories":
        key = "name_en" if get_locale() == "en" else "name_zh"
        rows = await metrics.category_share(f)
        return [t("Category"), t("GMV (yuan)"), t("Paid orders"), t("Units"), t("Share")], [
            [r[key] or r["category"], _yuan(r["gmv_fen"]), r["orders"], r["units"], r["share"]] for r in rows
        ]
    if admin and name == "sellers":
        rows = await metrics.seller_ranking(f)
        return [t("Shop"), t("GMV (yuan)"), t("Paid orders"), t("Refund rate by amount"), t("Refund rate by orders")], [
            [r["name"] or r["shop"], _yuan(r["gmv_fen"]), r["orders"], r["refund_rate"], r["refund_order_rate"]]
            for r in rows
        ]
    if admin and name == "searches":
        rows = await metrics.top_searches(f)
        return [t("Keyword"), t("Searches"), t("Searchers"), t("No result")], [
            [r["keyword"], r["searches"], r["searchers"], r["no_result"]] for r in rows
        ]
    if admin and name == "no-result":
        rows = await metrics.no_result_searches(f)
        headers = [t("Keyword"), t("No result"), t("Searches")]
        return headers, [[r["keyword"], r["no_result"], r["searches"]] for r in rows]
    if admin and name == "cohorts":
        cohorts = await metrics.retention(f, today=metrics.today())
        return [t("First seen"), t("Users"), "D1", "D7", "D30"], [
            [c.day.isoformat(), c.size, c.d1, c.d7, c.d30] for c in cohorts
        ]
    if not admin and name == "dsr":
        own, category = await review_services.shop_dsr(shop_id=f.shop)
        headers = ["", t("Item as described"), t("Seller service"), t("Delivery speed"), t("Ratings")]
        return headers, [
            [label, d.description, d.service, d.logistics, d.count]
            for label, d in ((t("Your shop"), own), (t("Shops in your main category"), category))
        ]
    raise NotFound(TABLE_NOT_FOUND)


async def _export(name: str, f: metrics.Filters, *, admin: bool) -> Response[bytes]:
    table = name.removesuffix(".csv")
    if table == name:
        raise NotFound(TABLE_NOT_FOUND)
    headers, rows = await _table(table, f, admin=admin)
    filename = f"analytics-{table}-{f.start.isoformat()}-{f.end.isoformat()}.csv"
    return Response(
        content=csv_bytes(headers, rows),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


# ---------------------------------------------------------------- pages


async def _page(
    request: Request,
    *,
    page: str,
    fragment: str,
    load: Callable[[metrics.Filters], Any],
    shop: int | None,
    extra: dict[str, Any],
) -> Template:
    params = _params(request)
    try:
        f = metrics.parse_filters(params, today=metrics.today(), shop=shop)
    except metrics.FilterError as exc:
        try:  # keep the shop, category and campaign typed when only the dates are wrong
            rest = {k: v for k, v in params.items() if k not in ("range", "start", "end")}
            fallback = metrics.parse_filters(rest, today=metrics.today(), shop=shop)
        except metrics.FilterError:
            fallback = metrics.parse_filters({}, today=metrics.today(), shop=shop)
        return render(
            request,
            page,
            fragment,
            status_code=422,
            f=fallback,
            form=params,
            error=exc,
            d=None,
            charts={},
            presets=metrics.PRESET_LABELS,
            campaign_options=await metrics.campaign_options(fallback),
            **extra,
        )
    d, campaign_options = await asyncio.gather(load(f), metrics.campaign_options(f))
    return render(
        request,
        page,
        fragment,
        f=f,
        form=params,
        error=None,
        d=d,
        charts=charts(d),
        presets=metrics.PRESET_LABELS,
        campaign_options=campaign_options,
        **extra,
    )


class AnalyticsAdminController(Controller):
    path = "/admin/analytics"
    guards = [requires_platform_role("operations", "finance")]

    @get("/", name="admin:analytics")
    async def dashboard(self, request: Request) -> Template:
        shops, categories = await asyncio.gather(metrics.shop_options(), metrics.category_options())
        return await _page(
            request,
            page="admin/analytics/index.html",
            fragment="admin/analytics/_results.html",
            load=metrics.admin_dashboard,
            shop=None,
            extra={
                "shops": shops,
                "categories": categories,
                "export_base": "/admin/analytics/export/",
                "admin": True,
            },
        )

    @get("/export/{name:str}", name="admin:analytics-export")
    async def export(self, request: Request, name: FromPath[str]) -> Response[bytes]:
        f = metrics.parse_filters(_params(request), today=metrics.today())
        return await _export(name, f, admin=True)

    @get("/summary", name="admin:analytics-summary")
    async def summary(self, request: Request) -> Template:
        return Template(
            template_name="admin/analytics/_summary.html",
            context={"s": await metrics.summary(), "link": "/admin/analytics/"},
        )


class AnalyticsSellerController(Controller):
    path = "/seller/analytics"
    guards = [requires_shop_permission("dashboard.view")]

    @get("/", name="seller:analytics")
    async def dashboard(self, request: Request) -> Template:
        shop_id = int(request.state.shop.shop_id)
        (own, category), categories = await asyncio.gather(
            review_services.shop_dsr(shop_id=shop_id), metrics.category_options()
        )
        return await _page(
            request,
            page="seller/analytics/index.html",
            fragment="seller/analytics/_results.html",
            load=metrics.seller_dashboard,
            shop=shop_id,
            extra={
                "categories": categories,
                "export_base": "/seller/analytics/export/",
                "admin": False,
                "dsr": own,
                "dsr_category": category,
                "shop": request.state.shop,
            },
        )

    @get("/export/{name:str}", name="seller:analytics-export")
    async def export(self, request: Request, name: FromPath[str]) -> Response[bytes]:
        f = metrics.parse_filters(_params(request), today=metrics.today(), shop=int(request.state.shop.shop_id))
        return await _export(name, f, admin=False)

    @get("/summary", name="seller:analytics-summary")
    async def summary(self, request: Request) -> Template:
        return Template(
            template_name="admin/analytics/_summary.html",
            context={"s": await metrics.summary(shop=int(request.state.shop.shop_id)), "link": "/seller/analytics/"},
        )


ROUTES: list[Any] = [AnalyticsAdminController, AnalyticsSellerController]
