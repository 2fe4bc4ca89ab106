"""Structured data for search engines (JSON-LD Product), safe to embed in a <script type="application/ld+json">."""

from __future__ import annotations

import json
from typing import Any

from markupsafe import Markup

from app.catalog.services import ProductDetail


def _yuan(fen: int) -> str:
    return f"{fen // 100}.{fen % 100:02d}"


def product_jsonld(detail: ProductDetail, base_url: Any, image_url: str | None = None) -> Markup:
    base = str(base_url).rstrip("/")
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Product",
        "name": detail.title,
        "description": detail.subtitle or detail.title,
        "sku": detail.skus[0].code if len(detail.skus) == 1 else str(detail.id),
        "url": f"{base}/p/{detail.id}",
        "offers": {
            "@type": "AggregateOffer",
            "priceCurrency": "CNY",
            "lowPrice": _yuan(detail.price_min_fen),
            "highPrice": _yuan(detail.price_max_fen),
            "offerCount": len(detail.skus),
            "availability": "https://schema.org/" + ("OutOfStock" if detail.sold_out else "InStock"),
        },
    }
    if image_url:
        data["image"] = base + image_url
    if detail.brand:
        data["brand"] = {"@type": "Brand", "name": detail.brand}
    if detail.rating_count:
        data["aggregateRating"] = {
            "@type": "AggregateRating",
            "ratingValue": detail.rating,
            "reviewCount": detail.rating_count,
        }
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    # no "</script>" or "<!--" can end the block early
    return Markup(text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026"))  # noqa: S704
