"""Tables of the complaints app (issue 8)."""

from __future__ import annotations
