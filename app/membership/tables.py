"""Tables of the membership app (issue 7)."""

from __future__ import annotations
