"""The ``engagement.events`` rules of events.md, checked on the schemas."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from tandem_common.events.catalog import default_registry
from tandem_common.events.engagement import (
    ENGAGEMENT_EVENTS,
    ENGAGEMENT_TOPIC,
    CheckinDue,
    CheckinSubmitted,
    GoalChanged,
    HealthChanged,
    LearningEntry,
    SessionLogged,
)
from tandem_common.events.registry import EventSchema

LESSON = {"from": "E1", "to": "E2", "skill": "social-media"}
SESSION: dict[str, Any] = {
    "session_id": "S1",
    "match_id": "M1",
    "program_id": "P1",
    "held_on": "2026-05-12",
    "minutes": 45,
    "mode": "video",
    "logged_by": "E1",
    "learning": [LESSON, {"from": "E2", "to": "E1", "skill": "sql"}],
}
GOAL: dict[str, Any] = {
    "goal_id": "G1",
    "match_id": "M1",
    "owners": ["E2"],
    "status": "open",
    "progress": 40,
    "due_on": "2026-08-31",
}
DUE: dict[str, Any] = {"checkin_id": "C1", "match_id": "M1", "employee_id": "E2", "due_on": "2026-05-18"}
SUBMITTED: dict[str, Any] = {
    "checkin_id": "C1",
    "match_id": "M1",
    "employee_id": "E2",
    "submitted_on": "2026-05-19",
}
HEALTH: dict[str, Any] = {
    "match_id": "M1",
    "program_id": "P1",
    "score": 42.5,
    "band": "watch",
    "factors": [{"factor": "session_cadence", "value": 0.5, "detail": "1 of 2 sessions this month"}],
    "computed_at": "2026-05-31T23:00:00Z",
}

EXAMPLES: list[tuple[type[EventSchema], dict[str, Any]]] = [
    (SessionLogged, SESSION),
    (GoalChanged, GOAL),
    (CheckinDue, DUE),
    (CheckinSubmitted, SUBMITTED),
    (HealthChanged, HEALTH),
]
# The fields events.md names, written out from the contract rather than read from the models.
REQUIRED: dict[type[EventSchema], tuple[str, ...]] = {
    SessionLogged: (
        "session_id", "match_id", "program_id", "held_on", "minutes", "mode", "logged_by", "learning",
    ),
    GoalChanged: ("goal_id", "match_id", "owners", "status", "progress", "due_on"),
    CheckinDue: ("checkin_id", "match_id", "employee_id", "due_on"),
    CheckinSubmitted: ("checkin_id", "match_id", "employee_id", "submitted_on"),
    HealthChanged: ("match_id", "program_id", "score", "band", "factors", "computed_at"),
}  # fmt: skip


def rejected(schema: type[EventSchema], data: dict[str, Any]) -> set[str]:
    with pytest.raises(ValidationError) as raised:
        schema.model_validate(data)
    return {".".join(str(part) for part in error["loc"]) for error in raised.value.errors()}


@pytest.mark.parametrize(("schema", "example"), EXAMPLES, ids=lambda v: getattr(v, "__name__", ""))
def test_an_example_of_every_type_round_trips(schema: type[EventSchema], example: dict[str, Any]) -> None:
    event = schema.model_validate(example)
    assert event.model_dump(mode="json") == example
    assert schema.model_validate_json(event.model_dump_json()) == event
    assert event.key() == "M1"


def test_the_topic_and_types_are_those_of_the_contract() -> None:
    assert ENGAGEMENT_TOPIC == "engagement.events"
    assert {schema.ce_type: schema.key_field for schema in ENGAGEMENT_EVENTS} == {
        "tandem.engagement.session.logged.v1": "match_id",
        "tandem.engagement.goal.changed.v1": "match_id",
        "tandem.engagement.checkin.due.v1": "match_id",
        "tandem.engagement.checkin.submitted.v1": "match_id",
        "tandem.engagement.health.changed.v1": "match_id",
    }
    assert default_registry().for_topic(ENGAGEMENT_TOPIC) == list(ENGAGEMENT_EVENTS)


def test_a_learning_entry_is_built_with_from_underscore_and_travels_as_from() -> None:
    entry = LearningEntry(from_="E1", to="E2", skill="social-media")
    assert entry.model_dump() == LESSON
    assert entry.model_dump(mode="json") == LESSON
    assert LearningEntry.model_validate(LESSON) == entry
    assert SessionLogged.model_json_schema()["$defs"]["LearningEntry"]["required"] == ["from", "to", "skill"]


@pytest.mark.parametrize(
    ("schema", "field"),
    [(schema, field) for schema, fields in REQUIRED.items() for field in fields],
    ids=lambda v: getattr(v, "__name__", v),
)
def test_each_required_field_is_required(schema: type[EventSchema], field: str) -> None:
    data = {k: v for k, v in dict(EXAMPLES)[schema].items() if k != field}
    assert field in rejected(schema, data)


@pytest.mark.parametrize("field", ["from", "to", "skill"])
def test_each_learning_field_is_required(field: str) -> None:
    lesson = {k: v for k, v in LESSON.items() if k != field}
    assert f"learning.0.{field}" in rejected(SessionLogged, {**SESSION, "learning": [lesson]})


@pytest.mark.parametrize("field", ["factor", "value", "detail"])
def test_each_health_factor_field_is_required(field: str) -> None:
    factor = {k: v for k, v in HEALTH["factors"][0].items() if k != field}
    assert f"factors.0.{field}" in rejected(HealthChanged, {**HEALTH, "factors": [factor]})


@pytest.mark.parametrize(
    ("schema", "field", "value"),
    [
        (SessionLogged, "mode", "email"),
        (GoalChanged, "status", "paused"),
        (HealthChanged, "band", "critical"),
    ],
    ids=["mode", "goal-status", "band"],
)
def test_each_closed_set_rejects_an_unknown_value(schema: type[EventSchema], field: str, value: str) -> None:
    assert field in rejected(schema, {**dict(EXAMPLES)[schema], field: value})


@pytest.mark.parametrize(
    ("schema", "data", "where"),
    [
        # Free text never leaves the engagement service, so there is no field to carry it.
        (SessionLogged, {**SESSION, "notes": "we talked"}, "notes"),
        (SessionLogged, {**SESSION, "learning": [{**LESSON, "note": "x"}]}, "learning.0.note"),
        (GoalChanged, {**GOAL, "description": "learn SQL"}, "description"),
        (CheckinDue, {**DUE, "x": 1}, "x"),
        (CheckinSubmitted, {**SUBMITTED, "answers": {"q1": 5}}, "answers"),
        (HealthChanged, {**HEALTH, "previous_score": 80}, "previous_score"),
        (HealthChanged, {**HEALTH, "factors": [{**HEALTH["factors"][0], "x": 1}]}, "factors.0.x"),
    ],
)
def test_unknown_fields_are_rejected(schema: type[EventSchema], data: dict[str, Any], where: str) -> None:
    assert where in rejected(schema, data)


@pytest.mark.parametrize(
    ("schema", "data", "where"),
    [
        (SessionLogged, {**SESSION, "session_id": "S 1"}, "session_id"),
        (SessionLogged, {**SESSION, "held_on": "12.05.2026"}, "held_on"),
        (SessionLogged, {**SESSION, "minutes": 0}, "minutes"),
        (SessionLogged, {**SESSION, "minutes": 1441}, "minutes"),
        (SessionLogged, {**SESSION, "minutes": "45"}, "minutes"),
        (SessionLogged, {**SESSION, "logged_by": "ana@example.com"}, "logged_by"),
        (SessionLogged, {**SESSION, "learning": [{**LESSON, "to": "E1"}]}, "learning.0"),
        (SessionLogged, {**SESSION, "learning": [{**LESSON, "skill": ""}]}, "learning.0.skill"),
        (GoalChanged, {**GOAL, "progress": -1}, "progress"),
        (GoalChanged, {**GOAL, "progress": 101}, "progress"),
        (GoalChanged, {**GOAL, "owners": []}, "owners"),
        (GoalChanged, {**GOAL, "due_on": "2026-02-30"}, "due_on"),
        (CheckinDue, {**DUE, "employee_id": "E 2"}, "employee_id"),
        (CheckinSubmitted, {**SUBMITTED, "submitted_on": "2026-05-19T10:00:00Z"}, "submitted_on"),
        (HealthChanged, {**HEALTH, "score": -0.5}, "score"),
        (HealthChanged, {**HEALTH, "score": 100.5}, "score"),
        (HealthChanged, {**HEALTH, "score": float("inf")}, "score"),
        (HealthChanged, {**HEALTH, "computed_at": "2026-05-31 23:00"}, "computed_at"),
        (HealthChanged, {**HEALTH, "computed_at": "2026-05-31T23:00:00"}, "computed_at"),
    ],
)
def test_values_outside_the_rules_are_rejected_naming_the_field(
    schema: type[EventSchema], data: dict[str, Any], where: str
) -> None:
    assert where in rejected(schema, data)


@pytest.mark.parametrize(
    ("field", "value"), [("score", 0), ("score", 100), ("progress", 0), ("progress", 100)]
)
def test_the_zero_to_hundred_bounds_are_inclusive(field: str, value: int) -> None:
    schema, example = (HealthChanged, HEALTH) if field == "score" else (GoalChanged, GOAL)
    assert getattr(schema.model_validate({**example, field: value}), field) == value


def test_a_session_may_record_no_learning() -> None:
    assert SessionLogged.model_validate({**SESSION, "learning": []}).learning == []
