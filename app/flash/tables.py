"""Tables of the flash app (issue 7)."""

from __future__ import annotations
