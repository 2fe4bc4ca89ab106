"""Tables of the settlement app (issue 9)."""

from __future__ import annotations
