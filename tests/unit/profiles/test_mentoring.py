from __future__ import annotations

import time
from typing import Any

import orjson
import pytest

from tandem_profiles.adapters.taxonomy_file import load_taxonomy
from tandem_profiles.domain.mentoring import (
    EMPTY_MENTORING_PROFILE,
    MAX_SKILLS_PER_LIST,
    Consents,
    MentoringProfile,
    MentoringProfileInvalid,
    SkillLevel,
    normalise_update,
    parse_update,
    validate_write,
)
from tandem_profiles.domain.taxonomy import SkillTaxonomy


@pytest.fixture(scope="module")
def taxonomy() -> SkillTaxonomy:
    return load_taxonomy()


def valid_write(**overrides: Any) -> dict[str, Any]:
    write: dict[str, Any] = {
        "skills_offered": [{"skill": "Social Media", "level": 4}, {"skill": "K8s", "level": 3}],
        "skills_wanted": [{"skill": "stakeholder management", "level": 3}],
        "roles": ["mentee", "mentor"],
        "capacity": 2,
        "hours_per_month": 4,
        "goals": "Learn how decisions get made here.",
        "consents": {"generation_aware_pairing": True, "demographics_for_reporting": False},
    }
    write.update(overrides)
    return write


def errors_of(raw: dict[str, Any], taxonomy: SkillTaxonomy) -> list[tuple[str, str]]:
    with pytest.raises(MentoringProfileInvalid) as caught:
        validate_write(raw, taxonomy)
    return [(error.path, error.message) for error in caught.value.errors]


def test_valid_write_resolves_skills_to_canonical_ids(taxonomy: SkillTaxonomy) -> None:
    profile = validate_write(valid_write(), taxonomy)
    assert profile.to_data() == {
        "skills_offered": [
            {"skill": "social-media", "level": 4},
            {"skill": "kubernetes", "level": 3},
        ],
        "skills_wanted": [{"skill": "stakeholder-management", "level": 3}],
        "roles": ["mentor", "mentee"],
        "capacity": 2,
        "hours_per_month": 4,
        "goals": "Learn how decisions get made here.",
        "consents": {"generation_aware_pairing": True, "demographics_for_reporting": False},
    }


def test_default_profile_is_empty() -> None:
    assert EMPTY_MENTORING_PROFILE.to_data() == {
        "skills_offered": [],
        "skills_wanted": [],
        "roles": [],
        "capacity": 0,
        "hours_per_month": 0,
        "goals": "",
        "consents": {"generation_aware_pairing": False, "demographics_for_reporting": False},
    }


def test_bounds_are_accepted(taxonomy: SkillTaxonomy) -> None:
    low = validate_write(valid_write(capacity=0, hours_per_month=0, goals="", roles=[]), taxonomy)
    high = validate_write(
        valid_write(
            capacity=5,
            hours_per_month=40,
            goals="g" * 2000,
            skills_offered=[{"skill": "sql", "level": 1}, {"skill": "python", "level": 5}],
        ),
        taxonomy,
    )
    assert (low.capacity, low.hours_per_month, low.goals, low.roles) == (0, 0, "", ())
    assert (high.capacity, high.hours_per_month, len(high.goals)) == (5, 40, 2000)
    assert high.skills_offered == (SkillLevel("sql", 1), SkillLevel("python", 5))


def test_omitted_fields_keep_the_current_value(taxonomy: SkillTaxonomy) -> None:
    current = validate_write(valid_write(), taxonomy)
    changed = normalise_update(parse_update({"capacity": 4}), taxonomy, current)
    assert changed == MentoringProfile(
        skills_offered=current.skills_offered,
        skills_wanted=current.skills_wanted,
        roles=("mentor", "mentee"),
        capacity=4,
        hours_per_month=4,
        goals=current.goals,
        consents=Consents(generation_aware_pairing=True, demographics_for_reporting=False),
    )


def test_unknown_skill_is_reported_at_its_location_with_a_suggestion(
    taxonomy: SkillTaxonomy,
) -> None:
    offered = [
        {"skill": "sql", "level": 2},
        {"skill": "python", "level": 2},
        {"skill": "Kuberntes", "level": 3},
    ]
    raw = valid_write(skills_offered=offered)
    assert errors_of(raw, taxonomy) == [
        ("skills_offered.2.skill", "unknown skill 'Kuberntes'; did you mean kubernetes?")
    ]
    with pytest.raises(MentoringProfileInvalid) as caught:
        validate_write(raw, taxonomy)
    assert str(caught.value) == (
        "skills_offered.2.skill: unknown skill 'Kuberntes'; did you mean kubernetes?"
    )


def test_duplicate_skill_is_detected_across_spellings(taxonomy: SkillTaxonomy) -> None:
    wanted = [{"skill": "Kubernetes", "level": 2}, {"skill": "K8s", "level": 4}]
    assert errors_of(valid_write(skills_wanted=wanted), taxonomy) == [
        ("skills_wanted.1.skill", "duplicate skill 'kubernetes', already at skills_wanted.0")
    ]


def test_the_same_skill_may_be_offered_and_wanted(taxonomy: SkillTaxonomy) -> None:
    profile = validate_write(
        valid_write(
            skills_offered=[{"skill": "sql", "level": 2}],
            skills_wanted=[{"skill": "SQL", "level": 5}],
        ),
        taxonomy,
    )
    assert profile.skills_offered == (SkillLevel("sql", 2),)
    assert profile.skills_wanted == (SkillLevel("sql", 5),)


@pytest.mark.parametrize(
    ("overrides", "location", "message"),
    [
        (
            {"skills_offered": [{"skill": "sql", "level": 0}]},
            "skills_offered.0.level",
            "Input should be greater than or equal to 1",
        ),
        (
            {"skills_wanted": [{"skill": "sql", "level": 3}, {"skill": "python", "level": 6}]},
            "skills_wanted.1.level",
            "Input should be less than or equal to 5",
        ),
        (
            {"skills_offered": [{"skill": "sql", "level": "3"}]},
            "skills_offered.0.level",
            "Input should be a valid integer",
        ),
        (
            {"skills_offered": [{"skill": "", "level": 3}]},
            "skills_offered.0.skill",
            "String should have at least 1 character",
        ),
        (
            {"skills_offered": [{"level": 3}]},
            "skills_offered.0.skill",
            "Field required",
        ),
        ({"skills_offered": "sql"}, "skills_offered", "Input should be a valid list"),
        ({"roles": ["mentor", "boss"]}, "roles.1", "Input should be 'mentor' or 'mentee'"),
        ({"roles": "mentor"}, "roles", "Input should be a valid list"),
        ({"capacity": -1}, "capacity", "Input should be greater than or equal to 0"),
        ({"capacity": 6}, "capacity", "Input should be less than or equal to 5"),
        ({"capacity": "2"}, "capacity", "Input should be a valid integer"),
        ({"capacity": None}, "capacity", "Input should be a valid integer"),
        ({"capacity": True}, "capacity", "Input should be a valid integer"),
        ({"hours_per_month": -1}, "hours_per_month", "Input should be greater than or equal to 0"),
        ({"hours_per_month": 41}, "hours_per_month", "Input should be less than or equal to 40"),
        ({"hours_per_month": 2.5}, "hours_per_month", "Input should be a valid integer"),
        ({"goals": "g" * 2001}, "goals", "String should have at most 2000 characters"),
        ({"goals": 7}, "goals", "Input should be a valid string"),
        (
            {"consents": {"generation_aware_pairing": "yes"}},
            "consents.generation_aware_pairing",
            "Input should be a valid boolean",
        ),
        (
            {"consents": {"share_everything": True}},
            "consents.share_everything",
            "Extra inputs are not permitted",
        ),
        ({"nickname": "Ana"}, "nickname", "Extra inputs are not permitted"),
    ],
)
def test_each_bad_field_is_reported_at_its_exact_location(
    taxonomy: SkillTaxonomy, overrides: dict[str, Any], location: str, message: str
) -> None:
    assert errors_of(valid_write(**overrides), taxonomy) == [(location, message)]


def test_duplicate_role_is_reported(taxonomy: SkillTaxonomy) -> None:
    assert errors_of(valid_write(roles=["mentor", "mentor"]), taxonomy) == [
        ("roles.1", "duplicate role 'mentor'")
    ]


def test_every_bad_field_of_one_write_is_reported_together(taxonomy: SkillTaxonomy) -> None:
    raw = valid_write(
        skills_offered=[
            {"skill": "K8s", "level": 3},
            {"skill": "kubernetes", "level": 2},
            {"skill": "Kuberntes", "level": 0},
        ],
        capacity=6,
        goals="g" * 2001,
    )
    assert errors_of(raw, taxonomy) == [
        ("skills_offered.2.level", "Input should be greater than or equal to 1"),
        ("capacity", "Input should be less than or equal to 5"),
        ("goals", "String should have at most 2000 characters"),
        ("skills_offered.1.skill", "duplicate skill 'kubernetes', already at skills_offered.0"),
        ("skills_offered.2.skill", "unknown skill 'Kuberntes'; did you mean kubernetes?"),
    ]


def oversized_skill_list(entries: int = 1650) -> list[dict[str, Any]]:
    """Unknown skills only, each of which would cost a fuzzy search if it were resolved."""
    return [{"skill": f"Kubernetes operator {index}", "level": 3} for index in range(entries)]


def test_an_oversized_skill_list_is_refused_on_its_size_before_any_skill_is_resolved(
    taxonomy: SkillTaxonomy,
) -> None:
    raw = {"skills_offered": oversized_skill_list()}
    assert len(orjson.dumps(raw)) > 76_000
    started = time.process_time()
    errors = errors_of(raw, taxonomy)
    cpu_seconds = time.process_time() - started
    assert errors == [("skills_offered", "at most 20 entries, not 1650")]
    # Resolving every entry took seconds; the size alone decides now.
    assert cpu_seconds < 0.1


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"skills_wanted": oversized_skill_list(21)}, [("skills_wanted", "at most 20 entries, not 21")]),
        ({"roles": ["mentor", "mentee", "mentor"]}, [("roles", "at most 2 entries, not 3")]),
        (
            {"skills_offered": oversized_skill_list(25), "skills_wanted": oversized_skill_list(30)},
            [
                ("skills_offered", "at most 20 entries, not 25"),
                ("skills_wanted", "at most 20 entries, not 30"),
            ],
        ),
    ],
)
def test_each_oversized_list_is_named_with_its_cap(
    taxonomy: SkillTaxonomy, overrides: dict[str, Any], expected: list[tuple[str, str]]
) -> None:
    assert errors_of(valid_write(**overrides), taxonomy) == expected


def test_a_list_at_its_cap_is_resolved_entry_by_entry(taxonomy: SkillTaxonomy) -> None:
    skills = [{"skill": skill.id, "level": 2} for skill in list(taxonomy)[:MAX_SKILLS_PER_LIST]]
    profile = validate_write(valid_write(skills_wanted=skills), taxonomy)
    assert len(profile.skills_wanted) == MAX_SKILLS_PER_LIST
    offered = [*skills[:19], {"skill": "Kuberntes", "level": 1}]
    assert errors_of(valid_write(skills_offered=offered), taxonomy) == [
        ("skills_offered.19.skill", "unknown skill 'Kuberntes'; did you mean kubernetes?")
    ]


def test_an_oversized_list_is_reported_with_the_other_bad_fields(taxonomy: SkillTaxonomy) -> None:
    raw = valid_write(
        skills_offered=oversized_skill_list(40),
        skills_wanted=[{"skill": "Kuberntes", "level": 2}],
        capacity=9,
    )
    assert errors_of(raw, taxonomy) == [
        ("skills_offered", "at most 20 entries, not 40"),
        ("capacity", "Input should be less than or equal to 5"),
        ("skills_wanted.0.skill", "unknown skill 'Kuberntes'; did you mean kubernetes?"),
    ]


@pytest.mark.parametrize("goals", ["before\x00after", "\x00", "bell\x07"])
def test_goals_with_control_characters_are_refused(taxonomy: SkillTaxonomy, goals: str) -> None:
    # PostgreSQL cannot store NUL in text or JSONB; other control characters are never
    # part of a goal someone typed.
    assert errors_of(valid_write(goals=goals), taxonomy) == [
        ("goals", "Value error, must not contain control characters other than tab and line breaks")
    ]


def test_goals_may_span_lines(taxonomy: SkillTaxonomy) -> None:
    goals = "Grow as a speaker.\r\n\tThen lead a team."
    assert validate_write(valid_write(goals=goals), taxonomy).goals == goals
