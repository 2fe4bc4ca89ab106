"""Routes of the reviews app (issue 8)."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
