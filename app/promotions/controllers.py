"""Routes of the promotions app (issue 7): the product page's promotions fragment, the seller center's promotions
(permission promotions.manage) and the admin's platform campaigns (operations). The seller and admin pages share
their templates; services filter every query by the shop (None for the platform), so another shop's promotion is
not found."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.config import get_settings
from app.core import clock
from app.core.errors import DomainError, NotFound
from app.core.i18n import N_, gettext
from app.promotions import forms, rules, services
from app.sellers.permissions import requires_shop_permission
from app.web.auth import current_user
from app.web.flash import flash
from app.web.forms import actor_of, field_errors, form_data
from app.web.guards import requires_platform_role
from app.web.pagecache import cache_page

FRAGMENT_SECONDS = 30.0
KIND_NAMES = {
    "full_reduction": N_("Spend and save (满减)"),
    "full_discount": N_("Spend and get a discount (满折)"),
    "limited_time": N_("Limited-time discount"),
    "multi_piece": N_("Multi-piece discount"),
    "member_price": N_("Member price"),
    "bundle": N_("Bundle"),
    "gift": N_("Gift with purchase"),
}


def _errors(exc: DomainError) -> dict[str, str]:
    if isinstance(exc, services.PromotionInvalid):
        return {name: gettext(msgid, **exc.field_params.get(name, {})) for name, msgid in exc.errors.items()}
    return field_errors(exc)


class PromotionStoreController(Controller):
    path = "/promotions"

    @get("/product/{product_id:int}", name="promotions:product")
    async def product(self, request: Request, product_id: FromPath[int]) -> Template | Response[str]:
        promos = await services.product_promotions(product_id=product_id, now=clock.now())
        if current_user(request) is None:  # nothing about the visitor on it
            cache_page(request, ttl=FRAGMENT_SECONDS, tag=f"p:{product_id}")
        if not promos:
            return Response(content="", media_type="text/html", headers={"Vary": "HX-Request"})
        return Template(
            template_name="storefront/promotions/_product.html",
            context={"promos": promos, "tz": get_settings().display_timezone},
            headers={"Vary": "HX-Request"},
        )


class _Console(Controller):
    """The pages of one owner: a shop (seller center) or the platform (admin)."""

    base = ""
    layout = ""
    kinds: tuple[str, ...] = ()

    def shop_of(self, request: Request) -> int | None:
        raise NotImplementedError

    def _ctx(self, **extra: Any) -> dict[str, Any]:
        return {"base": self.base, "layout": self.layout, "kinds": self.kinds, "kind_names": KIND_NAMES, **extra}

    async def _form_page(
        self, request: Request, *, kind: str, form: dict[str, str], errors: dict[str, str] | None = None,
        promo: rules.Promo | None = None, status_code: int = 200,
    ) -> Template:  # fmt: skip
        shop_id = self.shop_of(request)
        stats = await services.promotion_stats(promotion_id=promo.id) if promo else None
        scoped = kind in (*rules.TIER_KINDS, "multi_piece", "gift")
        skus = (
            await services.shop_skus(shop_id=shop_id)
            if shop_id is not None and (scoped or kind in rules.SKU_KINDS)
            else []
        )
        categories = await services.categories_for_picker() if scoped else []
        return Template(
            template_name="seller/promotions/form.html",
            status_code=status_code,
            context=self._ctx(
                kind=kind,
                form=form,
                errors=errors or {},
                promo=promo,
                stats=stats,
                skus=skus,
                categories=categories,
                tier_rows=range(1, forms.TIER_ROWS + 1),
                now=clock.now(),
            ),
        )

    @get("/")
    async def index(self, request: Request, status: FromQuery[str] = "", kind: FromQuery[str] = "") -> Template:
        return await self._index(request, status=status, kind=kind)

    async def _index(self, request: Request, *, status: str, kind: str) -> Template:
        shop_id = self.shop_of(request)
        return Template(
            template_name="seller/promotions/index.html",
            context=self._ctx(
                rows=await services.list_promotions(shop_id=shop_id, status=status, kind=kind),
                counts=await services.status_counts(shop_id=shop_id),
                status=status,
                kind=kind if kind in self.kinds else "",
                tz=get_settings().display_timezone,
            ),
        )

    @get("/new")
    async def new(self, request: Request, kind: FromQuery[str] = "") -> Template:
        if kind not in self.kinds:  # no kind chosen yet: the list with its "new promotion" choices
            return await self._index(request, status="", kind="")
        start = clock.now().replace(second=0, microsecond=0)
        tz = get_settings().display_timezone
        form = {"starts_at": forms.format_dt(start, tz), "ends_at": forms.format_dt(start + timedelta(days=7), tz),
                "scope": "all", "gift_quantity": "1", "min_level_rank": "1"}  # fmt: skip
        return await self._form_page(request, kind=kind, form=form)

    @post("/new")
    async def create(self, request: Request) -> Template | Redirect:
        form = await form_data(request)
        kind = form.get("kind", "")
        if kind not in self.kinds:
            raise NotFound(N_("Page not found"))
        try:
            pid = await services.save_promotion(
                actor=actor_of(request), shop_id=self.shop_of(request), kind=kind, form=form,
                activate=form.get("action") == "activate",
            )  # fmt: skip
        except NotFound:
            raise
        except DomainError as exc:
            return await self._form_page(request, kind=kind, form=form, errors=_errors(exc), status_code=422)
        flash(request, N_("The promotion has been saved."), "success")
        return Redirect(path=f"{self.base}/{pid}", status_code=303)

    @get("/{promotion_id:int}")
    async def detail(self, request: Request, promotion_id: FromPath[int]) -> Template:
        promo = await services.get_promotion(shop_id=self.shop_of(request), promotion_id=promotion_id)
        form = forms.form_of(promo, get_settings().display_timezone)
        return await self._form_page(request, kind=promo.kind, form=form, promo=promo)

    @post("/{promotion_id:int}")
    async def update(self, request: Request, promotion_id: FromPath[int]) -> Template | Redirect:
        shop_id = self.shop_of(request)
        promo = await services.get_promotion(shop_id=shop_id, promotion_id=promotion_id)
        form = await form_data(request)
        try:
            await services.save_promotion(
                actor=actor_of(request), shop_id=shop_id, kind=promo.kind, form=form, promotion_id=promotion_id
            )
        except NotFound:
            raise
        except DomainError as exc:
            return await self._form_page(request, kind=promo.kind, form=form, errors=_errors(exc), promo=promo,
                                         status_code=422)  # fmt: skip
        flash(request, N_("The promotion has been saved."), "success")
        return Redirect(path=f"{self.base}/{promotion_id}", status_code=303)

    @post("/{promotion_id:int}/{action:str}")
    async def status(self, request: Request, promotion_id: FromPath[int], action: FromPath[str]) -> Redirect:
        try:
            await services.change_status(
                actor=actor_of(request), shop_id=self.shop_of(request), promotion_id=promotion_id, action=action
            )
        except services.IllegalChange as exc:
            flash(request, exc.message, "warning")
        else:
            flash(request, N_("The promotion's status has been changed."), "success")
        return Redirect(path=f"{self.base}/{promotion_id}", status_code=303)


class PromotionSellerController(_Console):
    path = "/seller/promotions"
    guards = [requires_shop_permission("promotions.manage")]
    base = "/seller/promotions"
    layout = "layouts/seller.html"
    kinds = rules.SHOP_KINDS

    def shop_of(self, request: Request) -> int | None:
        return int(request.state.shop.shop_id)


class PromotionAdminController(_Console):
    path = "/admin/promotions"
    guards = [requires_platform_role("operations")]
    base = "/admin/promotions"
    layout = "layouts/admin.html"
    kinds = rules.PLATFORM_KINDS

    def shop_of(self, request: Request) -> int | None:
        return None


ROUTES: list[Any] = [PromotionStoreController, PromotionSellerController, PromotionAdminController]
