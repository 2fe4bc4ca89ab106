import pytest

from app.onboarding.states import STATUSES, TRANSITIONS, TransitionRefused, allowed_actions, next_status


@pytest.mark.parametrize(
    ("status", "action", "after"),
    [
        ("draft", "submit", "submitted"),
        ("submitted", "approve", "approved"),
        ("submitted", "reject", "rejected"),
        ("submitted", "ask_info", "needs_info"),
        ("needs_info", "submit", "submitted"),
    ],
)
def test_allowed_transitions(status: str, action: str, after: str) -> None:
    assert next_status(status, action) == after


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("draft", "approve"),
        ("draft", "reject"),
        ("needs_info", "approve"),
        ("approved", "reject"),
        ("approved", "submit"),
        ("rejected", "submit"),
        ("rejected", "approve"),
        ("submitted", "submit"),
    ],
)
def test_refused_transitions(status: str, action: str) -> None:
    with pytest.raises(TransitionRefused):
        next_status(status, action)


def test_final_states_have_no_way_out_and_every_target_is_a_status() -> None:
    assert allowed_actions("approved") == [] and allowed_actions("rejected") == []
    assert set(TRANSITIONS.values()) <= set(STATUSES)
    assert sorted(allowed_actions("submitted")) == ["approve", "ask_info", "reject"]
