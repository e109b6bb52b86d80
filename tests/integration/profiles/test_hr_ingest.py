"""HR events in, profile snapshots out: every promise of events.md for hr.employees."""

from __future__ import annotations

import pytest

from tandem_common.testing.backends import Infrastructure
from tests.support.kafka import headers_of, produce, read_all
from tests.support.profiles import (
    ProfilesUnderTest,
    changed,
    employee_row,
    exited,
    hire_data,
    hired,
    published,
    record,
)


@pytest.fixture
async def profiles(infrastructure: Infrastructure, database_url: str):
    service = ProfilesUnderTest(infrastructure, database_url)
    await service.start()
    yield service
    await service.stop()


async def _send(profiles: ProfilesUnderTest, *records, handled: int | None = None) -> None:
    before = profiles.consumer.processed + profiles.consumer.duplicates + profiles.consumer.dead_lettered
    await produce(profiles.infrastructure.kafka_bootstrap, profiles.hr_topic, list(records))
    await profiles.wait_handled(before + (handled if handled is not None else len(records)))


async def test_in_order_hire_change_exit_publish_registered_updated_departed(profiles, database_url) -> None:
    await _send(profiles, hired("E1", manager_id="E0"))
    await _send(profiles, changed("E1", "2021-01-01", job_title="Senior Data Analyst", seniority_level=4))
    await _send(profiles, exited("E1", "2024-06-30", "retirement"))
    events = await published(database_url, "E1")
    assert [(e["type"], e["data"]["profile_version"], e["data"]["status"]) for e in events] == [
        ("registered", 1, "active"),
        ("updated", 2, "active"),
        ("departed", 3, "departed"),
    ]
    first, second, last = (e["data"] for e in events)
    assert first == {
        "employee_id": "E1",
        "profile_version": 1,
        "status": "active",
        "display_name": "Person E1",
        "job_title": "Data Analyst",
        "department": "Finance",
        "manager_id": "E0",
        "location": {"country": "BR", "city": "Sao Paulo"},
        "timezone": "America/Sao_Paulo",
        "seniority_level": 3,
        "hire_date": "2020-03-01",
        "languages": ["pt", "en"],
        "mentoring": {
            "skills_offered": [],
            "skills_wanted": [],
            "roles": [],
            "capacity": 0,
            "hours_per_month": 0,
            "goals": "",
            "consents": {"generation_aware_pairing": False, "demographics_for_reporting": False},
        },
        "exit_date": None,
        "exit_reason": None,
    }
    assert "email" not in first
    assert (second["job_title"], second["seniority_level"]) == ("Senior Data Analyst", 4)
    assert (last["exit_date"], last["exit_reason"]) == ("2024-06-30", "retirement")
    row = await employee_row(database_url, "E1")
    assert row is not None and row["status"] == "departed" and row["email"] == "e1@example.com"


async def test_a_change_before_its_hire_is_held_then_applied(profiles, database_url) -> None:
    await _send(profiles, changed("E2", "2022-05-01", "transfer", department="Marketing"))
    assert await published(database_url, "E2") == []
    assert await employee_row(database_url, "E2") is None
    await _send(profiles, hired("E2"))
    events = await published(database_url, "E2")
    assert [(e["type"], e["data"]["profile_version"]) for e in events] == [("registered", 1)]
    assert events[0]["data"]["department"] == "Marketing"


async def test_an_exit_before_its_hire_keeps_the_late_hire_from_resurrecting(profiles, database_url) -> None:
    await _send(profiles, exited("E3", "2024-01-31", "involuntary"))
    assert await published(database_url, "E3") == []
    await _send(profiles, hired("E3", hire_date="2019-02-01"))
    events = await published(database_url, "E3")
    assert len(events) == 1
    snapshot = events[0]["data"]
    assert (snapshot["status"], snapshot["exit_date"], snapshot["exit_reason"]) == (
        "departed",
        "2024-01-31",
        "involuntary",
    )
    assert (await employee_row(database_url, "E3"))["status"] == "departed"


async def test_a_hire_after_the_last_exit_is_a_rehire_with_a_new_employment(profiles, database_url) -> None:
    await _send(profiles, hired("E4", hire_date="2018-01-15"))
    await _send(profiles, exited("E4", "2022-12-31"))
    await _send(profiles, hired("E4", hire_date="2025-04-01", job_title="Analytics Lead", seniority_level=6))
    events = await published(database_url, "E4")
    assert [(e["type"], e["data"]["profile_version"], e["data"]["status"]) for e in events] == [
        ("registered", 1, "active"),
        ("departed", 2, "departed"),
        ("updated", 3, "active"),
    ]
    assert events[2]["data"]["hire_date"] == "2025-04-01"
    assert events[2]["data"]["exit_date"] is None
    row = await employee_row(database_url, "E4")
    assert row["employment"] == 2 and row["job_title"] == "Analytics Lead"


async def test_order_follows_effective_date_then_ce_time_not_arrival(profiles, database_url) -> None:
    await _send(profiles, hired("E5"))
    # September's change arrives first; June's, arriving later, is older and changes nothing.
    await _send(profiles, changed("E5", "2026-09-01", job_title="Lead"))
    await _send(profiles, changed("E5", "2026-06-01", job_title="Senior"))
    # Same effective date: the later ce_time wins, whatever the arrival order.
    late = record(
        "changed",
        {
            "employee_id": "E5",
            "effective_date": "2026-10-01",
            "reason": "correction",
            "changes": {"department": "Risk"},
        },
        minutes=500,
    )
    early = record(
        "changed",
        {
            "employee_id": "E5",
            "effective_date": "2026-10-01",
            "reason": "correction",
            "changes": {"department": "Audit"},
        },
        minutes=400,
    )
    await _send(profiles, late)
    await _send(profiles, early)
    events = await published(database_url, "E5")
    assert [
        (e["data"]["profile_version"], e["data"]["job_title"], e["data"]["department"]) for e in events
    ] == [
        (1, "Data Analyst", "Finance"),
        (2, "Lead", "Finance"),
        (3, "Lead", "Risk"),
    ]
    row = await employee_row(database_url, "E5")
    assert (row["job_title"], row["department"], row["profile_version"]) == ("Lead", "Risk", 3)


async def test_duplicates_and_no_op_changes_publish_nothing(profiles, database_url) -> None:
    hire = hired("E6")
    await _send(profiles, hire, hire, hire)
    await _send(profiles, hire)
    await _send(
        profiles,
        changed("E6", "2023-01-01", "correction", job_title="Data Analyst", department="Finance"),
    )
    events = await published(database_url, "E6")
    assert [e["data"]["profile_version"] for e in events] == [1]
    assert profiles.consumer.duplicates == 3


async def test_bad_hr_events_go_to_the_dlq_naming_the_field(profiles, database_url) -> None:
    bad = [
        record("hired", hire_data("E7", location={"country": "ZZ"})),
        record("hired", {k: v for k, v in hire_data("E8").items() if k != "email"}),
        record("hired", hire_data("E9", timezone="Europe/Atlantis")),
        record(
            "changed",
            {"employee_id": "E10", "effective_date": "2026-01-01", "reason": "whim", "changes": {}},
        ),
        record("exited", {"employee_id": "E 11", "exit_date": "2026-01-01", "reason": "voluntary"}),
    ]
    await _send(profiles, *bad, hired("E12"))
    letters = await read_all(
        profiles.infrastructure.kafka_bootstrap, f"{profiles.hr_topic}.dlq", expected=5, timeout=10
    )
    reasons = sorted(headers_of(r)["x-error-reason"].decode() for r in letters)
    assert len(letters) == 5
    assert any(r.startswith("field location.country:") for r in reasons)
    assert any(r.startswith("field email:") for r in reasons)
    assert any(r.startswith("field timezone:") for r in reasons)
    assert any(r.startswith("field reason:") for r in reasons)
    assert any(r.startswith("field employee_id:") for r in reasons)
    assert {headers_of(r)["x-error-stage"] for r in letters} == {b"validate"}
    assert [e["key"] for e in await published(database_url)] == ["E12"]
