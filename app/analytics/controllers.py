"""Pages of the analytics app (issue 9)."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
