"""Routes of the reviews app (issue 8): the buyer's review and follow-up forms (htmx swaps the form into the
posted review; without JS a POST and a redirect), the lazy fragments for order items, product and shop pages,
helpful votes and reports, the seller's list and single reply, and the moderators' report queue."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from app.core.errors import DomainError
from app.core.i18n import N_
from app.reviews import services
from app.sellers.permissions import requires_shop_permission
from app.web.auth import current_user
from app.web.errors import safe_next
from app.web.flash import flash
from app.web.forms import actor_of, field_errors, form_data
from app.web.guards import requires_login, requires_platform_role
from app.web.htmx import is_htmx, render

MAX_BODY = services.MAX_PHOTOS * 9 * 1024 * 1024 + 65536


def _uid(request: Request) -> int:
    user = current_user(request)
    assert user is not None
    return user.id


async def _uploads(request: Request) -> tuple[dict[str, str], list[services.Upload]]:
    raw = await request.form()
    fields = {k: v for k, v in raw.items() if isinstance(v, str)}
    files = [
        services.Upload(v.filename, await v.read())
        for v in (raw.getall("photos") if "photos" in raw else [])
        if isinstance(v, UploadFile) and v.filename
    ]
    return fields, files


def _back(request: Request) -> str:
    """The same-site page the form was posted from (the product page), else the reader's reviews."""
    parts = urlsplit(request.headers.get("referer", ""))
    if parts.netloc and parts.netloc != request.headers.get("host"):
        return "/me/reviews/"
    return safe_next(parts.path + (f"?{parts.query}" if parts.query else ""), "/me/reviews/")


def _empty() -> Response:
    return Response(content="", media_type="text/html", headers={"Vary": "HX-Request"})


class BuyerReviewController(Controller):
    path = "/reviews"

    @get("/items/{order_item_id:int}/action", name="reviews:item-action")
    async def action(self, request: Request, order_item_id: FromPath[int]) -> Template | Response:
        user = current_user(request)
        if user is None:
            return _empty()
        kind, review = await services.item_action(buyer_id=user.id, order_item_id=order_item_id)
        if not kind:
            return _empty()
        return Template(
            template_name="storefront/reviews/_action.html",
            context={"kind": kind, "item_id": order_item_id, "review": review},
        )

    async def _form(
        self,
        request: Request,
        order_item_id: int,
        *,
        form: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        uid = _uid(request)
        item = await services.item_for_buyer(buyer_id=uid, order_item_id=order_item_id)
        review = await services.review_of_item(order_item_id)
        if review is None and item["status"] not in services.REVIEWABLE:
            raise services.ReviewError(services.NOT_DELIVERED)
        return render(
            request,
            "storefront/reviews/new.html",
            "storefront/reviews/_form.html",
            status_code=status_code,
            item=item,
            review=services.view(review) if review else None,
            followup=review is not None,
            form=form or {"rating": "5", "dsr_description": "5", "dsr_service": "5", "dsr_logistics": "5"},
            errors=errors or {},
            max_photos=services.MAX_PHOTOS,
        )

    @get("/items/{order_item_id:int}/new", name="reviews:new", guards=[requires_login])
    async def new(self, request: Request, order_item_id: FromPath[int]) -> Template:
        return await self._form(request, order_item_id)

    @post(
        "/items/{order_item_id:int}/new", name="reviews:create", guards=[requires_login], request_max_body_size=MAX_BODY
    )
    async def create(self, request: Request, order_item_id: FromPath[int]) -> Template | Redirect:
        fields, files = await _uploads(request)
        uid = _uid(request)
        try:
            if await services.review_of_item(order_item_id) is None:
                review_id = await services.submit_review(
                    buyer_id=uid, order_item_id=order_item_id, form=fields, uploads=files
                )
                message = N_("Thank you for your review.")
            else:
                review_id = await services.submit_followup(
                    buyer_id=uid, order_item_id=order_item_id, text=fields.get("text", ""), uploads=files
                )
                message = N_("Your follow-up review is posted.")
        except DomainError as exc:
            if exc.status_code == 404:
                raise
            return await self._form(request, order_item_id, form=fields, errors=field_errors(exc), status_code=422)
        if is_htmx(request):
            review = await services.review_of_item(order_item_id)
            assert review is not None and review["id"] == review_id
            return Template(
                template_name="storefront/reviews/_posted.html",
                context={"r": services.view(review), "message": message},
            )
        flash(request, message, "success")
        return Redirect(path="/me/reviews/", status_code=303)

    @get("/product/{product_id:int}", name="reviews:product")
    async def product(
        self, request: Request, product_id: FromPath[int], filter: FromQuery[str] = "all", page: FromQuery[int] = 1
    ) -> Template:
        if filter not in services.FILTERS:
            filter = "all"
        summary, rows = await services.product_reviews(product_id=product_id, filter=filter, page=page)
        user = current_user(request)
        shown = rows[: services.PAGE_SIZE]
        voted = await services.voted_ids(user_id=user.id, review_ids=[r["id"] for r in shown]) if user else set()
        return Template(
            template_name="storefront/reviews/_product.html",
            context={
                "product_id": product_id,
                "summary": summary,
                "reviews": shown,
                "voted_ids": voted,
                "has_next": len(rows) > services.PAGE_SIZE,
                "page": max(page, 1),
                "filter": filter,
                "filters": services.FILTERS,
            },
            headers={"Vary": "HX-Request"},
        )

    @get("/shop/{shop_id:int}", name="reviews:shop")
    async def shop(self, request: Request, shop_id: FromPath[int]) -> Template | Response:
        own, category = await services.shop_dsr(shop_id=shop_id)
        return Template(template_name="storefront/reviews/_shop.html", context={"own": own, "category": category})

    @post("/{review_id:int}/helpful", name="reviews:helpful", guards=[requires_login])
    async def helpful(self, request: Request, review_id: FromPath[int]) -> Template | Redirect:
        count = await services.vote_helpful(user_id=_uid(request), review_id=review_id)
        if is_htmx(request):
            return Template(
                template_name="storefront/reviews/_helpful.html",
                context={"review_id": review_id, "count": count, "voted": True},
            )
        flash(request, N_("Thanks for your vote."), "success")
        return Redirect(path=_back(request), status_code=303)

    @get("/{review_id:int}/report", name="reviews:report-form", guards=[requires_login])
    async def report_form(self, request: Request, review_id: FromPath[int]) -> Template:
        return Template(
            template_name="storefront/reviews/report.html",
            context={"review_id": review_id, "form": {}, "errors": {}},
        )

    @post("/{review_id:int}/report", name="reviews:report", guards=[requires_login])
    async def report(self, request: Request, review_id: FromPath[int]) -> Template | Redirect:
        form = await form_data(request)
        try:
            await services.report(user_id=_uid(request), review_id=review_id, reason=form.get("reason", ""))
        except DomainError as exc:
            if exc.status_code == 404:
                raise
            return Template(
                template_name="storefront/reviews/report.html",
                context={"review_id": review_id, "form": form, "errors": field_errors(exc)},
                status_code=422,
            )
        flash(request, N_("Thank you. The platform will look at this review."), "success")
        return Redirect(path="/me/reviews/", status_code=303)


class MyReviewsController(Controller):
    path = "/me/reviews"
    guards = [requires_login]

    @get("/", name="reviews:mine")
    async def index(self, request: Request) -> Template:
        return Template(
            template_name="storefront/reviews/mine.html",
            context={"reviews": await services.my_reviews(buyer_id=_uid(request))},
        )


class SellerReviewController(Controller):
    path = "/seller/reviews"

    @get("/", name="seller:reviews", guards=[requires_shop_permission("orders.view")])
    async def index(self, request: Request, unreplied: FromQuery[int] = 0) -> Template:
        shop = request.state.shop
        return Template(
            template_name="seller/reviews/index.html",
            context={
                "shop": shop,
                "reviews": await services.shop_reviews(shop_id=shop.shop_id, unreplied=bool(unreplied)),
                "unreplied": bool(unreplied),
                "errors": {},
                "error_id": None,
            },
        )

    @post("/{review_id:int}/reply", name="seller:reviews-reply", guards=[requires_shop_permission("messages.answer")])
    async def reply(self, request: Request, review_id: FromPath[int]) -> Redirect:
        form = await form_data(request)
        await services.reply(
            actor=actor_of(request), shop_id=request.state.shop.shop_id, review_id=review_id, text=form.get("reply", "")
        )
        flash(request, N_("Your reply is posted."), "success")
        return Redirect(path=f"/seller/reviews/#review-{review_id}", status_code=303)


class AdminReviewController(Controller):
    path = "/admin/reviews"
    guards = [requires_platform_role("moderator")]

    @get("/", name="admin:reviews")
    async def queue(self, request: Request, status: FromQuery[str] = "open") -> Template:
        if status not in ("open", "hidden", "dismissed"):
            status = "open"
        return Template(
            template_name="admin/reviews/queue.html",
            context={"rows": await services.report_queue(status=status), "status": status},
        )

    async def _visibility(self, request: Request, review_id: int, *, hidden: bool) -> Redirect:
        form = await form_data(request)
        await services.set_visibility(
            actor=actor_of(request), review_id=review_id, hidden=hidden, reason=form.get("reason", "")
        )
        flash(request, N_("The review is hidden.") if hidden else N_("The review is visible again."), "success")
        return Redirect(path=safe_next(form.get("next"), "/admin/reviews/"), status_code=303)

    @post("/{review_id:int}/hide", name="admin:reviews-hide")
    async def hide(self, request: Request, review_id: FromPath[int]) -> Redirect:
        return await self._visibility(request, review_id, hidden=True)

    @post("/{review_id:int}/restore", name="admin:reviews-restore")
    async def restore(self, request: Request, review_id: FromPath[int]) -> Redirect:
        return await self._visibility(request, review_id, hidden=False)


ROUTES: list[Any] = [
    BuyerReviewController,
    MyReviewsController,
    SellerReviewController,
    AdminReviewController,
]
