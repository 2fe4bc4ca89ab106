from app.complaints import services


def test_transitions_follow_open_handling_final() -> None:
    assert services.can_move("open", "handling")
    assert services.can_move("open", "dismissed")
    assert not services.can_move("open", "resolved")
    assert services.can_move("handling", "resolved") and services.can_move("handling", "dismissed")
    for final in ("resolved", "dismissed"):
        assert not any(services.can_move(final, s) for s in services.STATUSES)
    assert not services.can_move("open", "bogus")


def test_validate_form() -> None:
    assert services.validate(category="fake", text="一" * 10, photo_count=4) == {}
    errors = services.validate(category="nope", text="短", photo_count=5)
    assert set(errors) == {"category", "text", "photos"}
    assert services.validate(category="other", text="长" * 2001, photo_count=0) == {"text": services.TEXT_TOO_LONG}
