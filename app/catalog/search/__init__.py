"""Storefront product search (see docs/decisions/0008-search.md).

Chinese text is segmented in Python with jieba into a weighted tsvector (product.search_vector, GIN index on
active products); queries become tsquery literals. pg_trgm only backs "did you mean" and a vocabulary table
(search_term) gives as-you-type suggestions in Chinese or pinyin.

    query = parse_query(request.query_params)   # never raises
    result = await search(query)                 # cards, total, facets, suggestions when nothing matched
    await record_search(keyword=query.q, user_id=..., visitor=..., results=result.total)

Keeping it current: reindex_products(product_ids=[...]) after a product's searchable text changes;
refresh_terms(max_age_seconds=600) from the worker's sweep; warm_up() at start-up loads jieba (~0.5 s).
"""

from app.catalog.search._index import refresh_terms, reindex_products
from app.catalog.search._keywords import (
    clear_history,
    enable_batched_log,
    flush_search_log,
    forget_hot_searches,
    history,
    hot_searches,
    log_search_later,
    record_search,
    rollup_searches,
    suggest,
)
from app.catalog.search._query import SORTS, SearchQuery, parse_query
from app.catalog.search._search import (
    FacetItem,
    Facets,
    ProductCard,
    SearchResult,
    card_from_row,
    did_you_mean,
    forget_cached_results,
    search,
)
from app.catalog.search._sql import CARD_JSON, build_sql
from app.catalog.search._text import normalize, segment, tsquery_literal, warm_up

__all__ = [
    "CARD_JSON",
    "SORTS",
    "FacetItem",
    "Facets",
    "ProductCard",
    "SearchQuery",
    "SearchResult",
    "build_sql",
    "card_from_row",
    "clear_history",
    "did_you_mean",
    "enable_batched_log",
    "flush_search_log",
    "forget_cached_results",
    "forget_hot_searches",
    "history",
    "hot_searches",
    "log_search_later",
    "normalize",
    "parse_query",
    "record_search",
    "refresh_terms",
    "reindex_products",
    "rollup_searches",
    "search",
    "segment",
    "suggest",
    "tsquery_literal",
    "warm_up",
]
