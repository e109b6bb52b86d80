"""The candidate pool from profiles.events, and the enrolment rules over HTTP."""

from __future__ import annotations

import httpx

from tests.support.matching import MatchingUnderTest, PublishedEvent, matching_events, rows, viewer_headers
from tests.support.profile_snapshots import departed, erased, registered, updated

ADMIN = viewer_headers("ADM1", "employee", "program_admin")
ENROLMENT_CHANGED = "tandem.matching.enrolment.changed.v1"


def enrolment_changes(events: list[PublishedEvent]) -> list[tuple[str, str, list[str], str]]:
    """The ``enrolment.changed.v1`` events among ``events`` as (key, employee, roles, status)."""
    return [
        (e.key, e.data["employee_id"], e.data["roles"], e.data["status"])
        for e in events
        if e.ce_type == ENROLMENT_CHANGED
    ]


def distinct_ids(events: list[PublishedEvent]) -> bool:
    return len({(e.ce_source, e.ce_id) for e in events}) == len(events)


async def open_program(api: httpx.AsyncClient, **fields) -> str:
    created = await api.post(
        "/v1/programs", json={"name": "Reverse", "type": "reverse", **fields}, headers=ADMIN
    )
    program_id = created.json()["program_id"]
    moved = await api.post(f"/v1/programs/{program_id}/status", json={"status": "enrolling"}, headers=ADMIN)
    assert moved.status_code == 200
    return program_id


async def pool_row(matching: MatchingUnderTest, employee_id: str) -> dict | None:
    found = await rows(
        matching.database_url, "SELECT * FROM pool_members WHERE employee_id = :e", e=employee_id
    )
    return found[0] if found else None


async def test_each_profile_event_delivered_twice_has_one_effect(matching: MatchingUnderTest) -> None:
    first = registered("IDEM1", 1, department="Sales")
    await matching.publish_profiles([first, first])
    await matching.publish_profiles([first])
    inbox = await rows(
        matching.database_url,
        "SELECT consumer, ce_source, ce_id, key FROM inbox WHERE key = :k",
        k="IDEM1",
    )
    assert inbox == [
        {"consumer": matching.group, "ce_source": "tandem/profiles", "ce_id": "IDEM1.v1", "key": "IDEM1"}
    ]
    row = await pool_row(matching, "IDEM1")
    assert (row["profile_version"], row["status"], row["snapshot"]["department"]) == (1, "active", "Sales")


async def test_an_older_or_equal_profile_version_changes_nothing(matching: MatchingUnderTest) -> None:
    dead_before = matching.consumer.dead_lettered
    await matching.publish_profiles([updated("OLD1", 3, department="Legal")])
    await matching.publish_profiles([updated("OLD1", 2, department="Sales")])
    await matching.publish_profiles([registered("OLD1", 1, department="Ops")])
    row = await pool_row(matching, "OLD1")
    assert (row["profile_version"], row["snapshot"]["department"]) == (3, "Legal")
    assert matching.consumer.dead_lettered == dead_before
    inbox = await rows(matching.database_url, "SELECT ce_id FROM inbox WHERE key = 'OLD1' ORDER BY ce_id")
    assert [r["ce_id"] for r in inbox] == ["OLD1.v1", "OLD1.v2", "OLD1.v3"]
    await matching.publish_profiles([updated("OLD1", 4, department="Ops")])
    row = await pool_row(matching, "OLD1")
    assert (row["profile_version"], row["snapshot"]["department"]) == (4, "Ops")


async def test_a_departure_leaves_every_program_and_erasure_keeps_only_the_id(
    api: httpx.AsyncClient, matching: MatchingUnderTest
) -> None:
    await matching.publish_profiles([registered("GONE1")])
    first, second = await open_program(api), await open_program(api)
    for program_id in (first, second):
        enrolled = await api.post(
            f"/v1/programs/{program_id}/enrolments",
            json={"roles": ["mentee"]},
            headers=viewer_headers("GONE1"),
        )
        assert enrolled.status_code == 200, enrolled.text
    await matching.publish_profiles([departed("GONE1", 2)])
    held = await rows(
        matching.database_url,
        "SELECT status, withdrawn_reason FROM enrolments WHERE employee_id = 'GONE1' ORDER BY program_id",
    )
    assert held == [{"status": "withdrawn", "withdrawn_reason": "departed"}] * 2
    # Per program: draft and enrolling versions, the enrolment, the withdrawal.
    events = await matching_events(matching.infrastructure.kafka_bootstrap, {first, second}, expected=8)
    for program_id in (first, second):
        # In order within each program (its key); the two programs may interleave.
        assert [c for c in enrolment_changes(events) if c[0] == program_id] == [
            (program_id, "GONE1", ["mentee"], "enrolled"),
            (program_id, "GONE1", ["mentee"], "withdrawn"),
        ]
    assert len(enrolment_changes(events)) == 4
    assert all(e.ce_source == "tandem/matching" for e in events) and distinct_ids(events)
    again = await api.post(
        f"/v1/programs/{first}/enrolments", json={"roles": ["mentee"]}, headers=viewer_headers("GONE1")
    )
    assert again.status_code == 409
    assert again.json()["user_errors"] == [
        {"field": "employee_id", "message": "has departed", "code": "CONFLICT"}
    ]
    await matching.publish_profiles([erased("GONE1", 3)])
    row = await pool_row(matching, "GONE1")
    assert (row["profile_version"], row["status"], row["snapshot"]) == (3, "erased", None)


async def test_enrolment_rules(api: httpx.AsyncClient, matching: MatchingUnderTest) -> None:
    await matching.publish_profiles(
        [
            registered("EN1", roles=("mentee",)),
            registered("EN2", department="Sales"),
            registered("EN3", location={"country": "PT"}),
            registered("EN4", seniority_level=8),
            registered("EN5", status="on_leave"),
        ]
    )
    program_id = await open_program(
        api, eligibility={"departments": ["Finance"], "countries": ["BR"], "max_seniority": 5}
    )
    path = f"/v1/programs/{program_id}/enrolments"

    async def enrol(employee_id: str, roles: list[str]) -> httpx.Response:
        return await api.post(path, json={"roles": roles}, headers=viewer_headers(employee_id))

    ok = await enrol("EN1", ["mentee"])
    assert ok.status_code == 200
    assert {k: ok.json()[k] for k in ("program_id", "employee_id", "roles", "status")} == {
        "program_id": program_id,
        "employee_id": "EN1",
        "roles": ["mentee"],
        "status": "enrolled",
    }
    role = await enrol("EN1", ["mentor"])
    assert (role.status_code, role.json()["user_errors"]) == (
        409,
        [
            {
                "field": "roles.0",
                "message": "their mentoring profile does not offer the mentor role",
                "code": "CONFLICT",
            }
        ],
    )
    for employee_id, reason in (
        ("EN2", "their department is not among the program's departments"),
        ("EN3", "their country is not among the program's countries"),
        ("EN4", "their seniority level is above 5"),
    ):
        refused = await enrol(employee_id, ["mentor"])
        assert refused.status_code == 409
        assert refused.json()["user_errors"] == [
            {
                "field": "employee_id",
                "message": f"does not meet the program's eligibility: {reason}",
                "code": "CONFLICT",
            }
        ]
    assert (await enrol("EN5", ["mentor"])).status_code == 409
    unknown = await enrol("NOBODY", ["mentor"])
    assert (unknown.status_code, unknown.json()["user_errors"][0]["code"]) == (404, "NOT_FOUND")
    other = await api.post(
        path, json={"employee_id": "EN1", "roles": ["mentee"]}, headers=viewer_headers("EN2")
    )
    assert other.status_code == 403
    page = (await api.get(path)).json()
    assert [edge["node"]["employee_id"] for edge in page["edges"]] == ["EN1"]
    withdrawn = await api.delete(f"{path}/EN1", headers=viewer_headers("EN1"))
    assert (withdrawn.status_code, withdrawn.json()["status"], withdrawn.json()["withdrawn_reason"]) == (
        200,
        "withdrawn",
        "withdrew",
    )
    assert (await api.get(path)).json()["edges"] == []
    # Enrolled, enrolled again with the same roles (no change), withdrawn: two events.
    assert (await enrol("EN1", ["mentee"])).status_code == 200
    assert (await enrol("EN1", ["mentee"])).status_code == 200
    events = await matching_events(matching.infrastructure.kafka_bootstrap, {program_id}, expected=5)
    assert enrolment_changes(events) == [
        (program_id, "EN1", ["mentee"], "enrolled"),
        (program_id, "EN1", ["mentee"], "withdrawn"),
        (program_id, "EN1", ["mentee"], "enrolled"),
    ]
    assert [e.ce_type for e in events if e.ce_type != ENROLMENT_CHANGED] == [
        "tandem.matching.program.changed.v1"
    ] * 2
    assert distinct_ids(events)
    [first, *_] = [e.data for e in events if e.ce_type == ENROLMENT_CHANGED]
    assert set(first) == {"program_id", "employee_id", "roles", "status", "changed_at"}


async def test_nobody_enrols_in_a_draft_or_closed_program(
    api: httpx.AsyncClient, matching: MatchingUnderTest
) -> None:
    await matching.publish_profiles([registered("DR1")])
    created = await api.post("/v1/programs", json={"name": "Draft", "type": "peer"}, headers=ADMIN)
    program_id = created.json()["program_id"]
    draft = await api.post(f"/v1/programs/{program_id}/enrolments", json={}, headers=viewer_headers("DR1"))
    assert (draft.status_code, draft.json()["user_errors"][0]["field"]) == (409, "program_id")
    await api.post(f"/v1/programs/{program_id}/status", json={"status": "closed"}, headers=ADMIN)
    closed = await api.post(f"/v1/programs/{program_id}/enrolments", json={}, headers=viewer_headers("DR1"))
    assert closed.status_code == 409


async def test_bulk_enrolment_with_a_bad_row_changes_nothing(
    api: httpx.AsyncClient, matching: MatchingUnderTest
) -> None:
    people = [f"BULK{n:03d}" for n in range(50)]
    await matching.publish_profiles([registered(p) for p in people])
    program_id = await open_program(api)
    path = f"/v1/programs/{program_id}/enrolments/bulk"
    items = [{"employee_id": p, "roles": ["mentee"]} for p in people]
    items[3] = {"employee_id": "MISSING", "roles": ["mentee"]}
    refused = await api.post(path, json={"items": items}, headers=ADMIN)
    assert refused.status_code == 404
    assert refused.json()["user_errors"] == [
        {
            "field": "items.3.employee_id",
            "message": "is not an employee known to matching",
            "code": "NOT_FOUND",
        }
    ]
    count = await rows(
        matching.database_url, "SELECT count(*) AS n FROM enrolments WHERE program_id = :p", p=program_id
    )
    assert count == [{"n": 0}]
    items[3] = {"employee_id": people[3], "roles": ["mentee"]}
    done = await api.post(path, json={"items": items}, headers=ADMIN)
    assert done.status_code == 200
    assert [e["employee_id"] for e in done.json()["enrolments"]] == people
    count = await rows(
        matching.database_url, "SELECT count(*) AS n FROM enrolments WHERE program_id = :p", p=program_id
    )
    assert count == [{"n": 50}]
    # One event per enrolled row, none for the refused command; a repeat changes nothing.
    again = await api.post(path, json={"items": items}, headers=ADMIN)
    assert again.status_code == 200
    events = await matching_events(matching.infrastructure.kafka_bootstrap, {program_id}, expected=52)
    assert enrolment_changes(events) == [(program_id, p, ["mentee"], "enrolled") for p in people]
    assert distinct_ids(events)
    not_admin = await api.post(path, json={"items": items[:1]}, headers=viewer_headers(people[0]))
    assert not_admin.status_code == 403
