"""Storefront listing pages, all answered by catalog.search: home feed, category pages, search (with
suggestions, history and hot searches), shop pages; plus sitemap.xml and robots.txt."""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template
from markupsafe import Markup

from app.assessment import services as assessment_services
from app.catalog import search as catalog_search
from app.catalog import services
from app.catalog.errors import ShopNotFound
from app.catalog.search import parse_query
from app.core.db import fetch
from app.core.i18n import N_, get_locale
from app.sellers import decoration as shop_decoration
from app.web.auth import current_user
from app.web.fragments import cached_fragment
from app.web.guards import requires_login
from app.web.htmx import is_htmx, render
from app.web.pagecache import cache_page

VISITOR_COOKIE = "vid"
VISITOR_COOKIE_SECONDS = 365 * 86400
FEED_PAGE = 20
HOME_LAYOUTS = ("compact",)  # home-page variants of the A/B test besides the usual one (app/analytics/experiments)
# Listings are public and the same for every shopper: a few seconds of staleness (a new product, a changed
# price in a card) is invisible, while a popular query at 100k products costs 10-100 ms of database time.
LISTING_CACHE_SECONDS = 5.0


def _params(request: Request) -> dict[str, list[str]]:
    return {key: request.query_params.getall(key) for key in request.query_params}


def _html(fragment: str) -> Response[str]:
    return Response(fragment, media_type="text/html", headers={"Vary": "HX-Request"})


async def _results_fragment(request: Request, context: Any) -> Markup:
    """The results block of a listing: the same for everyone who asks for the same URL in the same language."""
    return await cached_fragment(
        request,
        "storefront/catalog/_results.html",
        key=(request.url.path, request.url.query),
        ttl=LISTING_CACHE_SECONDS,
        context=context,
    )


def _visitor(request: Request) -> str:
    return request.cookies.get(VISITOR_COOKIE, "")


def _log_replayed_search(keyword: str, results: int) -> Callable[[dict[str, str]], list[tuple[bytes, bytes]]]:
    """For the page cache: a search answered from memory is logged like one answered by the handler."""

    def on_hit(cookies: dict[str, str]) -> list[tuple[bytes, bytes]]:
        visitor = cookies.get(VISITOR_COOKIE) or secrets.token_urlsafe(12)
        catalog_search.log_search_later(keyword=keyword, visitor=visitor, results=results)
        if cookies.get(VISITOR_COOKIE):
            return []
        cookie = f"{VISITOR_COOKIE}={visitor}; Max-Age={VISITOR_COOKIE_SECONDS}; Path=/; HttpOnly; SameSite=Lax"
        return [(b"set-cookie", cookie.encode())]

    return on_hit


async def shop_page(
    request: Request,
    *,
    header: services.ShopHeader,
    view: shop_decoration.ShopView,
    section_id: int | None,
    base: str,
) -> Template | Response[str]:
    """A shop page (the storefront's, or the seller's preview of its draft under `base`): decoration from
    `view`, then the products of the shop or of one of the tabs `view` shows (any other section: 404)."""
    if section_id is not None and not any(s["id"] == section_id for s in view.decoration.sections):
        raise ShopNotFound(N_("This shop category does not exist."))

    async def results() -> dict[str, Any]:
        query = parse_query({**_params(request), "shop": [str(header.id)]})
        query.section_id = section_id
        result = await catalog_search.search(query, max_age=LISTING_CACHE_SECONDS)
        return {"result": result, "shop": header, "locale": get_locale()}

    if view.preview:  # a draft: never cached, never shared
        html = await cached_fragment(request, "storefront/catalog/_results.html", key=(), ttl=0, context=results)
    else:
        html = await _results_fragment(request, results)
    if is_htmx(request):
        return _html(html)
    user = current_user(request)
    following = user is not None and await services.is_favorite(user_id=user.id, shop_id=header.id)
    return render(
        request,
        "storefront/catalog/shop.html",
        shop=header,
        deco=view.decoration,
        featured=view.featured,
        preview=view.preview,
        base=base,
        section_id=section_id,
        query_q=request.query_params.get("q", ""),
        results_html=html,
        following=following,
        locale=get_locale(),
    )


class ListingStorefrontController(Controller):
    path = "/"

    @get("/", name="store:home")
    async def home(self, request: Request) -> Template | Response[str]:
        async def feed() -> dict[str, Any]:
            query = parse_query({**_params(request), "sort": "sales"})
            query.per_page = FEED_PAGE
            result = await catalog_search.search(query, facets=False, max_age=LISTING_CACHE_SECONDS)
            if query.page == 1:  # assessment (issue 9): boosted shops' best sellers lead the feed
                result = await assessment_services.lead_with_boosted(result)
            return {"result": result}

        feed_html = await cached_fragment(
            request, "storefront/catalog/_feed.html", key=(request.url.query,), ttl=LISTING_CACHE_SECONDS,
            context=feed,
        )  # fmt: skip
        if current_user(request) is None:
            cache_page(request, ttl=LISTING_CACHE_SECONDS)
        if is_htmx(request) and request.query_params.get("page"):
            return _html(feed_html)
        roots, _nodes = await services.category_tree()
        # the A/B layout is set in the query by analytics capture from the visitor's stable assignment (a client's
        # own ?layout= is dropped there), so the page cache keeps one copy per layout (app/analytics/experiments.py)
        layout = request.query_params.get("layout") if request.query_params.get("layout") in HOME_LAYOUTS else ""
        return render(
            request,
            "storefront/home.html",
            layout=layout,
            feed_html=feed_html,
            shortcuts=roots[:10],
            locale=get_locale(),
            hot=await catalog_search.hot_searches(limit=6),
        )

    @get("/c/{category_id:int}", name="store:category")
    async def category(self, request: Request, category_id: FromPath[int]) -> Template | Response[str]:
        node, trail = await services.category(category_id=category_id)

        async def results() -> dict[str, Any]:
            query = parse_query({**_params(request), "category": [str(category_id)]})
            result = await catalog_search.search(query, max_age=LISTING_CACHE_SECONDS)
            return {"result": result, "node": node, "locale": get_locale()}

        html = await _results_fragment(request, results)
        if current_user(request) is None:
            cache_page(request, ttl=LISTING_CACHE_SECONDS)
        if is_htmx(request):
            return _html(html)
        return render(
            request, "storefront/catalog/category.html", node=node, trail=trail, results_html=html, locale=get_locale()
        )

    @get("/search", name="store:search")
    async def search(self, request: Request) -> Template | Response[Any]:
        query = parse_query(_params(request))
        user = current_user(request)
        context: dict[str, Any] = {"query": query, "locale": get_locale(), "result": None}
        response_cookie = None
        if query.q or query.has_filters:
            result = await catalog_search.search(query, max_age=LISTING_CACHE_SECONDS)
            context["result"] = result
            recorded = query.q and query.page == 1 and not is_htmx(request)  # sort/filter changes are not new searches
            if recorded:
                visitor = _visitor(request) or secrets.token_urlsafe(12)
                response_cookie = None if _visitor(request) else visitor
                await catalog_search.record_search(
                    keyword=query.q, user_id=user.id if user else None, visitor=visitor, results=result.total
                )
            if user is None:  # the page is the same for every anonymous visitor; a replay still logs the search
                cache_page(
                    request,
                    ttl=LISTING_CACHE_SECONDS,
                    on_hit=_log_replayed_search(query.q, result.total) if recorded else None,
                )
        else:
            context["history"] = await catalog_search.history(user_id=user.id) if user else []
            context["hot"] = await catalog_search.hot_searches()
        if context["result"] is not None:
            context["results_html"] = await _results_fragment(
                request, {"result": context["result"], "locale": get_locale()}
            )
            if is_htmx(request):
                return _html(context["results_html"])
        template = render(request, "storefront/catalog/search.html", **context)
        if response_cookie:
            template.set_cookie(
                VISITOR_COOKIE, response_cookie, max_age=VISITOR_COOKIE_SECONDS, httponly=True, samesite="lax"
            )
        return template

    @get("/search/suggest", name="store:search-suggest")
    async def suggest(self, request: Request, q: FromQuery[str] = "") -> Template:
        words = await catalog_search.suggest(q.strip()[:32]) if q.strip() else []
        return Template(template_name="storefront/catalog/_suggest.html", context={"words": words, "q": q})

    @post("/search/history/clear", name="store:search-history-clear", guards=[requires_login])
    async def clear_history(self, request: Request) -> Redirect:
        user = current_user(request)
        assert user
        await catalog_search.clear_history(user_id=user.id)
        return Redirect(path="/search", status_code=303)

    @get(["/s/{shop_id:int}", "/s/{shop_id:int}/t/{section_id:int}"], name="store:shop")
    async def shop(
        self, request: Request, shop_id: FromPath[int], section_id: FromPath[int | None] = None
    ) -> Template | Response[str]:
        """The shop page: its published decoration (logo, banner, notice, featured products, section tabs) and
        its products, all of them or one section's (/t/<section>), searchable inside the shop."""
        header = await services.shop_header(shop_id=shop_id)
        view = await shop_decoration.published_view(shop_id=shop_id)
        return await shop_page(request, header=header, view=view, section_id=section_id, base=f"/s/{shop_id}")

    @get("/robots.txt", name="robots", include_in_schema=False)
    async def robots(self, request: Request) -> Response[str]:
        base = str(request.base_url).rstrip("/")
        body = f"User-agent: *\nDisallow: /me\nDisallow: /seller\nDisallow: /admin\nSitemap: {base}/sitemap.xml\n"
        return Response(body, media_type="text/plain")

    @get("/sitemap.xml", name="sitemap", include_in_schema=False)
    async def sitemap(self, request: Request) -> Template:
        rows = await fetch(
            "SELECT p.id, p.updated_at FROM product p JOIN shop s ON s.id = p.shop "
            "WHERE p.status = 'active' AND s.status = 'active' ORDER BY p.id DESC LIMIT 45000"
        )
        _roots, nodes = await services.category_tree()
        return Template(
            template_name="sitemap.xml",
            media_type="application/xml",
            context={"base": str(request.base_url).rstrip("/"), "products": rows, "categories": list(nodes)},
        )
