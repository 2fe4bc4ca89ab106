"""Platform moderation: the product review queue, sensitive words, category management."""

from __future__ import annotations

from litestar import Controller, Request, get, post
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Template

from app.catalog.category_admin import ROUTES as CATEGORY_ROUTES
from app.catalog.category_admin import admin_tree
from app.core.errors import ValidationFailed
from app.core.i18n import N_
from app.moderation import review_services, words
from app.web.flash import flash
from app.web.forms import actor_of, field_errors, form_data
from app.web.guards import requires_platform_role


def _int(value: str) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None


class ProductReviewAdminController(Controller):
    path = "/admin/products/review"
    guards = [requires_platform_role("moderator")]

    @get("/", name="admin:product-review")
    async def queue(
        self, request: Request, shop: FromQuery[str] = "", category: FromQuery[str] = "", page: FromQuery[int] = 1
    ) -> Template:
        shop_id, category_id = _int(shop), _int(category)
        queue = await review_services.review_queue(shop_id=shop_id, category_id=category_id, page=page)
        return Template(
            template_name="admin/moderation/review_queue.html",
            context={
                "queue": queue,
                "shop": shop_id,
                "category": category_id,
                "categories": await admin_tree(),
            },
        )

    async def _detail(
        self,
        product_id: int,
        *,
        form: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        detail = await review_services.review_detail(product_id=product_id)
        return Template(
            template_name="admin/moderation/review_detail.html",
            context={"d": detail, "p": detail.product, "diff": detail.diff, "form": form or {}, "errors": errors or {}},
            status_code=status_code,
        )

    @get("/{product_id:int}", name="admin:product-review-detail")
    async def detail(self, request: Request, product_id: FromPath[int]) -> Template:
        return await self._detail(product_id)

    @post("/{product_id:int}/approve", name="admin:product-approve")
    async def approve(self, request: Request, product_id: FromPath[int]) -> Redirect:
        try:
            await review_services.approve_product(actor=actor_of(request), product_id=product_id)
        except review_services.AlreadyDecided as exc:
            flash(request, exc.message, "warning")
            return Redirect(path=f"/admin/products/review/{product_id}", status_code=303)
        flash(request, N_("Approved: the product is now on sale."), "success")
        return Redirect(path="/admin/products/review/", status_code=303)

    @post("/{product_id:int}/reject", name="admin:product-reject")
    async def reject(self, request: Request, product_id: FromPath[int]) -> Template | Redirect:
        form = await form_data(request)
        try:
            await review_services.reject_product(
                actor=actor_of(request), product_id=product_id, reason=form.get("reason", "")
            )
        except ValidationFailed as exc:
            return await self._detail(product_id, form=form, errors=field_errors(exc), status_code=422)
        except review_services.AlreadyDecided as exc:
            flash(request, exc.message, "warning")
            return Redirect(path=f"/admin/products/review/{product_id}", status_code=303)
        flash(request, N_("Rejected: the seller has been told why."), "success")
        return Redirect(path="/admin/products/review/", status_code=303)


class SensitiveWordAdminController(Controller):
    path = "/admin/sensitive-words"
    guards = [requires_platform_role("moderator")]

    async def _page(
        self,
        *,
        q: str,
        level: str,
        page: int,
        form: dict[str, str] | None = None,
        errors: dict[str, str] | None = None,
        status_code: int = 200,
    ) -> Template:
        return Template(
            template_name="admin/moderation/sensitive_words.html",
            context={
                "result": await words.list_words(q=q, level=level, page=page),
                "q": q,
                "level": level,
                "form": form or {"level": "block"},
                "errors": errors or {},
            },
            status_code=status_code,
        )

    @get("/", name="admin:sensitive-words")
    async def index(
        self, request: Request, q: FromQuery[str] = "", level: FromQuery[str] = "", page: FromQuery[int] = 1
    ) -> Template:
        return await self._page(q=q, level=level, page=page)

    @post("/", name="admin:sensitive-words-add")
    async def add(self, request: Request) -> Template | Redirect:
        form = await form_data(request)
        try:
            result = await words.add_words(
                actor=actor_of(request), text=form.get("words", ""), level=form.get("level", "")
            )
        except ValidationFailed as exc:
            return await self._page(q="", level="", page=1, form=form, errors=field_errors(exc), status_code=422)
        flash(
            request,
            N_("%(added)s added, %(skipped)s already on the list."),
            "success",
            added=len(result.added),
            skipped=len(result.skipped),
        )
        return Redirect(path="/admin/sensitive-words/", status_code=303)

    @post("/{word_id:int}/level", name="admin:sensitive-word-level")
    async def set_level(self, request: Request, word_id: FromPath[int]) -> Redirect:
        form = await form_data(request)
        await words.set_level(actor=actor_of(request), word_id=word_id, level=form.get("level", ""))
        flash(request, N_("The level has been changed."), "success")
        return Redirect(path=_back(form), status_code=303)

    @post("/{word_id:int}/delete", name="admin:sensitive-word-delete")
    async def delete(self, request: Request, word_id: FromPath[int]) -> Redirect:
        form = await form_data(request)
        word = await words.delete_word(actor=actor_of(request), word_id=word_id)
        flash(request, N_("“%(word)s” has been removed from the list."), "success", word=word)
        return Redirect(path=_back(form), status_code=303)


def _back(form: dict[str, str]) -> str:
    back = form.get("back", "")
    return back if back.startswith("/admin/sensitive-words") and "//" not in back else "/admin/sensitive-words/"


ROUTES: list = [ProductReviewAdminController, SensitiveWordAdminController, *CATEGORY_ROUTES]
