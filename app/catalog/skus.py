"""Choosing a SKU from spec values: pure functions shared by the product page and its htmx fragment."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class SkuView:
    id: int
    code: str
    spec_values: dict[str, str]
    price_fen: int
    list_price_fen: int | None
    stock: int
    image_position: int | None


@dataclass(frozen=True, slots=True)
class SpecOption:
    value: str
    selected: bool
    available: bool  # some SKU with this value (and the other chosen values) is in stock
    query: dict[str, str]  # the query string choosing this option (or un-choosing it when selected)


@dataclass(frozen=True, slots=True)
class SpecDimension:
    name: str
    options: list[SpecOption]


@dataclass(frozen=True, slots=True)
class Selection:
    chosen: dict[str, str]
    sku: SkuView | None  # set when every dimension is chosen and a SKU matches
    dimensions: list[SpecDimension]
    price_min_fen: int  # of the SKUs still possible
    price_max_fen: int
    list_price_fen: int | None
    stock: int  # of the chosen SKU, else of all possible SKUs
    image_position: int | None


def parse_specs(specs: Any) -> list[tuple[str, list[str]]]:
    """Product.specs JSON → [(name, [values])], skipping malformed entries."""
    out: list[tuple[str, list[str]]] = []
    for item in specs if isinstance(specs, list) else []:
        if isinstance(item, dict) and isinstance(item.get("name"), str) and isinstance(item.get("values"), list):
            out.append((item["name"], [str(v) for v in item["values"]]))
    return out


def select(specs: list[tuple[str, list[str]]], skus: list[SkuView], wanted: dict[str, str]) -> Selection:
    """Keep only values that exist; a product with one SKU and no specs is always fully chosen."""
    chosen = {name: wanted[name] for name, values in specs if wanted.get(name) in values}

    def matches(sku: SkuView, picks: dict[str, str]) -> bool:
        return all(sku.spec_values.get(k) == v for k, v in picks.items())

    possible = [s for s in skus if matches(s, chosen)] or skus
    dimensions = []
    for name, values in specs:
        others = {k: v for k, v in chosen.items() if k != name}
        options = [
            SpecOption(
                value=value,
                selected=chosen.get(name) == value,
                available=any(s.stock > 0 and matches(s, {**others, name: value}) for s in skus),
                query={
                    f"spec.{k}": v
                    for k, v in ({**others} if chosen.get(name) == value else {**others, name: value}).items()
                },
            )
            for value in values
        ]
        dimensions.append(SpecDimension(name, options))
    sku = None
    if len(chosen) == len(specs):
        sku = next((s for s in skus if matches(s, chosen)), None) if specs else (skus[0] if len(skus) == 1 else None)
    prices = [s.price_fen for s in ([sku] if sku else possible)] or [0]
    lists = [s.list_price_fen for s in ([sku] if sku else possible) if s.list_price_fen]
    images = [s.image_position for s in possible if s.image_position is not None]
    return Selection(
        chosen=chosen,
        sku=sku,
        dimensions=dimensions,
        price_min_fen=min(prices),
        price_max_fen=max(prices),
        list_price_fen=(sku.list_price_fen if sku else (max(lists) if lists else None)),
        stock=sku.stock if sku else sum(s.stock for s in possible),
        image_position=sku.image_position if sku else (images[0] if len(set(images)) == 1 else None),
    )
