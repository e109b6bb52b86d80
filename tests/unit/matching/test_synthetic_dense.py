"""The dense-vocabulary synthetic organisation, beside the default one."""

from __future__ import annotations

from collections import Counter

import pytest

from tandem_testkit.matching_synthetic import organisation


def test_default_is_the_large_vocabulary() -> None:
    assert organisation(300, seed=4) == organisation(300, seed=4, vocabulary="large")


def test_unknown_vocabulary_is_refused() -> None:
    with pytest.raises(ValueError, match="vocabulary"):
        organisation(10, vocabulary="tiny")


def test_dense_shape() -> None:
    people = organisation(5_000, seed=1, vocabulary="dense")
    skills = {
        s["skill"] for p in people for key in ("skills_offered", "skills_wanted") for s in p["mentoring"][key]
    }
    assert len(skills) == 14
    assert sum(s.startswith("digital-") for s in skills) == 7
    assert all(len(p["mentoring"]["skills_offered"]) == 3 for p in people)
    assert all(len(p["mentoring"]["skills_wanted"]) == 2 for p in people)
    reports = Counter(p["manager_id"] for p in people if p["manager_id"])
    spans = list(reports.values())[:-1]  # the last manager may be cut short
    assert 5.5 <= sum(spans) / len(spans) <= 6.5
    assert len({p["location"]["country"] for p in people}) == 6
    assert len({p["timezone"] for p in people}) == 6
    without_english = sum("en" not in p["languages"] for p in people) / len(people)
    assert 0.08 <= without_english <= 0.12
    roles = Counter(tuple(p["mentoring"]["roles"]) for p in people)
    assert set(roles) == {("mentor", "mentee"), ("mentor",), ("mentee",)}
