"""Routes of the complaints app (issue 8)."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
