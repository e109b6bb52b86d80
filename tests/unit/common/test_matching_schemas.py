"""The ``matching.events`` rules of events.md, checked on the schemas."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from tandem_common.events.catalog import default_registry
from tandem_common.events.matching import (
    MATCHING_EVENTS,
    MATCHING_TOPIC,
    EnrolmentChanged,
    MatchDeclined,
    MatchEnded,
    MatchProposed,
    MatchStarted,
    ProgramChanged,
)
from tandem_common.events.registry import EventSchema

PAIR = [{"employee_id": "E1", "role": "mentor"}, {"employee_id": "E2", "role": "mentee"}]

PROGRAM: dict[str, Any] = {
    "program_id": "P1",
    "program_version": 3,
    "name": "Reverse mentoring 2026",
    "type": "reverse",
    "status": "enrolling",
    "rules": {
        "exclude_reporting_line": True,
        "exclude_same_department": False,
        "min_timezone_overlap_hours": 2.0,
        "require_common_language": True,
        "exclude_previous_pairs": [["E1", "E9"]],
    },
    "weights": {
        "skill_complementarity": 1.0,
        "reciprocity_balance": 1.0,
        "cross_department": 0.2,
        "cross_generation": 0.0,
        "timezone_overlap": 0.1,
        "common_goals": 0.0,
    },
    "cadence": {"sessions_per_month": 2, "minutes_per_session": 45},
    "duration_days": 180,
    "checkins": {"first_after_days": 14, "every_days": 30},
    "acceptance": "both",
    "auto_rematch": True,
    "admins": ["E42"],
    "eligibility": {
        "departments": ["Finance", "Marketing"],
        "countries": ["BR", "DE"],
        "min_seniority": 1,
        "max_seniority": 6,
    },
}
PROPOSED: dict[str, Any] = {
    "match_id": "M1",
    "program_id": "P1",
    "round_id": "R1",
    "members": PAIR,
    "score": 0.83,
    "explanation": [
        {
            "factor": "skill_complementarity",
            "value": 0.6,
            "detail": "E1 teaches social-media (4) that E2 wants (3)",
        }
    ],
    "expires_at": "2026-05-08T12:00:00Z",
}
STARTED: dict[str, Any] = {
    "match_id": "M1",
    "program_id": "P1",
    "program_type": "reverse",
    "members": PAIR,
    "started_on": "2026-05-04",
    "ends_on": "2026-10-31",
}
DECLINED: dict[str, Any] = {"match_id": "M1", "program_id": "P1", "declined_by": "E2"}
ENROLMENT: dict[str, Any] = {
    "program_id": "P1",
    "employee_id": "E2",
    "roles": ["mentor", "mentee"],
    "status": "enrolled",
    "changed_at": "2026-05-01T09:30:00Z",
}
ENDED: dict[str, Any] = {
    "match_id": "M1",
    "program_id": "P1",
    "members": PAIR,
    "ended_on": "2026-10-31",
    "reason": "completed",
}

EXAMPLES: list[tuple[type[EventSchema], dict[str, Any]]] = [
    (ProgramChanged, PROGRAM),
    (MatchProposed, PROPOSED),
    (MatchStarted, STARTED),
    (MatchDeclined, DECLINED),
    (MatchEnded, ENDED),
    (EnrolmentChanged, ENROLMENT),
]
# The fields events.md names, written out from the contract rather than read from the models.
REQUIRED: dict[type[EventSchema], tuple[str, ...]] = {
    ProgramChanged: (
        "program_id", "program_version", "name", "type", "status", "rules", "weights", "cadence",
        "duration_days", "checkins", "acceptance", "auto_rematch", "admins",
    ),
    MatchProposed: (
        "match_id", "program_id", "round_id", "members", "score", "explanation", "expires_at",
    ),
    MatchStarted: ("match_id", "program_id", "program_type", "members", "started_on", "ends_on"),
    MatchDeclined: ("match_id", "program_id", "declined_by"),
    MatchEnded: ("match_id", "program_id", "members", "ended_on", "reason"),
    EnrolmentChanged: ("program_id", "employee_id", "roles", "status", "changed_at"),
}  # fmt: skip
NESTED_REQUIRED = (
    [
        ("rules", field)
        for field in (
            "exclude_reporting_line",
            "exclude_same_department",
            "min_timezone_overlap_hours",
            "require_common_language",
            "exclude_previous_pairs",
        )
    ]
    + [
        ("weights", field)
        for field in (
            "skill_complementarity",
            "reciprocity_balance",
            "cross_department",
            "cross_generation",
            "timezone_overlap",
        )
    ]
    + [
        ("cadence", "sessions_per_month"),
        ("cadence", "minutes_per_session"),
        ("checkins", "first_after_days"),
        ("checkins", "every_days"),
    ]
)


def error_locations(raised: pytest.ExceptionInfo[ValidationError]) -> set[str]:
    return {".".join(str(part) for part in error["loc"]) for error in raised.value.errors()}


def rejected(schema: type[EventSchema], data: dict[str, Any]) -> set[str]:
    with pytest.raises(ValidationError) as raised:
        schema.model_validate(data)
    return error_locations(raised)


@pytest.mark.parametrize(("schema", "example"), EXAMPLES, ids=lambda v: getattr(v, "__name__", ""))
def test_an_example_of_every_type_round_trips(schema: type[EventSchema], example: dict[str, Any]) -> None:
    event = schema.model_validate(example)
    assert event.model_dump(mode="json") == example
    assert schema.model_validate_json(event.model_dump_json()) == event


def test_the_topic_keys_and_types_are_those_of_the_contract() -> None:
    assert MATCHING_TOPIC == "matching.events"
    assert {schema.ce_type: schema.key_field for schema in MATCHING_EVENTS} == {
        "tandem.matching.program.changed.v1": "program_id",
        "tandem.matching.enrolment.changed.v1": "program_id",
        "tandem.matching.match.proposed.v1": "match_id",
        "tandem.matching.match.started.v1": "match_id",
        "tandem.matching.match.declined.v1": "match_id",
        "tandem.matching.match.ended.v1": "match_id",
    }
    assert all(schema.topic == MATCHING_TOPIC for schema in MATCHING_EVENTS)
    registry = default_registry()
    assert registry.for_topic(MATCHING_TOPIC) == list(MATCHING_EVENTS)
    assert ProgramChanged.model_validate(PROGRAM).key() == "P1"
    assert EnrolmentChanged.model_validate(ENROLMENT).key() == "P1"
    for schema, example in EXAMPLES[1:-1]:
        assert schema.model_validate(example).key() == "M1"


@pytest.mark.parametrize(
    ("schema", "field"),
    [(schema, field) for schema, fields in REQUIRED.items() for field in fields],
    ids=lambda v: getattr(v, "__name__", v),
)
def test_each_required_field_is_required(schema: type[EventSchema], field: str) -> None:
    example = dict(EXAMPLES)[schema]
    data = {k: v for k, v in example.items() if k != field}
    assert field in rejected(schema, data)


@pytest.mark.parametrize(("parent", "field"), NESTED_REQUIRED)
def test_each_required_program_setting_is_required(parent: str, field: str) -> None:
    inner = {k: v for k, v in PROGRAM[parent].items() if k != field}
    assert f"{parent}.{field}" in rejected(ProgramChanged, {**PROGRAM, parent: inner})


@pytest.mark.parametrize(
    ("schema", "field"),
    [(MatchProposed, "round_id"), (MatchDeclined, "declined_by")],
    ids=["round_id", "declined_by"],
)
def test_null_is_accepted_where_the_contract_allows_it(schema: type[EventSchema], field: str) -> None:
    event = schema.model_validate({**dict(EXAMPLES)[schema], field: None})
    assert getattr(event, field) is None
    assert event.model_dump(mode="json")[field] is None


def test_optional_parts_of_a_program_may_be_left_out() -> None:
    weights = {k: v for k, v in PROGRAM["weights"].items() if k != "common_goals"}
    data = {k: v for k, v in PROGRAM.items() if k != "eligibility"}
    program = ProgramChanged.model_validate({**data, "weights": weights})
    assert program.eligibility is None
    assert program.weights.common_goals == 0.0
    open_to_all = ProgramChanged.model_validate({**PROGRAM, "eligibility": {}})
    assert open_to_all.eligibility is not None
    assert open_to_all.model_dump(mode="json")["eligibility"] == {
        "departments": None,
        "countries": None,
        "min_seniority": None,
        "max_seniority": None,
    }


@pytest.mark.parametrize(
    ("schema", "field", "value", "where"),
    [
        (ProgramChanged, "type", "mentoring", "type"),
        (ProgramChanged, "status", "paused", "status"),
        (ProgramChanged, "acceptance", "any", "acceptance"),
        (MatchStarted, "program_type", "circle", "program_type"),
        (MatchProposed, "members", [PAIR[0], {"employee_id": "E2", "role": "buddy"}], "members.1.role"),
        (MatchEnded, "reason", "expired", "reason"),
        (EnrolmentChanged, "status", "paused", "status"),
        (EnrolmentChanged, "roles", ["mentor", "partner"], "roles.1"),
    ],
    ids=[
        "program-type",
        "program-status",
        "acceptance",
        "program_type",
        "role",
        "end-reason",
        "enrolment-status",
        "enrolment-role",
    ],
)
def test_each_closed_set_rejects_an_unknown_value(
    schema: type[EventSchema], field: str, value: object, where: str
) -> None:
    assert where in rejected(schema, {**dict(EXAMPLES)[schema], field: value})


@pytest.mark.parametrize(
    "reason",
    [
        "completed",
        "member_departed",
        "ended_by_member",
        "ended_by_admin",
        "rule_violated",
        "program_closed",
    ],
)
def test_every_end_reason_of_the_contract_is_accepted(reason: str) -> None:
    assert MatchEnded.model_validate({**ENDED, "reason": reason}).reason == reason


@pytest.mark.parametrize(
    ("schema", "data", "where"),
    [
        (ProgramChanged, {**PROGRAM, "owner_email": "a@example.com"}, "owner_email"),
        (ProgramChanged, {**PROGRAM, "rules": {**PROGRAM["rules"], "max_pairs": 3}}, "rules.max_pairs"),
        (ProgramChanged, {**PROGRAM, "weights": {**PROGRAM["weights"], "luck": 1.0}}, "weights.luck"),
        (ProgramChanged, {**PROGRAM, "cadence": {**PROGRAM["cadence"], "day": "mon"}}, "cadence.day"),
        (ProgramChanged, {**PROGRAM, "checkins": {**PROGRAM["checkins"], "x": 1}}, "checkins.x"),
        (ProgramChanged, {**PROGRAM, "eligibility": {"teams": ["A"]}}, "eligibility.teams"),
        (MatchProposed, {**PROPOSED, "note": "x"}, "note"),
        (
            MatchProposed,
            {**PROPOSED, "members": [{**PAIR[0], "display_name": "Ana"}, PAIR[1]]},
            "members.0.display_name",
        ),
        (
            MatchProposed,
            {**PROPOSED, "explanation": [{**PROPOSED["explanation"][0], "rank": 1}]},
            "explanation.0.rank",
        ),
        (MatchStarted, {**STARTED, "x": 1}, "x"),
        (MatchDeclined, {**DECLINED, "comment": "busy"}, "comment"),
        (MatchEnded, {**ENDED, "x": 1}, "x"),
        (EnrolmentChanged, {**ENROLMENT, "email": "ana@example.com"}, "email"),
    ],
)
def test_unknown_fields_are_rejected(schema: type[EventSchema], data: dict[str, Any], where: str) -> None:
    assert where in rejected(schema, data)


@pytest.mark.parametrize(
    ("schema", "data", "where"),
    [
        (ProgramChanged, {**PROGRAM, "program_version": 0}, "program_version"),
        (ProgramChanged, {**PROGRAM, "program_version": "3"}, "program_version"),
        (ProgramChanged, {**PROGRAM, "program_id": "P 1"}, "program_id"),
        (ProgramChanged, {**PROGRAM, "program_id": ""}, "program_id"),
        (ProgramChanged, {**PROGRAM, "name": ""}, "name"),
        (ProgramChanged, {**PROGRAM, "duration_days": 0}, "duration_days"),
        (ProgramChanged, {**PROGRAM, "auto_rematch": "yes"}, "auto_rematch"),
        (ProgramChanged, {**PROGRAM, "admins": ["ana@example.com"]}, "admins.0"),
        (
            ProgramChanged,
            {**PROGRAM, "rules": {**PROGRAM["rules"], "min_timezone_overlap_hours": 9}},
            "rules.min_timezone_overlap_hours",
        ),
        (
            ProgramChanged,
            {**PROGRAM, "rules": {**PROGRAM["rules"], "exclude_reporting_line": 1}},
            "rules.exclude_reporting_line",
        ),
        (
            ProgramChanged,
            {**PROGRAM, "rules": {**PROGRAM["rules"], "exclude_previous_pairs": [["E1"]]}},
            "rules.exclude_previous_pairs.0.1",
        ),
        (
            ProgramChanged,
            {**PROGRAM, "weights": {**PROGRAM["weights"], "cross_department": -0.1}},
            "weights.cross_department",
        ),
        (
            ProgramChanged,
            {**PROGRAM, "cadence": {**PROGRAM["cadence"], "sessions_per_month": 0}},
            "cadence.sessions_per_month",
        ),
        (
            ProgramChanged,
            {**PROGRAM, "cadence": {**PROGRAM["cadence"], "minutes_per_session": 0}},
            "cadence.minutes_per_session",
        ),
        (
            ProgramChanged,
            {**PROGRAM, "checkins": {**PROGRAM["checkins"], "every_days": 0}},
            "checkins.every_days",
        ),
        (ProgramChanged, {**PROGRAM, "eligibility": {"countries": ["XX"]}}, "eligibility.countries.0"),
        (ProgramChanged, {**PROGRAM, "eligibility": {"min_seniority": 11}}, "eligibility.min_seniority"),
        (
            ProgramChanged,
            {**PROGRAM, "eligibility": {"min_seniority": 7, "max_seniority": 3}},
            "eligibility",
        ),
        (MatchProposed, {**PROPOSED, "score": -0.01}, "score"),
        (MatchProposed, {**PROPOSED, "score": 1.01}, "score"),
        (MatchProposed, {**PROPOSED, "score": float("nan")}, "score"),
        (MatchProposed, {**PROPOSED, "expires_at": "2026-05-08T12:00:00"}, "expires_at"),
        (MatchProposed, {**PROPOSED, "expires_at": "2026-05-08"}, "expires_at"),
        (MatchProposed, {**PROPOSED, "expires_at": 1778241600}, "expires_at"),
        (MatchProposed, {**PROPOSED, "members": [PAIR[0]]}, "members"),
        (MatchProposed, {**PROPOSED, "members": [PAIR[0], PAIR[0]]}, "members"),
        (
            MatchProposed,
            {
                **PROPOSED,
                "members": [{"employee_id": f"E{i}", "role": "partner"} for i in range(9)],
            },
            "members",
        ),
        (
            MatchProposed,
            {**PROPOSED, "explanation": [{**PROPOSED["explanation"][0], "factor": ""}]},
            "explanation.0.factor",
        ),
        (MatchStarted, {**STARTED, "started_on": "04/05/2026"}, "started_on"),
        (MatchStarted, {**STARTED, "ends_on": "2026-05-03"}, ""),
        (MatchDeclined, {**DECLINED, "declined_by": "E 2"}, "declined_by"),
        (MatchEnded, {**ENDED, "ended_on": "2026-02-30"}, "ended_on"),
        (EnrolmentChanged, {**ENROLMENT, "program_id": "P 1"}, "program_id"),
        (EnrolmentChanged, {**ENROLMENT, "employee_id": "ana@example.com"}, "employee_id"),
        (EnrolmentChanged, {**ENROLMENT, "roles": ["mentor", "mentor"]}, ""),
        (EnrolmentChanged, {**ENROLMENT, "roles": "mentor"}, "roles"),
        (EnrolmentChanged, {**ENROLMENT, "changed_at": "2026-05-01T09:30:00"}, "changed_at"),
        (EnrolmentChanged, {**ENROLMENT, "changed_at": "2026-05-01"}, "changed_at"),
    ],
)
def test_values_outside_the_rules_are_rejected_naming_the_field(
    schema: type[EventSchema], data: dict[str, Any], where: str
) -> None:
    assert where in rejected(schema, data)


@pytest.mark.parametrize("score", [0, 0.0, 1, 1.0])
def test_a_score_at_either_bound_is_accepted(score: float) -> None:
    assert MatchProposed.model_validate({**PROPOSED, "score": score}).score == score


def test_a_circle_of_eight_with_a_facilitator_is_accepted() -> None:
    circle = [{"employee_id": "E0", "role": "facilitator"}] + [
        {"employee_id": f"E{i}", "role": "partner"} for i in range(1, 8)
    ]
    started = MatchStarted.model_validate({**STARTED, "program_type": "group", "members": circle})
    assert [member.employee_id for member in started.members] == [f"E{i}" for i in range(8)]


def test_expires_at_keeps_its_offset() -> None:
    proposed = MatchProposed.model_validate({**PROPOSED, "expires_at": "2026-05-08T14:00:00+02:00"})
    assert proposed.expires_at.utcoffset() is not None
    assert proposed.expires_at.isoformat() == "2026-05-08T14:00:00+02:00"


@pytest.mark.parametrize(
    ("status", "roles"), [("enrolled", ["mentee"]), ("withdrawn", ["mentor"]), ("enrolled", [])]
)
def test_an_enrolment_change_carries_its_status_and_roles(status: str, roles: list[str]) -> None:
    change = EnrolmentChanged.model_validate({**ENROLMENT, "status": status, "roles": roles})
    assert (change.status, change.roles, change.key()) == (status, roles, "P1")
