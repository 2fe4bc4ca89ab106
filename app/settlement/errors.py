"""Domain errors of the settlement app."""

from __future__ import annotations

from app.core.errors import DomainError


class PayoutError(DomainError):
    code = "payout_error"
