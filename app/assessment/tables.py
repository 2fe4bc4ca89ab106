"""Tables of the assessment app (issue 9)."""

from __future__ import annotations
