"""Static URLs: content-hashed names from the manifest that `servestatic --all` writes (make builds it)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path

from app.config import ROOT, get_settings

SOURCE = ROOT / "static"


def static_root() -> Path:
    built = get_settings().static_root
    return built if (built / "staticfiles.json").exists() else SOURCE


@cache
def _manifest() -> dict[str, str]:
    path = get_settings().static_root / "staticfiles.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text())
    return data.get("paths", data)


def static_url(path: str) -> str:
    return "/static/" + _manifest().get(path, path)
