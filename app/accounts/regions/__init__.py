"""Mainland China's provinces, cities and districts with their GB/T 2260 codes (110000 北京市 → 110100 北京市 →
110101 东城区), from the bundled regions.json (see README.md). Loaded once, on first use; no network.

Municipalities get a city level named after them (110100 北京市), as parcels are addressed. The four cities
without districts (东莞市, 中山市, 儋州市, 嘉峪关市) list their towns and streets instead (nine-digit codes), so every
city has a third level; is_valid_path() would accept district "" only for a city with none."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.core.i18n import get_locale

DATA = Path(__file__).resolve().parent / "regions.json"


@dataclass(frozen=True, slots=True)
class Region:
    code: str
    name: str  # Chinese, as written on a parcel
    name_en: str  # pinyin for provinces and municipalities; "" elsewhere (Chinese is shown)
    parent: str  # "" for a province
    level: int  # 1 province, 2 city, 3 district

    @property
    def label(self) -> str:
        """The name for the current locale: English where there is one and the reader reads English."""
        return self.name_en if self.name_en and get_locale() == "en" else self.name


@dataclass(frozen=True, slots=True)
class _Index:
    by_code: dict[str, Region]
    kids: dict[str, tuple[Region, ...]]  # "" → provinces


@lru_cache(maxsize=1)
def _index() -> _Index:
    raw = json.loads(DATA.read_text(encoding="utf-8"))
    by_code: dict[str, Region] = {}
    kids: dict[str, tuple[Region, ...]] = {}
    provinces = []
    for p_code, p_name, p_en, cities in raw["provinces"]:
        province = Region(p_code, p_name, p_en, "", 1)
        provinces.append(province)
        city_list = []
        for c_code, c_name, c_en, districts in cities:
            city = Region(c_code, c_name, c_en, p_code, 2)
            city_list.append(city)
            kids[c_code] = tuple(Region(d_code, d_name, "", c_code, 3) for d_code, d_name in districts)
        kids[p_code] = tuple(city_list)
    kids[""] = tuple(provinces)
    for regions in kids.values():
        for region in regions:
            by_code[region.code] = region
    return _Index(by_code, kids)


def provinces() -> tuple[Region, ...]:
    return _index().kids[""]


def children(code: str) -> tuple[Region, ...]:
    """A province's cities or a city's districts (empty for a district or an unknown code)."""
    return _index().kids.get(code or "\0", ())


def get(code: str) -> Region | None:
    return _index().by_code.get(code or "")


def name(code: str, *, locale: str = "zh_CN") -> str:
    """The region's name ("" for an unknown code); English (pinyin) for provinces when locale is "en"."""
    region = get(code)
    if region is None:
        return ""
    return region.name_en if locale == "en" and region.name_en else region.name


def is_valid_path(province: str, city: str, district: str) -> bool:
    """True when city is one of the province's cities and district one of the city's districts (or "" for a
    city that has none)."""
    c = get(city)
    if c is None or c.level != 2 or c.parent != province:
        return False
    if not children(city):
        return district == ""
    d = get(district)
    return d is not None and d.level == 3 and d.parent == city


def full_name(province: str, city: str, district: str) -> str:
    """'上海市 上海市 浦东新区' — the Chinese names in order, skipping a missing district."""
    return " ".join(n for n in (name(province), name(city), name(district)) if n)
