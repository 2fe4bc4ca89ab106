"""Tables of the operations app (issue 9)."""

from __future__ import annotations
