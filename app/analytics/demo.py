"""Demo rows of the analytics app (issue 9), loaded by app/demo.py after the orders demo. Idempotent."""

from __future__ import annotations


async def load_analytics_demo() -> None:
    return None
