"""Domain errors: services raise these, never HTTP errors. One app-level handler maps them to responses."""

from __future__ import annotations


class DomainError(Exception):
    """A rule was broken. `message` is a gettext msgid; `params` fill its %(name)s placeholders."""

    code = "domain_error"
    status_code = 422

    def __init__(self, message: str, *, field: str | None = None, **params: object) -> None:
        super().__init__(message)
        self.message, self.field, self.params = message, field, params


class NotFound(DomainError):
    code = "not_found"
    status_code = 404


class Forbidden(DomainError):
    code = "forbidden"
    status_code = 403


class RateLimited(DomainError):
    code = "rate_limited"
    status_code = 429


class ValidationFailed(DomainError):
    """Several field errors at once: {field: msgid}. The form re-renders with them and what was typed."""

    code = "validation_failed"

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("Please correct the marked fields.")
        self.errors = errors
