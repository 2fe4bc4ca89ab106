"""Pages of the assessment app (issue 9): the public leaderboard /shops/ranking (商家排行榜) and the shop page's
badge fragment; the operators' /admin/assessment/ (ranking, breakdown, history, weights, rewards and sanctions);
the seller's /seller/assessment/ (score, components, trend, measures, what to improve) and its home notices."""

from __future__ import annotations

from datetime import date
from typing import Any

from litestar import Controller, Request, Response, get, post
from litestar.params import FromPath
from litestar.response import Redirect, Template

from app.assessment import rules, services
from app.core.errors import DomainError, NotFound
from app.core.i18n import N_
from app.sellers.permissions import has_permission, requires_shop_permission
from app.web.auth import current_user
from app.web.flash import flash
from app.web.forms import actor_of, field_errors, form_data
from app.web.guards import requires_platform_role
from app.web.htmx import render
from app.web.pagecache import cache_page

RANKING_CACHE_SECONDS = 60  # scores change once a day; badges within a minute is soon enough
LEADERBOARD_SIZE = 50


def _with_total(errors: dict[str, str], form: dict[str, str]) -> dict[str, str]:
    if "__all__" in errors:
        total = sum(int(v) for n in rules.COMPONENTS if (v := form.get(n, "").strip()).isdigit())
        try:
            errors["__all__"] = errors["__all__"] % {"total": total}
        except (KeyError, ValueError, TypeError):
            pass
    return errors


class RankingStorefrontController(Controller):
    path = "/shops"

    @get("/ranking", name="store:shop-ranking")
    async def ranking(self, request: Request) -> Template:
        day, rows = await services.leaderboard(limit=LEADERBOARD_SIZE)
        if current_user(request) is None:
            cache_page(request, ttl=RANKING_CACHE_SECONDS)  # nothing personal on the page
        return Template(
            template_name="storefront/assessment/ranking.html",
            context={"day": day, "rows": rows},
            headers={"Vary": "HX-Request"},
        )

    @get("/{shop_id:int}/badge", name="store:shop-badge")
    async def badge(self, request: Request, shop_id: FromPath[int]) -> Template | Response[str]:
        """The shop page's lazy fragment: the recommended-shop badge and the shop's place on the leaderboard."""
        if current_user(request) is None:
            cache_page(request, ttl=RANKING_CACHE_SECONDS)
        if not await services.is_recommended(shop_id=shop_id):
            return Response(content="", status_code=200, headers={"Vary": "HX-Request"})
        return Template(template_name="storefront/assessment/_badge.html", context={"shop_id": shop_id})


def _day(value: str) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _below(value: str) -> int | None:
    text = value.strip()
    return int(text) if text.isascii() and text.isdigit() and int(text) <= 101 else None


class AssessmentAdminController(Controller):
    path = "/admin/assessment"
    guards = [requires_platform_role("operations")]

    async def _index(
        self,
        request: Request,
        *,
        weights_form: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        params = request.query_params
        filters = {
            "day": params.get("day", ""),
            "q": params.get("q", "").strip()[:64],
            "below": params.get("below", ""),
            "status": params.get("status", ""),
        }
        ranking = await services.admin_ranking(
            day=_day(filters["day"]), q=filters["q"], below=_below(filters["below"]), status=filters["status"]
        )
        weights = await services.current_weights()
        return render(
            request,
            "admin/assessment/index.html",
            "admin/assessment/_ranking.html",
            status_code=status_code,
            ranking=ranking,
            filters=filters,
            weights=weights,
            weights_form=weights_form or {n: str(w) for n, w in weights.items()},
            errors=errors or {},
            components=rules.COMPONENTS,
            names=rules.COMPONENT_NAMES,
        )

    @get("/", name="admin:assessment")
    async def index(self, request: Request) -> Template:
        return await self._index(request)

    @post("/weights", name="admin:assessment-weights")
    async def weights(self, request: Request) -> Template | Redirect:
        form = await form_data(request)
        try:
            await services.set_weights(actor=actor_of(request), form=form)
        except DomainError as exc:
            errors = _with_total(field_errors(exc), form)
            return await self._index(request, weights_form=form, errors=errors, status_code=422)
        flash(request, N_("The weights are saved. They apply from the next computation."), "success")
        return Redirect(path="/admin/assessment/", status_code=303)

    @post("/recompute", name="admin:assessment-recompute")
    async def recompute(self, request: Request) -> Redirect:
        n = await services.recompute_today(actor=actor_of(request))
        flash(request, N_("Today's scores are recomputed for %(num)s shops."), "success", num=n)
        return Redirect(path="/admin/assessment/", status_code=303)

    async def _shop(
        self,
        shop_id: int,
        *,
        form: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        data = await services.shop_assessment(shop_id=shop_id)
        return Template(
            template_name="admin/assessment/shop.html",
            context={
                **data,
                "form": form or {},
                "errors": errors or {},
                "kinds": services.KINDS,
                "kind_names": services.KIND_NAMES,
                "status_names": services.STATUS_NAMES,
                "default_bonus": services.DEFAULT_BONUS,
            },
            status_code=status_code,
        )

    @get("/shops/{shop_id:int}", name="admin:assessment-shop")
    async def shop(self, shop_id: FromPath[int]) -> Template:
        return await self._shop(shop_id)

    @post("/shops/{shop_id:int}/measures", name="admin:assessment-apply")
    async def apply(self, request: Request, shop_id: FromPath[int]) -> Template | Redirect:
        form = await form_data(request)
        proposal = form.get("proposal", "").strip()
        try:
            await services.apply_measure(
                actor=actor_of(request),
                shop_id=shop_id,
                form=form,
                proposal_id=int(proposal) if proposal.isascii() and proposal.isdigit() else None,
            )
        except NotFound:
            raise
        except DomainError as exc:
            return await self._shop(shop_id, form=form, errors=field_errors(exc), status_code=422)
        flash(request, N_("Applied. The shop's owners are notified."), "success")
        return Redirect(path=f"/admin/assessment/shops/{shop_id}", status_code=303)

    @post("/shops/{shop_id:int}/measures/{measure_id:int}/{action:str}", name="admin:assessment-close")
    async def close(
        self, request: Request, shop_id: FromPath[int], measure_id: FromPath[int], action: FromPath[str]
    ) -> Template | Redirect:
        form = await form_data(request)
        try:
            await services.close_measure(
                actor=actor_of(request),
                shop_id=shop_id,
                measure_id=measure_id,
                action=action,
                note=form.get("note", ""),
            )
        except NotFound:
            raise
        except DomainError as exc:
            return await self._shop(shop_id, errors=field_errors(exc), status_code=422)
        flash(request, N_("The measure is updated."), "success")
        return Redirect(path=f"/admin/assessment/shops/{shop_id}", status_code=303)


class AssessmentSellerController(Controller):
    path = "/seller/assessment"
    guards = [requires_shop_permission("dashboard.view")]

    async def _page(
        self,
        request: Request,
        *,
        form: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        shop = request.state.shop
        data = await services.shop_assessment(shop_id=shop.shop_id)
        data["measures"] = [m for m in data["measures"] if m["status"] not in ("proposed", "dismissed")]
        return Template(
            template_name="seller/assessment/index.html",
            context={
                **data,
                "form": form or {},
                "errors": errors or {},
                "kind_names": services.KIND_NAMES,
                "status_names": services.STATUS_NAMES,
                "names": rules.COMPONENT_NAMES,
                "can_answer": has_permission(shop.role, "shop.settings"),
            },
            status_code=status_code,
        )

    @get("/", name="seller:assessment")
    async def index(self, request: Request) -> Template:
        return await self._page(request)

    @get("/notices", name="seller:assessment-notices")
    async def notices(self, request: Request) -> Template:
        """The seller home's lazy fragment: open rectification notices, demotions and rewards."""
        return Template(
            template_name="seller/assessment/_notices.html",
            context={
                "notices": await services.open_notices(shop_id=request.state.shop.shop_id),
                "kind_names": services.KIND_NAMES,
            },
            headers={"Cache-Control": "no-store"},
        )

    @post(
        "/measures/{measure_id:int}/answer",
        name="seller:assessment-answer",
        guards=[requires_shop_permission("shop.settings")],
    )
    async def answer(self, request: Request, measure_id: FromPath[int]) -> Template | Redirect:
        form = await form_data(request)
        try:
            await services.answer_rectification(
                actor=actor_of(request),
                shop_id=request.state.shop.shop_id,
                measure_id=measure_id,
                note=form.get("note", ""),
            )
        except NotFound:
            raise
        except DomainError as exc:
            form["measure"] = str(measure_id)
            return await self._page(request, form=form, errors=field_errors(exc), status_code=422)
        flash(request, N_("Your answer is sent to the platform."), "success")
        return Redirect(path="/seller/assessment/", status_code=303)


ROUTES: list[Any] = [RankingStorefrontController, AssessmentAdminController, AssessmentSellerController]
