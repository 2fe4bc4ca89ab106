"""Rating summary and DSR averages (pure)."""

from datetime import UTC, datetime, timedelta

from app.core.errors import ValidationFailed
from app.reviews.services import dsr_average, followup_open, parse_review, summarize


def _r(rating: int, photos: str = "[]", followup: bool = False) -> dict:  # type: ignore[type-arg]
    return {"rating": rating, "photos": photos, "followup_at": datetime.now(UTC) if followup else None}


def test_summary_counts_average_and_positive_share() -> None:
    s = summarize([_r(5), _r(4, '[{"key": "r/ab/cd", "w": 10, "h": 10}]'), _r(2, followup=True), _r(1)])
    assert s.count == 4
    assert s.average == 3.0
    assert s.positive_pct == 50
    assert (s.with_photos, s.followups, s.low) == (1, 1, 2)


def test_summary_of_nothing_is_zero() -> None:
    s = summarize([])
    assert (s.count, s.average, s.positive_pct) == (0, 0.0, 0)


def test_average_rounds_to_one_decimal() -> None:
    assert summarize([_r(5), _r(5), _r(4)]).average == 4.7
    assert summarize([_r(5), _r(5), _r(4)]).positive_pct == 100


def test_dsr_means_per_dimension() -> None:
    rows = [
        {"dsr_description": 5, "dsr_service": 4, "dsr_logistics": 3},
        {"dsr_description": 4, "dsr_service": 4, "dsr_logistics": 5},
        {"dsr_description": 4, "dsr_service": 5, "dsr_logistics": 5},
    ]
    d = dsr_average(rows)
    assert (d.description, d.service, d.logistics, d.count) == (4.33, 4.33, 4.33, 3)
    assert dsr_average([]).count == 0


def test_parse_review_requires_ratings_in_range() -> None:
    try:
        parse_review({"rating": "6", "dsr_description": "5", "dsr_service": "0", "dsr_logistics": "3"})
    except ValidationFailed as exc:
        assert set(exc.errors) == {"rating", "dsr_service"}
    else:
        raise AssertionError("accepted a 6-star review")
    ok = parse_review({"rating": "4", "dsr_description": "5", "dsr_service": "5", "dsr_logistics": "3", "text": " 好 "})
    assert ok["rating"] == 4 and ok["text"] == "好" and ok["anonymous"] is False


def test_followup_window_is_90_days_and_once() -> None:
    now = datetime(2026, 11, 1, tzinfo=UTC)
    review = {"auto": False, "followup_at": None, "created_at": now - timedelta(days=90)}
    assert followup_open(review, now)
    assert not followup_open({**review, "created_at": now - timedelta(days=91)}, now)
    assert not followup_open({**review, "followup_at": now}, now)
    assert not followup_open({**review, "auto": True}, now)
