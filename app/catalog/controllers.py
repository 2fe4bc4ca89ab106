"""Storefront catalog pages: categories, product pages (with the htmx SKU selector), shop pages,
favourites and browsing history. Listing and search pages are in search_controllers.py."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.catalog import services
from app.catalog.skus import select
from app.core.i18n import N_, get_locale
from app.web.auth import current_user
from app.web.errors import safe_next
from app.web.flash import flash
from app.web.forms import form_data
from app.web.fragments import cached_fragment
from app.web.guards import requires_login
from app.web.htmx import is_htmx, render
from app.web.pagecache import cache_page

SPEC_PREFIX = "spec."
# Whole anonymous product pages: dropped at once by the change feed when the product changes
PRODUCT_PAGE_SECONDS = 300.0
PRODUCT_FRAGMENT_SECONDS = 600.0  # the key carries updated_at, so a change shows at once anyway


def _wanted_specs(request: Request) -> dict[str, str]:
    return {k[len(SPEC_PREFIX) :]: v for k, v in request.query_params.items() if k.startswith(SPEC_PREFIX)}


class CatalogStorefrontController(Controller):
    path = "/"

    @get("/categories", name="store:categories")
    async def categories(self, request: Request, c: FromQuery[int | None] = None) -> Template:
        roots, _nodes = await services.category_tree()
        current = next((r for r in roots if r.id == c), roots[0] if roots else None)
        return Template(
            template_name="storefront/catalog/categories.html",
            context={"roots": roots, "current": current, "locale": get_locale()},
        )

    @get("/p/{product_id:int}", name="store:product")
    async def product(self, request: Request, product_id: FromPath[int]) -> Template:
        user = current_user(request)
        detail = await services.product_detail(product_id=product_id, viewer=user, cached=True)
        selection = select(detail.specs, detail.skus, _wanted_specs(request))
        if user is None and detail.visible_to_shoppers:  # the same page for every anonymous visitor
            cache_page(request, ttl=PRODUCT_PAGE_SECONDS, tag=f"p:{detail.id}")
        if is_htmx(request):
            return render(request, "storefront/catalog/_buybox.html", detail=detail, selection=selection)
        _node, trail = await services.category(category_id=detail.category_id)
        favorite = False
        if user is not None:
            favorite = await services.view_product(
                user_id=user.id, product_id=product_id, record=detail.visible_to_shoppers
            )
        # The public parts are the same for every visitor: rendered once per product version, language and
        # chosen specs (hidden products, seen only by their staff, are not kept).
        version = (detail.id, detail.updated_at)
        keep = PRODUCT_FRAGMENT_SECONDS if detail.visible_to_shoppers else 0
        context = {"detail": detail, "selection": selection, "trail": trail, "locale": get_locale()}
        top = await cached_fragment(
            request, "storefront/catalog/_product_top.html", ttl=keep, context=context,
            key=(*version, tuple(sorted(selection.chosen.items()))),
        )  # fmt: skip
        bottom = await cached_fragment(
            request, "storefront/catalog/_product_bottom.html", key=version, ttl=keep, context=context
        )
        return render(
            request,
            "storefront/catalog/product.html",
            detail=detail,
            favorite=favorite,
            top_html=top,
            bottom_html=bottom,
        )

    @post("/p/{product_id:int}/favorite", name="store:product-favorite", guards=[requires_login])
    async def favorite_product(self, request: Request, product_id: FromPath[int]) -> Template | Redirect:
        user = current_user(request)
        assert user
        form = await form_data(request)
        on = await services.set_favorite(user_id=user.id, product_id=product_id, on=form.get("on") == "1")
        if is_htmx(request) and form.get("from") == "list":
            return Template(
                template_name="components/_empty_fragment.html", headers={"HX-Trigger": "favorites-changed"}
            )
        if is_htmx(request):
            return render(
                request,
                "storefront/catalog/_favorite_button.html",
                product_id=product_id,
                favorite=on,
                headers={"HX-Trigger": "favorites-changed"},
            )
        flash(request, N_("Added to your favourites.") if on else N_("Removed from your favourites."), "success")
        return Redirect(path=safe_next(form.get("next"), f"/p/{product_id}"), status_code=303)

    @post("/s/{shop_id:int}/follow", name="store:shop-follow", guards=[requires_login])
    async def follow_shop(self, request: Request, shop_id: FromPath[int]) -> Template | Redirect:
        user = current_user(request)
        assert user
        form = await form_data(request)
        on = await services.set_favorite(user_id=user.id, shop_id=shop_id, on=form.get("on") == "1")
        if is_htmx(request):
            header = await services.shop_header(shop_id=shop_id)
            return render(request, "storefront/catalog/_follow_button.html", shop=header, following=on)
        flash(request, N_("You follow this shop now.") if on else N_("You no longer follow this shop."), "success")
        return Redirect(path=safe_next(form.get("next"), f"/s/{shop_id}"), status_code=303)

    @get("/me/favorites", name="store:favorites", guards=[requires_login])
    async def favorites(self, request: Request, tab: FromQuery[str] = "products") -> Template:
        user = current_user(request)
        assert user
        products = await services.favorite_products(user_id=user.id) if tab != "shops" else []
        shops = await services.favorite_shops(user_id=user.id) if tab == "shops" else []
        return Template(
            template_name="storefront/catalog/favorites.html",
            context={"kind": "shops" if tab == "shops" else "products", "products": products, "shops": shops},
        )

    @get("/me/history", name="store:history", guards=[requires_login])
    async def history(self, request: Request) -> Template:
        user = current_user(request)
        assert user
        return Template(
            template_name="storefront/catalog/history.html",
            context={"items": await services.history(user_id=user.id)},
        )

    @post("/me/history/{product_id:int}/delete", name="store:history-delete", guards=[requires_login])
    async def forget(self, request: Request, product_id: FromPath[int]) -> Template | Redirect:
        user = current_user(request)
        assert user
        await services.forget_view(user_id=user.id, product_id=product_id)
        if is_htmx(request):
            return Template(template_name="components/_empty_fragment.html")
        return Redirect(path="/me/history", status_code=303)

    @post("/me/history/clear", name="store:history-clear", guards=[requires_login])
    async def clear(self, request: Request) -> Redirect:
        user = current_user(request)
        assert user
        await services.forget_view(user_id=user.id)
        flash(request, N_("Your browsing history is cleared."), "success")
        return Redirect(path="/me/history", status_code=303)
