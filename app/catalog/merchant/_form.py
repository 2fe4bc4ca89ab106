"""The product editor's form as pure data: specs and the SKU matrix (the cartesian product of spec values),
rows keeping what was typed when the specs change, bulk fill, and validation into typed values. No database:
unit-tested on plain dicts. Everything here keeps strings exactly as typed so a form with errors re-renders
losing nothing."""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from app.core.errors import DomainError
from app.core.i18n import N_
from app.core.money import InvalidAmount, parse_yuan, plain_yuan

MAX_SPECS = 3
MAX_VALUES = 20
MAX_SKUS = 100
MAX_IMAGES = 12
MAX_STOCK = 10_000_000
SKU_FIELDS = ("price", "list_price", "stock", "code", "weight")
_SPLIT = re.compile(r"[,，、;；\n\r]+")
_SKU_FIELD = re.compile(r"^sku-(\d+)-(key|id|price|list_price|stock|code|weight)$")
_SPEC_FIELD = re.compile(r"^spec-(\d+)-(name|values)$")


class ProductInvalid(DomainError):
    """Field errors with parameters: {field: (msgid, params)}; the form re-renders with everything typed."""

    code = "product_invalid"

    def __init__(self, errors: dict[str, tuple[str, dict[str, Any]]]) -> None:
        super().__init__(N_("Please correct the marked fields."))
        self.errors = errors


# ---------------------------------------------------------------- form state (strings as typed)
@dataclass(frozen=True)
class SpecInput:
    name: str = ""
    values_text: str = ""

    @property
    def values(self) -> list[str]:
        return split_values(self.values_text)


@dataclass(frozen=True)
class SkuRow:
    spec_values: dict[str, str] = field(default_factory=dict)
    id: str = ""
    price: str = ""
    list_price: str = ""
    stock: str = ""
    code: str = ""
    weight: str = ""

    @property
    def key(self) -> str:
        return sku_key(self.spec_values)

    @property
    def label(self) -> str:
        return " / ".join(self.spec_values.values())


@dataclass(frozen=True)
class ProductForm:
    title: str = ""
    subtitle: str = ""
    category_id: str = ""
    brand: str = ""
    description: str = ""
    low_stock_threshold: str = "10"
    specs: list[SpecInput] = field(default_factory=list)
    rows: list[SkuRow] = field(default_factory=lambda: [SkuRow()])
    images: list[str] = field(default_factory=list)  # storage keys, the cover first

    @property
    def named_specs(self) -> list[tuple[str, list[str]]]:
        return [(s.name.strip(), s.values) for s in self.specs if s.name.strip() and s.values]

    def spec_slots(self) -> list[SpecInput]:
        """The specs typed so far, then blank rows up to MAX_SPECS (to add another without JavaScript)."""
        filled = [s for s in self.specs if s.name.strip() or s.values_text.strip()]
        return filled + [SpecInput() for _ in range(MAX_SPECS - len(filled))]


def split_values(text: str) -> list[str]:
    """'红, 蓝，绿、红' → ['红', '蓝', '绿']: commas (either width), 、, semicolons or new lines; duplicates dropped."""
    seen: list[str] = []
    for part in _SPLIT.split(text or ""):
        value = " ".join(part.split())
        if value and value not in seen:
            seen.append(value)
    return seen


def sku_key(spec_values: Mapping[str, str]) -> str:
    """A SKU's identity in the editor: its spec values, whatever the order the specs are listed in."""
    return json.dumps(sorted(spec_values.items()), ensure_ascii=False, separators=(",", ":"))


def combinations(specs: Sequence[tuple[str, Sequence[str]]]) -> list[dict[str, str]]:
    """The cartesian product of the spec values, first spec slowest; no specs → one SKU without values."""
    names = [name for name, _values in specs]
    return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(values for _n, values in specs))]


def build_matrix(specs: Sequence[tuple[str, Sequence[str]]], previous: Sequence[SkuRow]) -> list[SkuRow]:
    """The SKU rows for these specs. A row whose spec values are unchanged keeps everything typed (its id and
    code included); a new combination borrows price, list price and weight from the previous row sharing the
    most values with it (adding 尺码 to 颜色=红 copies 红's price into 红/S and 红/M) but starts with empty stock
    and code, which belong to one SKU."""
    by_key = {row.key: row for row in previous}
    rows = []
    for values in combinations(specs):
        exact = by_key.get(sku_key(values))
        if exact is not None:
            rows.append(replace(exact, spec_values=values))
            continue
        best, shared = None, 0
        for row in previous:
            n = sum(1 for k, v in row.spec_values.items() if values.get(k) == v)
            if n > shared:
                best, shared = row, n
        if best is None and len(previous) == 1 and not previous[0].spec_values:
            best = previous[0]  # the first spec added to a product without specs: its one row was the template
        if best is not None:
            rows.append(SkuRow(values, price=best.price, list_price=best.list_price, weight=best.weight))
        else:
            rows.append(SkuRow(values))
    return rows


def fill(rows: Sequence[SkuRow], *, price: str = "", list_price: str = "", stock: str = "") -> list[SkuRow]:
    """批量填充: every row gets the values given (blank ones leave the rows alone)."""
    changes = {k: v.strip() for k, v in (("price", price), ("list_price", list_price), ("stock", stock)) if v.strip()}
    return [replace(row, **changes) for row in rows]


def _first(fields: Mapping[str, Sequence[str]], name: str) -> str:
    values = fields.get(name) or []
    return values[0] if values else ""


def parse_form(fields: Mapping[str, Sequence[str]]) -> ProductForm:
    """The posted editor ({name: [values]}) as a ProductForm, the SKU matrix rebuilt from the posted specs
    (so it always matches them) keeping typed rows by their spec values."""
    specs: dict[int, dict[str, str]] = {}
    rows: dict[int, dict[str, str]] = {}
    for name, values in fields.items():
        if m := _SPEC_FIELD.match(name):
            specs.setdefault(int(m[1]), {})[m[2]] = values[0] if values else ""
        elif m := _SKU_FIELD.match(name):
            rows.setdefault(int(m[1]), {})[m[2]] = values[0] if values else ""
    spec_inputs = [
        SpecInput(specs[i].get("name", "").strip(), specs[i].get("values", ""))
        for i in sorted(specs)
        if specs[i].get("name", "").strip() or specs[i].get("values", "").strip()
    ][:MAX_SPECS]
    posted = []
    for i in sorted(rows):
        row = rows[i]
        try:
            values = json.loads(row.get("key") or "[]")
            spec_values = {str(k): str(v) for k, v in values}
        except (ValueError, TypeError):
            spec_values = {}
        posted.append(SkuRow(spec_values, **{k: row.get(k, "").strip() for k in ("id", *SKU_FIELDS)}))
    form = ProductForm(
        title=_first(fields, "title"),
        subtitle=_first(fields, "subtitle"),
        category_id=_first(fields, "category_id"),
        brand=_first(fields, "brand"),
        description=_first(fields, "description"),
        low_stock_threshold=_first(fields, "low_stock_threshold"),
        specs=spec_inputs,
        images=[k for k in dict.fromkeys(fields.get("image") or []) if k],
    )
    named = form.named_specs
    if len(combinations(named)) > MAX_SKUS:  # do not build a huge table from a typo; validation says why
        return replace(form, rows=posted or [SkuRow()])
    return replace(form, rows=build_matrix(named, posted))


def ordered(spec_values: Mapping[str, str], names: Sequence[str]) -> dict[str, str]:
    """Spec values in the product's spec order (JSONB keeps keys in its own order)."""
    return {k: spec_values[k] for k in [*names, *sorted(spec_values)] if k in spec_values}


def move_image(images: Sequence[str], index: int, step: int) -> list[str]:
    out = list(images)
    target = index + step
    if 0 <= index < len(out) and 0 <= target < len(out):
        out[index], out[target] = out[target], out[index]
    return out


# ---------------------------------------------------------------- validation
@dataclass(frozen=True)
class SkuData:
    spec_values: dict[str, str]
    id: int | None
    price_fen: int
    list_price_fen: int | None
    stock: int
    code: str
    weight_g: int


@dataclass(frozen=True)
class ProductData:
    title: str
    subtitle: str
    category_id: int
    brand: str
    description: str
    low_stock_threshold: int
    specs: list[tuple[str, list[str]]]
    skus: list[SkuData]
    images: list[str]

    @property
    def specs_json(self) -> list[dict[str, Any]]:
        return [{"name": n, "values": v} for n, v in self.specs]


def parse_count(text: str, *, upper: int = MAX_STOCK) -> int | None:
    """A whole number 0..upper, or None."""
    cleaned = (text or "").strip().replace(",", "")
    if not cleaned.isdigit():
        return None
    value = int(cleaned)
    return value if value <= upper else None


def validate_skus(
    rows: Sequence[SkuRow], errors: dict[str, tuple[str, dict[str, Any]]], prefix: str = "sku"
) -> list[SkuData]:
    out: list[SkuData] = []
    codes: dict[str, int] = {}
    for i, row in enumerate(rows):

        def bad(name: str, msgid: str, i: int = i, **params: Any) -> None:
            errors.setdefault(f"{prefix}-{i}-{name}", (msgid, params))

        price = list_price = None
        try:
            price = parse_yuan(row.price) if row.price.strip() else None
            if price is None:
                bad("price", N_("Enter a price."))
        except InvalidAmount as exc:
            bad("price", exc.message)
        if row.list_price.strip():
            try:
                list_price = parse_yuan(row.list_price)
            except InvalidAmount as exc:
                bad("list_price", exc.message)
        stock = parse_count(row.stock) if row.stock.strip() else 0
        if stock is None:
            bad("stock", N_("Enter a whole number from 0 to %(max)s."), max=MAX_STOCK)
        weight = parse_count(row.weight, upper=1_000_000) if row.weight.strip() else 0
        if weight is None:
            bad("weight", N_("Enter the weight in grams (a whole number)."))
        code = row.code.strip()
        if len(code) > 64:
            bad("code", N_("A SKU code has at most 64 characters."))
        elif code and code in codes:
            bad("code", N_("Two SKUs have the code %(code)s."), code=code)
        elif code:
            codes[code] = i
        sku_id = int(row.id) if row.id.isdigit() else None
        if price is not None and stock is not None and weight is not None:
            out.append(SkuData(dict(row.spec_values), sku_id, price, list_price, stock, code, weight))
    return out


def validate(form: ProductForm) -> ProductData:
    """Everything that needs no database; raises ProductInvalid naming each bad field."""
    errors: dict[str, tuple[str, dict[str, Any]]] = {}
    title = " ".join(form.title.split())
    if not title:
        errors["title"] = (N_("Enter a title."), {})
    elif len(title) > 120:
        errors["title"] = (N_("A title has at most %(max)s characters."), {"max": 120})
    subtitle = " ".join(form.subtitle.split())
    if len(subtitle) > 200:
        errors["subtitle"] = (N_("A subtitle has at most %(max)s characters."), {"max": 200})
    category = int(form.category_id) if form.category_id.strip().isdigit() else None
    if category is None:
        errors["category_id"] = (N_("Choose a category."), {})
    threshold = parse_count(form.low_stock_threshold, upper=100_000) if form.low_stock_threshold.strip() else 0
    if threshold is None:
        errors["low_stock_threshold"] = (N_("Enter a whole number from 0 to %(max)s."), {"max": 100_000})
    names: list[str] = []
    for i, spec in enumerate(form.specs):
        name = spec.name.strip()
        if not name and spec.values:
            errors[f"spec-{i}-name"] = (N_("Name this spec (for example 颜色)."), {})
        elif name and not spec.values:
            errors[f"spec-{i}-values"] = (N_("Enter at least one value, separated by commas."), {})
        elif len(name) > 20:
            errors[f"spec-{i}-name"] = (N_("A spec name has at most %(max)s characters."), {"max": 20})
        elif name in names:
            errors[f"spec-{i}-name"] = (N_("Two specs are named %(name)s."), {"name": name})
        elif len(spec.values) > MAX_VALUES:
            errors[f"spec-{i}-values"] = (N_("At most %(max)s values per spec."), {"max": MAX_VALUES})
        elif any(len(v) > 30 for v in spec.values):
            errors[f"spec-{i}-values"] = (N_("A spec value has at most %(max)s characters."), {"max": 30})
        names.append(name)
    specs = form.named_specs
    count = len(combinations(specs))
    if count > MAX_SKUS:
        errors["specs"] = (N_("These specs make %(num)s SKUs; at most %(max)s."), {"num": count, "max": MAX_SKUS})
    skus = validate_skus(form.rows, errors)
    if len(form.images) > MAX_IMAGES:
        errors["images"] = (N_("At most %(max)s images per product."), {"max": MAX_IMAGES})
    if errors:
        raise ProductInvalid(errors)
    return ProductData(
        title=title,
        subtitle=subtitle,
        category_id=category or 0,
        brand=form.brand.strip(),
        description=form.description,
        low_stock_threshold=threshold or 0,
        specs=specs,
        skus=skus,
        images=list(form.images),
    )


def form_from_product(
    product: Mapping[str, Any], skus: Sequence[Mapping[str, Any]], images: Sequence[str]
) -> ProductForm:
    """The editor filled from stored rows (prices back in yuan)."""
    specs = product.get("specs") or []
    order = [s["name"] for s in specs if isinstance(s, dict)]
    return ProductForm(
        title=product["title"],
        subtitle=product["subtitle"],
        category_id=str(product["category"]),
        brand=product.get("brand_name") or "",
        description=product["description_html"],
        low_stock_threshold=str(product["low_stock_threshold"]),
        specs=[SpecInput(s["name"], ", ".join(s["values"])) for s in specs if isinstance(s, dict)],
        rows=[
            SkuRow(
                ordered(s["spec_values"] or {}, order),
                id=str(s["id"]),
                price=plain_yuan(s["price_fen"]),
                list_price=plain_yuan(s["list_price_fen"]) if s["list_price_fen"] is not None else "",
                stock=str(s["stock"]),
                code=s["code"],
                weight=str(s["weight_g"] or ""),
            )
            for s in skus
        ]
        or [SkuRow()],
        images=list(images),
    )
