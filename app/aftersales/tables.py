"""Tables of the aftersales app (issue 8)."""

from __future__ import annotations
