"""The search request (parsed from the query string) and the one SQL statement that answers it.

Pure: no database here, so parse_query and build_sql are unit-tested. SQL uses Piccolo QueryString {}
placeholders (no literal braces anywhere in the text).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from app.catalog.search._text import MAX_QUERY_CHARS, normalize, phrase_key, tsquery_literal

SORTS = ("relevance", "sales", "price_asc", "price_desc", "newest", "rating")
MAX_PAGE = 100  # deeper pages are refused (clamped): nobody reads them and OFFSET grows linearly
MAX_PER_PAGE = 60
MAX_BRANDS = 20
MAX_SPEC_NAMES = 6
MAX_SPEC_VALUES = 20
MAX_SPEC_CHARS = 32
MAX_PRICE_FEN = 10**12
FACET_LIMIT = 30

_RATING = "(p.rating_sum::float8 / NULLIF(p.rating_count, 0))"
_ORDER = {
    "relevance": ("rank DESC", "sales_count DESC", "id DESC"),
    "sales": ("sales_count DESC", "id DESC"),
    "price_asc": ("price_min_fen ASC", "id ASC"),
    "price_desc": ("price_min_fen DESC", "id DESC"),
    "newest": ("created_at DESC", "id DESC"),
    "rating": ("rating DESC NULLS LAST", "rating_count DESC", "id DESC"),
}


def order_by(sort: str, table: str = "") -> str:
    prefix = f"{table}." if table else ""
    return ", ".join(prefix + key for key in _ORDER[sort])


@dataclass
class SearchQuery:
    q: str = ""
    category_id: int | None = None
    price_min_fen: int | None = None
    price_max_fen: int | None = None
    shop_id: int | None = None
    brand_ids: list[int] = field(default_factory=list)
    in_stock: bool = False
    specs: dict[str, list[str]] = field(default_factory=dict)
    sort: str = "relevance"
    page: int = 1
    per_page: int = 20

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def has_filters(self) -> bool:
        return bool(
            self.category_id
            or self.shop_id
            or self.brand_ids
            or self.in_stock
            or self.specs
            or self.price_min_fen is not None
            or self.price_max_fen is not None
        )


def _values(params: Mapping[str, Any], key: str) -> list[str]:
    raw = params.get(key)
    if raw is None:
        return []
    if isinstance(raw, str):
        return [raw]
    if isinstance(raw, Sequence):
        return [v for v in raw if isinstance(v, str)]
    return []


def _first(params: Mapping[str, Any], key: str) -> str:
    values = _values(params, key)
    return values[0].strip() if values else ""


def _positive_int(text: str, *, upper: int = 2**31 - 1) -> int | None:
    text = text.strip()
    if not text.isascii() or not text.isdigit() or len(text) > 10:
        return None
    value = int(text)
    return value if 0 < value <= upper else None


def _yuan_to_fen(text: str) -> int | None:
    """'12.3' → 1230; anything that is not a non-negative amount is ignored (a filter, not a form)."""
    cleaned = text.strip().replace(",", "").replace("¥", "").replace("￥", "")
    if not cleaned or len(cleaned) > 16:
        return None
    try:
        value = Decimal(cleaned)
    except InvalidOperation:
        return None
    if not value.is_finite() or value < 0:
        return None
    return min(int(value * 100), MAX_PRICE_FEN)


def _specs(values: list[str]) -> dict[str, list[str]]:
    """spec=颜色:红&spec=颜色:蓝&spec=尺码:M → {颜色: [红, 蓝], 尺码: [M]}."""
    out: dict[str, list[str]] = {}
    for item in values:
        name, sep, value = item.partition(":")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value or len(name) > MAX_SPEC_CHARS or len(value) > MAX_SPEC_CHARS:
            continue
        if name not in out and len(out) >= MAX_SPEC_NAMES:
            continue
        chosen = out.setdefault(name, [])
        if value not in chosen and len(chosen) < MAX_SPEC_VALUES:
            chosen.append(value)
    return out


def parse_query(params: Mapping[str, Any]) -> SearchQuery:
    """Query-string parameters → SearchQuery. Never raises: junk is ignored, numbers are clamped.

    q, category, shop, brand (repeatable), price_min / price_max (yuan), in_stock (1/true/on),
    spec (repeatable, 'name:value'), sort (one of SORTS), page, per_page.
    """
    q = normalize(_first(params, "q"))[:MAX_QUERY_CHARS].strip()
    brands: list[int] = []
    for raw in _values(params, "brand"):
        for piece in raw.split(","):
            brand = _positive_int(piece)
            if brand and brand not in brands and len(brands) < MAX_BRANDS:
                brands.append(brand)
    price_min, price_max = _yuan_to_fen(_first(params, "price_min")), _yuan_to_fen(_first(params, "price_max"))
    if price_min is not None and price_max is not None and price_min > price_max:
        price_min, price_max = price_max, price_min
    sort = _first(params, "sort")
    return SearchQuery(
        q=q,
        category_id=_positive_int(_first(params, "category")),
        price_min_fen=price_min or None,  # 0 as a minimum filters nothing
        price_max_fen=price_max,
        shop_id=_positive_int(_first(params, "shop")),
        brand_ids=brands,
        in_stock=_first(params, "in_stock").lower() in ("1", "true", "on", "yes"),
        specs=_specs(_values(params, "spec")),
        sort=sort if sort in SORTS else "relevance",
        page=min(_positive_int(_first(params, "page")) or 1, MAX_PAGE),
        per_page=min(_positive_int(_first(params, "per_page")) or 20, MAX_PER_PAGE),
    )


class _Args:
    """Collects arguments in the order their {} placeholders appear."""

    def __init__(self) -> None:
        self.values: list[Any] = []

    def __call__(self, value: Any, cast: str = "") -> str:
        self.values.append(value)
        return "{}" + cast


def _where(query: SearchQuery, arg: _Args, tsquery: str | None) -> list[str]:
    """Every condition except the brand one (the brand facet is counted without it, for multi-select)."""
    conds = ["p.status = 'active'", "s.status = 'active'"]
    if query.q:
        if tsquery is None:
            conds.append("false")  # only punctuation: nothing matches (rather than everything)
        else:
            conds.append("p.search_vector @@ qq.tq")
    if query.category_id:
        conds.append(
            "p.category IN (SELECT c.id FROM category c JOIN category root ON starts_with(c.path, root.path) "
            f"WHERE root.id = {arg(query.category_id, '::int')})"
        )
    if query.price_min_fen is not None:
        conds.append(f"p.price_min_fen >= {arg(query.price_min_fen, '::bigint')}")
    if query.price_max_fen is not None:
        conds.append(f"p.price_min_fen <= {arg(query.price_max_fen, '::bigint')}")
    if query.shop_id:
        conds.append(f"p.shop = {arg(query.shop_id, '::int')}")
    if query.in_stock:
        conds.append("p.stock_total > 0")
    if query.specs:
        sku = ["k.product = p.id"]
        for name, values in sorted(query.specs.items()):
            sku.append(f"k.spec_values ->> {arg(name, '::text')} = ANY({arg(list(values), '::text[]')})")
        if query.in_stock:
            sku.append("k.stock > 0")
        conds.append(f"EXISTS (SELECT 1 FROM sku k WHERE {' AND '.join(sku)})")
    return conds


def build_sql(query: SearchQuery) -> tuple[str, list[Any]]:
    """One statement, one round trip: total, the page of cards (in order) and every facet, as JSON columns.

    Relevance = ts_rank_cd (title weight A, brand B, category and subtitle C, specs D; normalised by
    length) + 1 when the whole query appears in the title as typed + a small sales term, so the exact
    phrase ranks first and among equals the better seller wins.
    """
    arg = _Args()
    tsquery = tsquery_literal(query.q) if query.q else None
    if query.q and tsquery is not None:
        source = f"product p JOIN shop s ON s.id = p.shop CROSS JOIN (SELECT {arg(tsquery, '::tsquery')} AS tq, "
        source += f"{arg(phrase_key(query.q), '::text')} AS phrase) qq"
        rank = (
            "ts_rank_cd(ARRAY[0.1, 0.2, 0.4, 1.0]::float4[], p.search_vector, qq.tq, 1 | 32)"
            " + CASE WHEN strpos(replace(lower(p.title), ' ', ''), qq.phrase) > 0 THEN 1.0 ELSE 0.0 END"
            " + 0.05 * log(1 + greatest(p.sales_count, 0))"
        )
    else:
        source = "product p JOIN shop s ON s.id = p.shop"
        rank = "0.05 * log(1 + greatest(p.sales_count, 0))"
    where = " AND ".join(_where(query, arg, tsquery))
    brand_filter = f"WHERE brand = ANY({arg(list(query.brand_ids), '::int[]')})" if query.brand_ids else ""
    limit, offset = arg(query.per_page, "::int"), arg(query.offset, "::int")
    sql = f"""
WITH base AS MATERIALIZED (
  SELECT p.id, p.category, p.brand, p.shop, p.price_min_fen, p.sales_count, p.created_at, p.rating_count,
         p.specs, {_RATING} AS rating, ({rank})::float8 AS rank
  FROM {source}
  WHERE {where}
),
hits AS (SELECT * FROM base {brand_filter}),
page AS (SELECT * FROM hits ORDER BY {order_by(query.sort)} LIMIT {limit} OFFSET {offset})
SELECT
  (SELECT count(*) FROM hits) AS total,
  (SELECT json_agg(json_build_object(
      'id', p.id, 'title', p.title, 'subtitle', p.subtitle, 'shop_id', p.shop, 'shop_name', s.name,
      'price_min_fen', p.price_min_fen, 'sales_count', p.sales_count, 'stock_total', p.stock_total,
      'rating_sum', p.rating_sum, 'rating_count', p.rating_count,
      'list_price_fen', (SELECT min(k.list_price_fen) FROM sku k WHERE k.product = p.id),
      'cover', (SELECT json_build_object('key', i.key, 'width', i.width, 'height', i.height)
                FROM product_image i WHERE i.product = p.id ORDER BY i.position, i.id LIMIT 1)
    ) ORDER BY {order_by(query.sort, "pg")})
   FROM page pg JOIN product p ON p.id = pg.id JOIN shop s ON s.id = p.shop) AS products,
  (SELECT json_agg(json_build_object('id', c.id, 'name', c.name_zh, 'name_en', c.name_en, 'count', f.n)
                   ORDER BY f.n DESC, c.id)
   FROM (SELECT category AS id, count(*) AS n FROM hits GROUP BY category ORDER BY n DESC, category
         LIMIT {FACET_LIMIT}) f JOIN category c ON c.id = f.id) AS categories,
  (SELECT json_agg(json_build_object('id', b.id, 'name', b.name, 'name_en', b.name_en, 'count', f.n)
                   ORDER BY f.n DESC, b.id)
   FROM (SELECT brand AS id, count(*) AS n FROM base WHERE brand IS NOT NULL GROUP BY brand
         ORDER BY n DESC, brand LIMIT {FACET_LIMIT}) f JOIN brand b ON b.id = f.id) AS brands,
  (SELECT json_agg(json_build_object('id', s.id, 'name', s.name, 'name_en', '', 'count', f.n)
                   ORDER BY f.n DESC, s.id)
   FROM (SELECT shop AS id, count(*) AS n FROM hits GROUP BY shop ORDER BY n DESC, shop
         LIMIT {FACET_LIMIT}) f JOIN shop s ON s.id = f.id) AS shops,
  (SELECT json_agg(json_build_object('name', f.name, 'value', f.value, 'count', f.n))
   FROM (SELECT e ->> 'name' AS name, v AS value, count(DISTINCT h.id) AS n
         FROM hits h
         CROSS JOIN LATERAL jsonb_array_elements(
             CASE WHEN jsonb_typeof(h.specs) = 'array' THEN h.specs ELSE '[]'::jsonb END) e
         CROSS JOIN LATERAL jsonb_array_elements_text(
             CASE WHEN jsonb_typeof(e -> 'values') = 'array' THEN e -> 'values' ELSE '[]'::jsonb END) v
         WHERE jsonb_typeof(e -> 'name') = 'string'
         GROUP BY 1, 2) f) AS specs,
  (SELECT min(price_min_fen) FROM hits) AS price_lo,
  (SELECT max(price_min_fen) FROM hits) AS price_hi
"""
    return sql, arg.values
