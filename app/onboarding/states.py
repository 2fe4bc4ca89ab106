"""The application's life as a table of allowed transitions (pure; the services consult it before writing).

draft ──submit──▶ submitted ──approve──▶ approved
                      │ ──reject───▶ rejected      (the applicant may start a new application)
                      └ ──ask_info─▶ needs_info ──resubmit──▶ submitted
"""

from __future__ import annotations

from app.core.errors import DomainError
from app.core.i18n import N_

STATUSES = ("draft", "submitted", "approved", "rejected", "needs_info")
OPEN_STATUSES = ("draft", "submitted", "needs_info")  # an applicant has at most one of these
EDITABLE_STATUSES = ("draft", "needs_info")  # the applicant may change the answers

TRANSITIONS: dict[tuple[str, str], str] = {
    ("draft", "submit"): "submitted",
    ("needs_info", "submit"): "submitted",
    ("submitted", "approve"): "approved",
    ("submitted", "reject"): "rejected",
    ("submitted", "ask_info"): "needs_info",
}


class TransitionRefused(DomainError):
    code = "transition_refused"


def next_status(status: str, action: str) -> str:
    """The status after `action`, or TransitionRefused when the action is not allowed from `status`."""
    try:
        return TRANSITIONS[(status, action)]
    except KeyError:
        raise TransitionRefused(N_("This application cannot be changed that way in its current state.")) from None


def allowed_actions(status: str) -> list[str]:
    return [action for (source, action) in TRANSITIONS if source == status]
