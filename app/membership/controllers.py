"""Routes of the membership app (issue 7)."""

from __future__ import annotations

from typing import Any

ROUTES: list[Any] = []
