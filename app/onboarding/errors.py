from __future__ import annotations

from typing import Any

from app.core.errors import DomainError, ValidationFailed
from app.core.i18n import gettext


class DocumentRejected(DomainError):
    code = "document_rejected"


class StepInvalid(ValidationFailed):
    """Field errors of a wizard step; a value is a msgid or (msgid, params) for messages with placeholders.
    What was typed has been saved all the same."""

    def __init__(self, errors: dict[str, Any]) -> None:
        super().__init__({k: v[0] if isinstance(v, tuple) else v for k, v in errors.items()})
        self.detailed = errors


def translate_errors(exc: DomainError) -> dict[str, str]:
    """Field errors in the request's language (messages with parameters filled in)."""
    if isinstance(exc, StepInvalid):
        errors = exc.detailed
    elif isinstance(exc, ValidationFailed):
        errors = exc.errors
    else:
        return {exc.field or "__all__": gettext(exc.message, **exc.params)}
    out = {}
    for name, message in errors.items():
        if isinstance(message, tuple):
            out[name] = gettext(message[0], **message[1])
        else:
            out[name] = gettext(message)
    return out
