"""The program aggregate: defaults, validation of every field, edits and statuses."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tandem_common.user_errors import UserError, UserErrors
from tandem_matching.domain.programs import PROGRAM_STATUSES, TRANSITIONS, Program
from tests.unit.matching_service.support import DEFAULT_RULES, DEFAULT_WEIGHTS, T0, a_program

VALID = {"name": "Reciprocal 2027", "type": "reciprocal"}


def errors_of(data, *, program: Program | None = None) -> list[UserError]:
    with pytest.raises(UserErrors) as raised:
        if program is None:
            Program.create("P1", data, creator="ADM", now=T0)
        else:
            program.edit(data, now=T0)
    return list(raised.value.errors)


def test_a_new_program_is_a_draft_with_the_documented_defaults() -> None:
    program = Program.create("P1", VALID, creator="ADM", now=T0)
    assert (program.status, program.version, program.admins) == ("draft", 1, ("ADM",))
    assert program.settings() == {
        "name": "Reciprocal 2027",
        "type": "reciprocal",
        "rules": DEFAULT_RULES,
        "weights": DEFAULT_WEIGHTS,
        "cadence": {"sessions_per_month": 2, "minutes_per_session": 60},
        "duration_days": 180,
        "checkins": {"first_after_days": 30, "every_days": 60},
        "acceptance": "both",
        "auto_rematch": False,
        "eligibility": {"departments": [], "countries": [], "min_seniority": None, "max_seniority": None},
        "admins": ["ADM"],
    }


def test_the_creator_is_the_first_admin_and_listed_admins_follow_once() -> None:
    program = Program.create("P1", {**VALID, "admins": ["X1", "ADM", "X2"]}, creator="ADM", now=T0)
    assert program.admins == ("ADM", "X1", "X2")


def test_every_given_setting_is_kept() -> None:
    data = {
        **VALID,
        "rules": {"exclude_same_department": True, "min_timezone_overlap_hours": 2.5},
        "weights": {"cross_department": 0.2},
        "cadence": {"sessions_per_month": 4, "minutes_per_session": 45},
        "duration_days": 90,
        "checkins": {"first_after_days": 14, "every_days": 28},
        "acceptance": "auto",
        "auto_rematch": True,
        "eligibility": {"departments": ["Finance"], "countries": ["BR", "PT"], "min_seniority": 2},
    }
    settings = Program.create("P1", data, creator="ADM", now=T0).settings()
    assert settings["rules"]["exclude_same_department"] is True
    assert settings["rules"]["min_timezone_overlap_hours"] == 2.5
    assert settings["rules"]["exclude_reporting_line"] is True
    assert settings["weights"]["cross_department"] == 0.2
    assert settings["cadence"] == {"sessions_per_month": 4, "minutes_per_session": 45}
    assert (settings["duration_days"], settings["acceptance"], settings["auto_rematch"]) == (90, "auto", True)
    assert settings["checkins"] == {"first_after_days": 14, "every_days": 28}
    assert settings["eligibility"] == {
        "departments": ["Finance"],
        "countries": ["BR", "PT"],
        "min_seniority": 2,
        "max_seniority": None,
    }


def bad_field(data, field, message, id=None):
    """One case of BAD_FIELDS, named after its field unless ``id`` names it."""
    return pytest.param(data, field, message, id=id or field)


def bad_setting(group, name, value, message, id=None):
    """A bad value of one setting of a group (``{group: {name: value}}``)."""
    return bad_field({group: {name: value}}, f"{group}.{name}", message, id=id)


# Every field, one bad value each: (input, field, message).
BAD_FIELDS = [
    bad_field({"name": ""}, "name", "must be a non-empty string", id="name-empty"),
    bad_field({"name": "x" * 201}, "name", "must be at most 200 characters", id="name-long"),
    bad_field({"name": "a\x00b"}, "name", "must not contain control characters", id="name-nul"),
    bad_field({"name": 7}, "name", "must be a non-empty string", id="name-type"),
    bad_field({"type": "mentoring"}, "type", "must be one of reciprocal, reverse, traditional, peer, group"),
    bad_field({"rules": []}, "rules", "must be an object"),
    bad_setting("rules", "exclude_reporting_line", 1, "must be true or false"),
    bad_setting("rules", "exclude_same_department", "yes", "must be true or false"),
    bad_setting("rules", "min_timezone_overlap_hours", 9, "must be from 0 to 8"),
    bad_setting("rules", "require_common_language", None, "must be true or false"),
    bad_setting("rules", "exclude_previous_pairs", [], "is not a known field", id="rules.unknown"),
    bad_field({"weights": 1}, "weights", "must be an object"),
    *[
        bad_setting("weights", name, bad, message, id=f"weights.{name}-{message[:12]}")
        for name in (
            "skill_complementarity",
            "reciprocity_balance",
            "cross_department",
            "cross_generation",
            "timezone_overlap",
            "common_goals",
        )
        for bad, message in ((-0.1, "must be from 0 to 100"), (float("nan"), "must be a number"))
    ],
    bad_setting("weights", "luck", 1, "is not a known field", id="weights.unknown"),
    bad_field({"cadence": "weekly"}, "cadence", "must be an object"),
    bad_setting("cadence", "sessions_per_month", 0, "must be from 1 to 31"),
    bad_setting("cadence", "minutes_per_session", 30.5, "must be a whole number"),
    bad_field({"duration_days": 0}, "duration_days", "must be from 1 to 3650"),
    bad_field({"duration_days": True}, "duration_days", "must be a whole number", id="duration_days-bool"),
    bad_field({"checkins": None}, "checkins", "must be an object"),
    bad_setting("checkins", "first_after_days", 0, "must be from 1 to 365"),
    bad_setting("checkins", "every_days", 400, "must be from 1 to 365"),
    bad_field({"acceptance": "any"}, "acceptance", "must be one of both, auto"),
    bad_field({"auto_rematch": "true"}, "auto_rematch", "must be true or false"),
    bad_field({"eligibility": []}, "eligibility", "must be an object"),
    bad_field(
        {"eligibility": {"departments": ["Finance", ""]}},
        "eligibility.departments.1",
        "must be a non-empty string",
        id="eligibility.departments",
    ),
    bad_field(
        {"eligibility": {"departments": ["Finance", "Finance"]}},
        "eligibility.departments.1",
        "repeats an earlier entry",
        id="eligibility.departments-repeat",
    ),
    bad_field(
        {"eligibility": {"countries": ["Brazil"]}},
        "eligibility.countries.0",
        "must be an ISO 3166-1 alpha-2 country code",
        id="eligibility.countries",
    ),
    bad_setting("eligibility", "min_seniority", 0, "must be from 1 to 10"),
    bad_setting("eligibility", "max_seniority", 11, "must be from 1 to 10"),
    bad_field(
        {"eligibility": {"min_seniority": 5, "max_seniority": 3}},
        "eligibility.max_seniority",
        "must not be below min_seniority",
        id="eligibility.range",
    ),
    bad_field({"admins": ["not an id"]}, "admins.0", "must be an employee id", id="admins.item"),
    bad_field({"admins": "ADM"}, "admins", "must be a list"),
    bad_field({"colour": "red"}, "colour", "is not a known field", id="unknown"),
]


@pytest.mark.parametrize(("bad", "field", "message"), BAD_FIELDS)
def test_each_bad_field_is_named_with_code_validation(bad, field, message) -> None:
    [error] = errors_of({**VALID, **bad})
    assert (error.field, error.code) == (field, "VALIDATION")
    assert error.message.startswith(message)


def test_name_and_type_are_required_on_create_only() -> None:
    assert {(e.field, e.message, e.code) for e in errors_of({})} == {
        ("name", "is required", "VALIDATION"),
        ("type", "is required", "VALIDATION"),
    }
    assert a_program().edit({"duration_days": 90}, now=T0).duration_days == 90


def test_every_bad_field_is_reported_at_once() -> None:
    fields = [e.field for e in errors_of({"name": "", "type": "x", "cadence": {"sessions_per_month": 0}})]
    assert fields == ["name", "type", "cadence.sessions_per_month"]


def test_an_input_that_is_not_an_object_is_refused() -> None:
    assert [(e.field, e.code) for e in errors_of(["name"])] == [("input", "VALIDATION")]


def test_an_update_merges_a_section_field_by_field_and_raises_the_version() -> None:
    program = a_program(rules={"exclude_same_department": True})
    later = T0 + timedelta(hours=1)
    after = program.edit({"rules": {"min_timezone_overlap_hours": 3}}, now=later)
    assert after.rules.exclude_same_department is True
    assert after.rules.min_timezone_overlap_hours == 3.0
    assert (after.version, after.updated_at) == (program.version + 1, later)


def test_an_update_that_changes_nothing_keeps_the_program() -> None:
    program = a_program()
    assert program.edit({"name": program.name, "rules": {"exclude_reporting_line": True}}, now=T0) is program


def test_an_update_cannot_leave_a_program_without_admins() -> None:
    assert [(e.field, e.code) for e in errors_of({"admins": []}, program=a_program())] == [
        ("admins", "VALIDATION")
    ]


def test_the_type_changes_only_in_a_draft() -> None:
    assert a_program().edit({"type": "traditional"}, now=T0).type == "traditional"
    [error] = errors_of({"type": "traditional"}, program=a_program(status="enrolling"))
    assert (error.field, error.code) == ("type", "CONFLICT")


def test_a_closed_program_no_longer_changes() -> None:
    [error] = errors_of({"name": "Later"}, program=a_program(status="closed"))
    assert (error.field, error.code) == ("program_id", "CONFLICT")


ALLOWED = {
    ("draft", "enrolling"),
    ("draft", "running"),
    ("draft", "closed"),
    ("enrolling", "running"),
    ("enrolling", "closed"),
    ("running", "closed"),
}


def test_the_transition_table_is_forward_only() -> None:
    assert {(a, b) for a, targets in TRANSITIONS.items() for b in targets} == ALLOWED


@pytest.mark.parametrize("start", PROGRAM_STATUSES)
@pytest.mark.parametrize("target", PROGRAM_STATUSES)
def test_every_status_change(start, target) -> None:
    program = a_program(status=start)
    if start == target:
        assert program.move_to(target, now=T0) is program
    elif (start, target) in ALLOWED:
        after = program.move_to(target, now=T0)
        assert (after.status, after.version) == (target, program.version + 1)
    else:
        with pytest.raises(UserErrors) as raised:
            program.move_to(target, now=T0)
        [error] = raised.value.errors
        assert (error.field, error.code) == ("status", "CONFLICT")


def test_an_unknown_status_is_a_validation_error() -> None:
    with pytest.raises(UserErrors) as raised:
        a_program().move_to("paused", now=T0)
    assert [(e.field, e.code) for e in raised.value.errors] == [("status", "VALIDATION")]
