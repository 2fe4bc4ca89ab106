"""Seller center: products, SKUs, stock, the image library, bulk import/export.

The product editor is one form: the specs and the SKU matrix, images (upload, pick from the library, reorder)
and the rest. Buttons that only change the form (update the SKU table, bulk fill, move or remove an image)
post it and get it back re-rendered, nothing saved, so it all works without JavaScript; htmx swaps just the
specs-and-SKUs part (POST /seller/products/matrix) as the seller types."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from litestar import Controller, Request, get, post
from litestar.datastructures import UploadFile
from litestar.params import FromPath, FromQuery
from litestar.response import Redirect, Response, Template

from app.catalog import bulk, merchant
from app.catalog.merchant import ProductForm, ProductInvalid
from app.core.errors import DomainError, NotFound
from app.core.i18n import N_, get_locale, gettext
from app.sellers.permissions import has_permission, requires_shop_permission
from app.web.flash import flash
from app.web.forms import actor_of
from app.web.htmx import is_htmx, render

UPLOAD_LIMIT = 40 * 1024 * 1024  # a few photos at once (each is checked against images.MAX_BYTES)
EXPORT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _shop(request: Request) -> Any:
    return request.state.shop


def _fields(raw: Any) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for key, value in raw.multi_items():
        if isinstance(value, str):
            out.setdefault(key, []).append(value)
    return out


async def _uploads(raw: Any, name: str) -> list[merchant.Upload]:
    files = []
    for value in raw.getall(name) if name in raw else []:
        if isinstance(value, UploadFile) and value.filename:
            files.append(merchant.Upload(value.filename, await value.read()))
    return files


def _translate(errors: dict[str, tuple[str, dict[str, Any]]]) -> dict[str, str]:
    return {name: gettext(msgid, **params) for name, (msgid, params) in errors.items()}


def _can(request: Request, permission: str) -> bool:
    return has_permission(_shop(request).role, permission)


class SellerProductController(Controller):
    path = "/seller/products"

    # ------------------------------------------------------------ list
    @get("/", name="seller:products", guards=[requires_shop_permission("products.view")])
    async def index(
        self, request: Request, tab: FromQuery[str] = "on_sale", q: FromQuery[str] = "", page: FromQuery[int] = 1
    ) -> Template:
        shop_id = _shop(request).shop_id
        tab = tab if tab in merchant.TABS else "on_sale"
        result = await merchant.list_products(shop_id=shop_id, tab=tab, q=q, page=page)
        return render(
            request,
            "seller/catalog/products.html",
            "seller/catalog/_product_rows.html",
            result=result,
            tab=tab,
            q=q,
            counts=await merchant.tab_counts(shop_id),
            can_edit=_can(request, "products.edit"),
            can_stock=_can(request, "stock.edit"),
        )

    @post("/bulk", name="seller:products-bulk", guards=[requires_shop_permission("products.edit")])
    async def bulk_status(self, request: Request) -> Redirect:
        raw = await request.form()
        fields = _fields(raw)
        ids = [int(v) for v in fields.get("ids", []) if v.isdigit()]
        action = (fields.get("action") or [""])[0]
        back = (fields.get("back") or ["/seller/products/"])[0]
        back = back if back.startswith("/seller/products") else "/seller/products/"
        if not ids:
            flash(request, N_("Tick the products first."), "warning")
            return Redirect(path=back, status_code=303)
        result = await merchant.change_status(
            actor=actor_of(request), shop_id=_shop(request).shop_id, product_ids=ids, action=action
        )
        _flash_status(request, result)
        return Redirect(path=back, status_code=303)

    # ------------------------------------------------------------ editor
    @get("/new", name="seller:product-new", guards=[requires_shop_permission("products.edit")])
    async def new_page(self, request: Request) -> Template:
        return await self._editor(request, ProductForm(), None)

    @post(
        "/new",
        name="seller:product-create",
        guards=[requires_shop_permission("products.edit")],
        request_max_body_size=UPLOAD_LIMIT,
    )
    async def create(self, request: Request) -> Template | Redirect:
        return await self._post_editor(request, None)

    @post("/matrix", name="seller:product-matrix", guards=[requires_shop_permission("products.edit")])
    async def matrix(self, request: Request) -> Template:
        """The SKU table rebuilt from the posted specs and rows (htmx), nothing saved."""
        fields = _fields(await request.form())
        form = _apply_fill(merchant.parse_form(fields), fields)
        return Template(
            template_name="seller/catalog/_matrix.html",
            context={"form": form, "errors": {}, "can_price": _can(request, "prices.edit")},
            headers={"Vary": "HX-Request"},
        )

    @get("/{product_id:int}", name="seller:product", guards=[requires_shop_permission("products.view")])
    async def edit_page(self, request: Request, product_id: FromPath[int]) -> Template:
        form, meta = await merchant.editor(shop_id=_shop(request).shop_id, product_id=product_id)
        return await self._editor(request, form, meta)

    @post(
        "/{product_id:int}",
        name="seller:product-update",
        guards=[requires_shop_permission("products.edit")],
        request_max_body_size=UPLOAD_LIMIT,
    )
    async def update(self, request: Request, product_id: FromPath[int]) -> Template | Redirect:
        return await self._post_editor(request, product_id)

    @post("/{product_id:int}/status", name="seller:product-status", guards=[requires_shop_permission("products.edit")])
    async def status(self, request: Request, product_id: FromPath[int]) -> Redirect:
        fields = _fields(await request.form())
        result = await merchant.change_status(
            actor=actor_of(request),
            shop_id=_shop(request).shop_id,
            product_ids=[product_id],
            action=(fields.get("action") or [""])[0],
        )
        _flash_status(request, result)
        return Redirect(path=f"/seller/products/{product_id}", status_code=303)

    @post("/{product_id:int}/delete", name="seller:product-delete", guards=[requires_shop_permission("products.edit")])
    async def delete(self, request: Request, product_id: FromPath[int]) -> Redirect:
        await merchant.delete_product(actor=actor_of(request), shop_id=_shop(request).shop_id, product_id=product_id)
        flash(request, N_("The product has been deleted."), "success")
        return Redirect(path="/seller/products/?tab=warehouse", status_code=303)

    # ------------------------------------------------------------ stock
    @get("/{product_id:int}/stock", name="seller:product-stock", guards=[requires_shop_permission("stock.edit")])
    async def stock_page(self, request: Request, product_id: FromPath[int]) -> Template:
        sheet = await merchant.stock_sheet(shop_id=_shop(request).shop_id, product_id=product_id)
        form = {f"stock-{s['id']}": str(s["stock"]) for s in sheet.skus}
        form["low_stock_threshold"] = str(sheet.low_stock_threshold)
        return render(request, "seller/catalog/stock.html", "seller/catalog/_stock_form.html", sheet=sheet, form=form,
                      errors={})  # fmt: skip

    @post("/{product_id:int}/stock", name="seller:product-stock-save", guards=[requires_shop_permission("stock.edit")])
    async def stock_save(self, request: Request, product_id: FromPath[int]) -> Template | Redirect:
        shop = _shop(request)
        fields = {k: v[0] for k, v in _fields(await request.form()).items()}
        stocks = {int(k[6:]): v for k, v in fields.items() if k.startswith("stock-") and k[6:].isdigit()}
        try:
            await merchant.update_stock(
                actor=actor_of(request),
                shop_id=shop.shop_id,
                role=shop.role,
                product_id=product_id,
                stocks=stocks,
                threshold=fields.get("low_stock_threshold", ""),
            )
        except ProductInvalid as exc:
            sheet = await merchant.stock_sheet(shop_id=shop.shop_id, product_id=product_id)
            return render(request, "seller/catalog/stock.html", "seller/catalog/_stock_form.html", sheet=sheet,
                          form=fields, errors=_translate(exc.errors), status_code=422)  # fmt: skip
        if is_htmx(request):
            sheet = await merchant.stock_sheet(shop_id=shop.shop_id, product_id=product_id)
            return render(request, "seller/catalog/stock.html", "seller/catalog/_stock_form.html", sheet=sheet,
                          form=fields, errors={}, saved=True)  # fmt: skip
        flash(request, N_("Stock saved."), "success")
        return Redirect(path=f"/seller/products/{product_id}/stock", status_code=303)

    # ------------------------------------------------------------ import / export
    @get("/import", name="seller:products-import", guards=[requires_shop_permission("products.edit")])
    async def import_page(self, request: Request) -> Template:
        return Template(template_name="seller/catalog/import.html", context={"result": None, "filename": ""})

    @post(
        "/import",
        name="seller:products-import-run",
        guards=[requires_shop_permission("products.edit")],
        request_max_body_size=bulk.MAX_BYTES + 65536,
    )
    async def import_run(self, request: Request) -> Template | Redirect:
        files = await _uploads(await request.form(), "file")
        if not files:
            result = bulk.ImportResult([], [bulk.RowError(0, "", N_("Choose a CSV or XLSX file."))])
            filename = ""
        else:
            filename = files[0].filename
            result = await bulk.import_products(
                actor=actor_of(request), shop_id=_shop(request).shop_id, filename=filename, data=files[0].data
            )
        if result.errors:
            return Template(
                template_name="seller/catalog/import.html",
                context={"result": result, "filename": filename},
                status_code=422,
            )
        flash(request, N_("%(num)s products imported as drafts."), "success", num=len(result.created))
        return Redirect(path="/seller/products/?tab=warehouse", status_code=303)

    @get(
        "/import/template/{fmt:str}",
        name="seller:products-template",
        guards=[requires_shop_permission("products.edit")],
    )
    async def import_template(self, request: Request, fmt: FromPath[str]) -> Response:
        if fmt not in EXPORT_TYPES:
            raise NotFound(N_("Page not found"))
        choices = await merchant.category_choices(shop_id=_shop(request).shop_id)
        data = bulk.template(fmt, category_id=choices[0].id if choices else None)
        return _download(data, fmt, "products-template")

    @get("/export/{fmt:str}", name="seller:products-export", guards=[requires_shop_permission("products.view")])
    async def export(self, request: Request, fmt: FromPath[str]) -> Response:
        if fmt not in EXPORT_TYPES:
            raise NotFound(N_("Page not found"))
        data = await bulk.export_products(shop_id=_shop(request).shop_id, fmt=fmt)
        return _download(data, fmt, "products")

    # ------------------------------------------------------------ helpers
    async def _editor(
        self,
        request: Request,
        form: ProductForm,
        meta: merchant.EditorMeta | None,
        *,
        errors: dict[str, str] | None = None,
        notices: list[str] | None = None,
        status_code: int = 200,
    ) -> Template:
        shop_id = _shop(request).shop_id
        sizes = await merchant.image_sizes(shop_id=shop_id, keys=form.images)
        return Template(
            template_name="seller/catalog/edit.html",
            status_code=status_code,
            context={
                "form": form,
                "meta": meta,
                "errors": errors or {},
                "notices": notices or [],
                "images": [(k, *sizes.get(k, (0, 0))) for k in form.images],
                "categories": await merchant.category_choices(shop_id=shop_id, locale=get_locale()),
                "brands": await merchant.brand_names(),
                "library": await merchant.picker(shop_id=shop_id),
                "readonly": not _can(request, "products.edit"),
                "can_price": _can(request, "prices.edit"),
                "can_stock": _can(request, "stock.edit"),
            },
        )

    async def _post_editor(self, request: Request, product_id: int | None) -> Template | Redirect:
        shop = _shop(request)
        raw = await request.form()
        fields = _fields(raw)
        action = (fields.get("action") or ["save"])[0]
        meta = None
        if product_id is not None:
            _stored, meta = await merchant.editor(shop_id=shop.shop_id, product_id=product_id)  # 404 first
        form = _apply_fill(merchant.parse_form(fields), fields) if action == "fill" else merchant.parse_form(fields)
        errors: dict[str, str] = {}
        uploads = await _uploads(raw, "upload")
        if uploads:
            stored = await merchant.add_uploads(actor=actor_of(request), shop_id=shop.shop_id, files=uploads)
            form = replace(form, images=list(dict.fromkeys([*form.images, *stored.keys])))
            if stored.errors:
                errors["images"] = " ".join(
                    f"{name}: {gettext(msgid, **params)}" if name else gettext(msgid, **params)
                    for name, msgid, params in stored.errors
                )
        picks = [k for k in fields.get("pick", []) if k]
        if picks:
            form = replace(form, images=list(dict.fromkeys([*form.images, *picks])))
        kind, _sep, index = action.partition(":")
        if kind in ("up", "down", "remove") and index.isdigit():
            i = int(index)
            if kind == "remove":
                form = replace(form, images=[k for n, k in enumerate(form.images) if n != i])
            else:
                form = replace(form, images=merchant.move_image(form.images, i, -1 if kind == "up" else 1))
        if action not in ("save", "submit") or errors:
            return await self._editor(request, form, meta, errors=errors, status_code=422 if errors else 200)
        try:
            saved = await merchant.save_product(
                actor=actor_of(request),
                shop_id=shop.shop_id,
                role=shop.role,
                form=form,
                product_id=product_id,
                submit=action == "submit",
            )
        except ProductInvalid as exc:
            errors = _translate(exc.errors)
            errors.setdefault("__all__", gettext(exc.message))
            return await self._editor(request, form, meta, errors=errors, status_code=422)
        except NotFound:
            raise
        except DomainError as exc:
            errors = {"__all__": gettext(exc.message, **exc.params)}
            return await self._editor(request, form, meta, errors=errors, status_code=exc.status_code)
        if saved.status == "pending_review" and saved.previous_status != "pending_review":
            flash(request, N_("Saved and sent for review. It goes on sale once a moderator approves it."), "success")
        else:
            flash(request, N_("Saved."), "success")
        if saved.flagged:
            flash(request, N_("Moderators will look at these words: %(words)s"), "warning",
                  words=", ".join(saved.flagged))  # fmt: skip
        return Redirect(path=f"/seller/products/{saved.product_id}", status_code=303)


def _apply_fill(form: ProductForm, fields: dict[str, list[str]]) -> ProductForm:
    if (fields.get("action") or [""])[0] != "fill":
        return form
    return replace(
        form,
        rows=merchant.fill(
            form.rows,
            price=(fields.get("fill-price") or [""])[0],
            list_price=(fields.get("fill-list_price") or [""])[0],
            stock=(fields.get("fill-stock") or [""])[0],
        ),
    )


def _flash_status(request: Request, result: merchant.StatusResult) -> None:
    if result.done:
        flash(request, N_("%(num)s products updated."), "success", num=len(result.done))
    reasons = dict.fromkeys(msgid for _id, msgid in result.skipped)
    for msgid in reasons:
        count = sum(1 for _id, m in result.skipped if m == msgid)
        flash(request, N_("%(num)s skipped: %(reason)s"), "warning", num=count, reason=gettext(msgid))


def _download(data: bytes, fmt: str, stem: str) -> Response:
    return Response(
        content=data,
        media_type=EXPORT_TYPES[fmt],
        headers={"Content-Disposition": f'attachment; filename="{stem}.{fmt}"', "Cache-Control": "no-store"},
    )


class SellerImageController(Controller):
    path = "/seller/images"
    guards = [requires_shop_permission("images.manage")]

    @get("/", name="seller:images")
    async def index(self, request: Request, page: FromQuery[int] = 1) -> Template:
        lib = await merchant.library(shop_id=_shop(request).shop_id, page=page)
        return Template(template_name="seller/catalog/images.html", context={"lib": lib, "errors": []})

    @post("/upload", name="seller:images-upload", request_max_body_size=UPLOAD_LIMIT)
    async def upload(self, request: Request) -> Template | Redirect:
        files = await _uploads(await request.form(), "upload")
        result = await merchant.add_uploads(actor=actor_of(request), shop_id=_shop(request).shop_id, files=files)
        if result.keys:
            flash(request, N_("%(num)s images added to the library."), "success", num=len(result.keys))
        for name, msgid, params in result.errors:
            text = gettext(msgid, **params)
            flash(request, N_("%(file)s: %(reason)s"), "error", file=name or "-", reason=text)
        if not files:
            flash(request, N_("Choose one or more images."), "warning")
        return Redirect(path="/seller/images/", status_code=303)

    @post("/{image_id:int}/delete", name="seller:images-delete")
    async def delete(self, request: Request, image_id: FromPath[int]) -> Redirect:
        try:
            await merchant.delete_image(actor=actor_of(request), shop_id=_shop(request).shop_id, image_id=image_id)
        except merchant.ImageInUse as exc:
            flash(request, exc.message, "error", **exc.params)
            return Redirect(path="/seller/images/", status_code=303)
        flash(request, N_("The image has been deleted."), "success")
        return Redirect(path="/seller/images/", status_code=303)


ROUTES: list = [SellerProductController, SellerImageController]
