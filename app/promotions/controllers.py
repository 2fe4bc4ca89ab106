"""Routes of the promotions app (issue 7)."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
