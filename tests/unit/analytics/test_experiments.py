"""A/B assignment (stable, proportional to the weights) and the interval math."""

from __future__ import annotations

import math
import uuid

import pytest

from app.analytics.experiments import Variant, bucket, difference, validate, wilson
from app.core.errors import ValidationFailed

AB = [Variant("a", "classic", 50), Variant("b", "compact", 50)]


def test_assignment_is_stable_per_visitor_and_experiment() -> None:
    visitor = str(uuid.UUID(int=12345))
    first = bucket(visitor, 1, AB)
    assert all(bucket(visitor, 1, AB) == first for _ in range(20))
    # another experiment reshuffles: over many visitors, assignments in experiments 1 and 2 are independent
    visitors = [str(uuid.UUID(int=i)) for i in range(4000)]
    same = sum(bucket(v, 1, AB) == bucket(v, 2, AB) for v in visitors)
    assert 1800 < same < 2200


def test_assignment_follows_the_weights() -> None:
    variants = [Variant("a", "classic", 80), Variant("b", "compact", 20)]
    visitors = [str(uuid.UUID(int=i * 7919)) for i in range(20_000)]
    share_b = sum(bucket(v, 3, variants).key == "b" for v in visitors) / len(visitors)  # type: ignore[union-attr]
    assert 0.19 < share_b < 0.21
    assert bucket("", 3, variants) is None  # no visitor id: no variant
    assert {bucket(v, 3, [Variant("a", "classic", 0), Variant("b", "compact", 5)]).key for v in visitors[:50]} == {  # type: ignore[union-attr]
        "b"
    }


def test_wilson_interval_matches_the_textbook_values() -> None:
    # 81 successes of 263 (Newcombe 1998's example set): 0.2553 to 0.3662
    low, high = wilson(81, 263)  # type: ignore[misc]
    assert (round(low, 4), round(high, 4)) == (0.2553, 0.3662)
    low, high = wilson(0, 10)  # type: ignore[misc]
    assert low == 0.0 and round(high, 4) == 0.2775  # never below 0, not degenerate at p = 0
    assert wilson(0, 0) is None


def test_difference_interval_newcombe_hybrid() -> None:
    # Newcombe (1998), method 10, example (a): 56/70 vs 48/80 → difference 0.2000, interval 0.0524 to 0.3339
    diff, low, high = difference(56, 70, 48, 80)  # type: ignore[misc]
    assert (round(diff, 4), round(low, 4), round(high, 4)) == (0.2, 0.0524, 0.3339)
    assert difference(1, 10, 0, 0) is None
    diff, low, high = difference(5, 100, 5, 100)  # type: ignore[misc]
    assert diff == 0 and low < 0 < high and math.isclose(-low, high)


def test_variant_form_validation() -> None:
    name, variants = validate(" Home v2 ", [("a", "classic", "50"), ("b", "compact", "50"), ("", "classic", "")])
    assert name == "Home v2" and [v.key for v in variants] == ["a", "b"]
    with pytest.raises(ValidationFailed) as caught:
        validate("", [("a", "classic", "50"), ("a", "compact", "x"), ("c d", "classic", "1")])
    assert set(caught.value.errors) == {"name", "key_2", "key_3"}
    with pytest.raises(ValidationFailed) as caught:
        validate("x", [("a", "classic", "50"), ("b", "fancy", "50")])
    assert set(caught.value.errors) == {"layout_2"}
    with pytest.raises(ValidationFailed) as caught:
        validate("x", [("a", "classic", "0")])
    assert set(caught.value.errors) == {"weight_1"}
