"""``profiles.events`` snapshots built in one line, and their Kafka records and received
events, so matching is tested without the profiles service running."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta
from typing import Any

from tandem_common.envelope import CloudEvent, decode, encode_binary
from tandem_common.events.profiles import PROFILE_EVENTS
from tandem_common.events.registry import EventRegistry
from tandem_common.messaging.received import ReceivedEvent
from tests.support.profiles import consumer_records

BASE_TIME = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
SOURCE = "tandem/profiles"
_counter = itertools.count()

Record = tuple[bytes, bytes, list[tuple[str, bytes]]]


def snapshot(
    employee_id: str,
    version: int = 1,
    *,
    roles: tuple[str, ...] = ("mentor", "mentee"),
    **overrides: Any,
) -> dict[str, Any]:
    """An active person's snapshot with a mentoring profile of ``roles``."""
    data: dict[str, Any] = {
        "employee_id": employee_id,
        "profile_version": version,
        "status": "active",
        "display_name": f"Person {employee_id}",
        "job_title": "Data Analyst",
        "department": "Finance",
        "manager_id": None,
        "location": {"country": "BR", "city": "Sao Paulo"},
        "timezone": "America/Sao_Paulo",
        "seniority_level": 3,
        "hire_date": "2020-03-01",
        "languages": ["pt", "en"],
        "mentoring": {
            "skills_offered": [{"skill": "social-media", "level": 4}],
            "skills_wanted": [{"skill": "stakeholder-management", "level": 3}],
            "roles": list(roles),
            "capacity": 2,
            "hours_per_month": 4,
            "goals": "",
            "consents": {"generation_aware_pairing": False, "demographics_for_reporting": False},
        },
    }
    data.update(overrides)
    return data


def departed_snapshot(employee_id: str, version: int, **overrides: Any) -> dict[str, Any]:
    return snapshot(
        employee_id, version, status="departed", exit_date="2026-10-31", exit_reason="voluntary", **overrides
    )


def profile_record(kind: str, data: dict[str, Any], *, ce_id: str | None = None) -> Record:
    """A ``tandem.profile.<kind>.v1`` record keyed by the employee id."""
    employee_id = data["employee_id"]
    event = CloudEvent(
        id=ce_id or f"{employee_id}.v{data['profile_version']}",
        source=SOURCE,
        type=f"tandem.profile.{kind}.v1",
        time=BASE_TIME + timedelta(seconds=next(_counter)),
        data=data,
        subject=employee_id,
    )
    value, headers = encode_binary(event)
    return employee_id.encode(), value, headers


def registered(employee_id: str, version: int = 1, **overrides: Any) -> Record:
    return profile_record("registered", snapshot(employee_id, version, **overrides))


def updated(employee_id: str, version: int, **overrides: Any) -> Record:
    return profile_record("updated", snapshot(employee_id, version, **overrides))


def departed(employee_id: str, version: int, **overrides: Any) -> Record:
    return profile_record("departed", departed_snapshot(employee_id, version, **overrides))


def erased(employee_id: str, version: int) -> Record:
    return profile_record("erased", {"employee_id": employee_id, "profile_version": version})


def received(records: list[Record], topic: str = "profiles.events") -> list[ReceivedEvent]:
    """``records`` decoded and validated, as the consumer hands them to the pool handler."""
    registry = EventRegistry(PROFILE_EVENTS)
    events = []
    for record in consumer_records(topic, records):
        envelope = decode(record.value, record.headers)
        events.append(
            ReceivedEvent(
                envelope=envelope,
                data=registry.validate(envelope),
                topic=topic,
                partition=record.partition,
                offset=record.offset,
                key=record.key.decode(),
                record=record,
            )
        )
    return events
