"""Bulk listing (批量发布): products and SKUs from a CSV or XLSX file, one row per SKU, and the export in the
same format (export → import creates equivalent drafts).

Rows with the same product_key are one product (without a key, rows with the same title are); the product
columns may be repeated on every row or filled on the first one only. A SKU's specs are written
"颜色=红; 尺码=M". Every row is checked (the same rules as the editor, the sensitive-word filter, granted
categories, known brands, the shop's own images) and the file is imported in one transaction: one error
anywhere and nothing is created."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

from app.catalog import search
from app.catalog.merchant._form import (
    ProductData,
    ProductForm,
    ProductInvalid,
    SkuRow,
    SpecInput,
    ordered,
    validate,
)
from app.catalog.merchant._products import check_references, insert_product, screen_fields
from app.catalog.services import refresh_product_summaries
from app.core.db import engine, fetch
from app.core.i18n import N_
from app.core.money import plain_yuan
from app.core.principal import Actor
from app.moderation.services import record_audit

COLUMNS = (
    "product_key",
    "title",
    "subtitle",
    "category_id",
    "brand",
    "description",
    "images",
    "low_stock_threshold",
    "specs",
    "sku_code",
    "price",
    "list_price",
    "stock",
    "weight_g",
)
PRODUCT_COLUMNS = COLUMNS[1:8]
REQUIRED = ("title", "category_id", "price")
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 2000
# the editor's field names → the file's columns
_SKU_COLUMN = {"price": "price", "list_price": "list_price", "stock": "stock", "code": "sku_code", "weight": "weight_g"}
_FORMULA = ("=", "+", "-", "@")


@dataclass(frozen=True)
class RowError:
    row: int  # as a spreadsheet numbers it: the header is row 1
    column: str
    message: str  # msgid
    params: dict[str, Any] = field(default_factory=dict)


class FileInvalid(Exception):
    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(errors)
        self.errors = errors


@dataclass(frozen=True)
class ImportResult:
    created: list[int]
    errors: list[RowError]


# ---------------------------------------------------------------- reading and writing files
def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    if text[:2] in {f"'{c}" for c in _FORMULA}:  # our own export's guard against spreadsheet formulas
        text = text[1:]
    return text


def read_rows(filename: str, data: bytes) -> list[tuple[int, dict[str, str]]]:
    """(row number, {column: text}) for each non-empty row; FileInvalid when the file cannot be read."""
    if len(data) > MAX_BYTES:
        raise FileInvalid([RowError(0, "", N_("The file is larger than %(mb)s MB."), {"mb": MAX_BYTES // 1048576})])
    name = filename.lower()
    try:
        if name.endswith(".xlsx"):
            from openpyxl import load_workbook

            book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            table = [[_cell(v) for v in row] for row in book.worksheets[0].iter_rows(values_only=True)]
            book.close()
        elif name.endswith(".csv"):
            try:
                text = data.decode("utf-8-sig")
            except UnicodeDecodeError:
                text = data.decode("gb18030")  # Excel on a Chinese Windows saves CSV in GBK
            table = [[_cell(v) for v in row] for row in csv.reader(io.StringIO(text))]
        else:
            raise FileInvalid([RowError(0, "", N_("Upload a .csv or .xlsx file."))])
    except FileInvalid:
        raise
    except Exception as exc:  # a broken zip, bad XML, undecodable bytes: all "cannot read"
        raise FileInvalid([RowError(0, "", N_("This file cannot be read as CSV or XLSX."))]) from exc
    if not table:
        raise FileInvalid([RowError(1, "", N_("The file is empty."))])
    header = [h.strip().lower() for h in table[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise FileInvalid([RowError(1, c, N_("This column is missing.")) for c in missing])
    rows = []
    for number, values in enumerate(table[1:], start=2):
        if not any(values):
            continue
        rows.append((number, {h: (values[i] if i < len(values) else "") for i, h in enumerate(header) if h}))
    if len(rows) > MAX_ROWS:
        raise FileInvalid([RowError(0, "", N_("At most %(max)s rows per file."), {"max": MAX_ROWS})])
    if not rows:
        raise FileInvalid([RowError(2, "", N_("The file has no products."))])
    return rows


def _safe(value: str) -> str:
    return f"'{value}" if value.startswith(_FORMULA) else value


def write_table(rows: list[list[str]], fmt: str) -> bytes:
    if fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook(write_only=True)
        sheet = book.create_sheet("products")
        sheet.append(list(COLUMNS))
        for row in rows:
            sheet.append(row)  # openpyxl writes strings as text cells, never formulas unless they start with "="
        out = io.BytesIO()
        book.save(out)
        return out.getvalue()
    out_text = io.StringIO()
    writer = csv.writer(out_text)
    writer.writerow(COLUMNS)
    writer.writerows([[_safe(v) for v in row] for row in rows])
    return out_text.getvalue().encode("utf-8-sig")  # the BOM lets Excel open it as UTF-8


def template(fmt: str, *, category_id: int | None = None) -> bytes:
    cat = str(category_id or "")
    example = ["T1", "纯棉短袖T恤", "透气舒适", cat, "", "<p>100% 纯棉</p>", "", "5"]
    rows = [
        [*example, "颜色=白色; 尺码=M", "TS-W-M", "59.00", "79.00", "100", "200"],
        ["T1", "", "", "", "", "", "", "", "颜色=白色; 尺码=L", "TS-W-L", "59.00", "79.00", "80", "210"],
    ]
    return write_table(rows, fmt)


async def export_products(*, shop_id: int, fmt: str) -> bytes:
    products = await fetch(
        "SELECT p.id, p.title, p.subtitle, p.category, p.description_html, p.specs, p.low_stock_threshold, "
        "b.name AS brand_name, (SELECT string_agg(i.key, ' ' ORDER BY i.position, i.id) FROM product_image i "
        "WHERE i.product = p.id) AS images FROM product p LEFT JOIN brand b ON b.id = p.brand "
        "WHERE p.shop = {} ORDER BY p.id",
        shop_id,
    )
    skus = await fetch(
        "SELECT s.product, s.code, s.spec_values, s.price_fen, s.list_price_fen, s.stock, s.weight_g FROM sku s "
        "JOIN product p ON p.id = s.product WHERE p.shop = {} ORDER BY s.product, s.position, s.id",
        shop_id,
    )
    import json

    by_product: dict[int, list[dict[str, Any]]] = {}
    for s in skus:
        by_product.setdefault(s["product"], []).append(s)
    rows = []
    for p in products:
        specs = json.loads(p["specs"]) if isinstance(p["specs"], str) else p["specs"] or []
        order = [s["name"] for s in specs if isinstance(s, dict)]
        for s in by_product.get(p["id"], []):
            values = s["spec_values"]
            values = json.loads(values) if isinstance(values, str) else values or {}
            values = ordered(values, order)
            rows.append(
                [
                    f"P{p['id']}",
                    p["title"],
                    p["subtitle"],
                    str(p["category"]),
                    p["brand_name"] or "",
                    p["description_html"],
                    p["images"] or "",
                    str(p["low_stock_threshold"]),
                    "; ".join(f"{k}={v}" for k, v in values.items()),
                    s["code"],
                    plain_yuan(s["price_fen"]),
                    plain_yuan(s["list_price_fen"]) if s["list_price_fen"] is not None else "",
                    str(s["stock"]),
                    str(s["weight_g"]),
                ]
            )
    return write_table(rows, fmt)


# ---------------------------------------------------------------- checking rows
@dataclass
class _Group:
    first_row: int
    product: dict[str, str]
    product_rows: dict[str, int]  # column → the row it was taken from
    rows: list[tuple[int, dict[str, str]]] = field(default_factory=list)


def parse_specs_cell(text: str) -> dict[str, str] | None:
    """'颜色=红; 尺码=M' → {'颜色': '红', '尺码': 'M'}; None when malformed."""
    out: dict[str, str] = {}
    for part in text.replace("；", ";").split(";"):
        if not part.strip():
            continue
        name, sep, value = part.partition("=")
        if not sep or not name.strip() or not value.strip() or name.strip() in out:
            return None
        out[name.strip()] = value.strip()
    return out


def group_rows(rows: list[tuple[int, dict[str, str]]], errors: list[RowError]) -> list[_Group]:
    groups: dict[str, _Group] = {}
    for number, row in rows:
        key = row.get("product_key", "").strip() or f"title:{row.get('title', '').strip()}"
        group = groups.get(key)
        if group is None:
            group = groups[key] = _Group(number, {}, {})
        for column in PRODUCT_COLUMNS:
            value = row.get(column, "").strip() if column != "description" else row.get(column, "")
            if not value.strip():
                continue
            if column not in group.product:
                group.product[column], group.product_rows[column] = value, number
            elif group.product[column] != value:
                errors.append(
                    RowError(
                        number,
                        column,
                        N_("Differs from row %(row)s of the same product."),
                        {"row": group.product_rows[column]},
                    )
                )
        group.rows.append((number, row))
    return list(groups.values())


def check_group(group: _Group, errors: list[RowError]) -> ProductData | None:
    """The rules that need no database, errors placed at their row and column."""
    names: list[str] = []
    values: dict[str, list[str]] = {}
    sku_rows: list[SkuRow] = []
    seen: dict[str, int] = {}
    ok = True
    for number, row in group.rows:
        specs = parse_specs_cell(row.get("specs", ""))
        if specs is None:
            errors.append(RowError(number, "specs", N_("Write specs as 颜色=红; 尺码=M.")))
            ok = False
            continue
        if not names:
            names = list(specs)
        if sorted(specs) != sorted(names):
            errors.append(
                RowError(
                    number,
                    "specs",
                    N_("Every SKU of a product needs the same specs: %(names)s."),
                    {"names": ", ".join(names) or "-"},
                )
            )
            ok = False
            continue
        combo = "; ".join(f"{k}={specs[k]}" for k in names)
        if combo in seen:
            errors.append(RowError(number, "specs", N_("The same specs as row %(row)s."), {"row": seen[combo]}))
            ok = False
            continue
        seen[combo] = number
        for k in names:
            values.setdefault(k, [])
            if specs[k] not in values[k]:
                values[k].append(specs[k])
        sku_rows.append(
            SkuRow(
                {k: specs[k] for k in names},
                price=row.get("price", ""),
                list_price=row.get("list_price", ""),
                stock=row.get("stock", ""),
                code=row.get("sku_code", ""),
                weight=row.get("weight_g", ""),
            )
        )
    p = group.product
    form = ProductForm(
        title=p.get("title", ""),
        subtitle=p.get("subtitle", ""),
        category_id=p.get("category_id", ""),
        brand=p.get("brand", ""),
        description=p.get("description", ""),
        low_stock_threshold=p.get("low_stock_threshold", "") or "10",
        specs=[SpecInput(k, ", ".join(values.get(k, []))) for k in names],
        rows=sku_rows,
        images=p.get("images", "").split(),
    )
    try:
        data = validate(form)
    except ProductInvalid as exc:
        numbers = [n for n, _row in group.rows]
        for name, (msgid, params) in exc.errors.items():
            errors.append(_place(group, numbers, name, msgid, params))
        return None
    return data if ok else None


def _place(group: _Group, numbers: list[int], name: str, msgid: str, params: dict[str, Any]) -> RowError:
    """An editor field error at the file's row and column."""
    if name.startswith("sku-"):
        _prefix, index, column = name.split("-", 2)
        return RowError(numbers[int(index)], _SKU_COLUMN.get(column, column), msgid, params)
    column = {"spec": "specs", "specs": "specs"}.get(name.split("-")[0], name)
    return RowError(group.product_rows.get(column, group.first_row), column, msgid, params)


async def import_products(*, actor: Actor, shop_id: int, filename: str, data: bytes) -> ImportResult:
    """Check every row; with no error, create every product as a draft in one transaction."""
    try:
        rows = read_rows(filename, data)
    except FileInvalid as exc:
        return ImportResult([], exc.errors)
    errors: list[RowError] = []
    groups = group_rows(rows, errors)
    checked: list[tuple[_Group, ProductData, int | None, dict[str, tuple[int, int]]]] = []
    for group in groups:
        product = check_group(group, errors)
        if product is None:
            continue
        found = []
        screened, _flagged = await screen_fields(product)
        found += list(screened.items())
        try:
            brand, refs = await check_references(shop_id=shop_id, data=product)
        except ProductInvalid as exc:
            found += list(exc.errors.items())
            brand, refs = None, {}
        numbers = [n for n, _row in group.rows]
        errors += [_place(group, numbers, name, msgid, params) for name, (msgid, params) in found]
        if not found:
            checked.append((group, product, brand, refs))
    if errors:
        return ImportResult(
            [], sorted(errors, key=lambda e: (e.row, COLUMNS.index(e.column) if e.column in COLUMNS else 99))
        )
    created = []
    async with engine().transaction():
        for _group, product, brand, refs in checked:
            pid = await insert_product(shop_id=shop_id, data=product, brand=brand, refs=refs)
            await record_audit(
                actor=actor, action="product.create", target_type="product", target_id=pid,
                after={"shop": shop_id, "title": product.title, "status": "draft", "skus": len(product.skus),
                       "source": filename[:100]},
            )  # fmt: skip
            created.append(pid)
        await refresh_product_summaries(product_ids=created)
    await search.reindex_products(product_ids=created)
    return ImportResult(created, [])
