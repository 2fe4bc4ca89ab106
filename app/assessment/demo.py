"""Demo rows of the assessment app (issue 9), loaded by app/demo.py after the orders demo. Idempotent."""

from __future__ import annotations


async def load_assessment_demo() -> None:
    return None
