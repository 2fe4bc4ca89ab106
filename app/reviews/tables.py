"""Tables of the reviews app (issue 8)."""

from __future__ import annotations
