"""Programs over the internal HTTP API: lifecycle, per-field errors, viewers, reads."""

from __future__ import annotations

import httpx

from tests.support.matching import MatchingUnderTest, matching_events, rows, viewer_headers
from tests.unit.matching_service.support import DEFAULT_RULES, DEFAULT_WEIGHTS

ADMIN = viewer_headers("ADM1", "employee", "program_admin")


async def create(api: httpx.AsyncClient, **fields) -> dict:
    response = await api.post(
        "/v1/programs", json={"name": "Reverse 2027", "type": "reverse", **fields}, headers=ADMIN
    )
    assert response.status_code == 201, response.text
    return response.json()


async def test_a_program_goes_through_its_lifecycle_and_publishes_each_version(
    api: httpx.AsyncClient, matching: MatchingUnderTest
) -> None:
    created = await create(api, eligibility={"countries": ["BR"]}, acceptance="auto")
    program_id = created["program_id"]
    assert (created["status"], created["program_version"], created["admins"]) == ("draft", 1, ["ADM1"])
    assert created["checkins"] == {"first_after_days": 30, "every_days": 60}
    changed = await api.patch(f"/v1/programs/{program_id}", json={"duration_days": 120}, headers=ADMIN)
    assert (changed.status_code, changed.json()["program_version"], changed.json()["duration_days"]) == (
        200,
        2,
        120,
    )
    for version, status in enumerate(["enrolling", "running", "closed"], start=3):
        moved = await api.post(f"/v1/programs/{program_id}/status", json={"status": status}, headers=ADMIN)
        assert (moved.status_code, moved.json()["status"], moved.json()["program_version"]) == (
            200,
            status,
            version,
        )
    back = await api.post(f"/v1/programs/{program_id}/status", json={"status": "running"}, headers=ADMIN)
    assert back.status_code == 409
    assert back.json() == {
        "user_errors": [
            {
                "field": "status",
                "message": "a closed program cannot become running (allowed: nothing: it is final)",
                "code": "CONFLICT",
            }
        ]
    }
    events = await matching_events(matching.infrastructure.kafka_bootstrap, {program_id}, expected=5)
    assert [(e.ce_type, e.key, e.ce_id, e.ce_source) for e in events] == [
        ("tandem.matching.program.changed.v1", program_id, f"{program_id}.v{v}", "tandem/matching")
        for v in range(1, 6)
    ]
    assert [e.data["status"] for e in events] == ["draft", "draft", "enrolling", "running", "closed"]
    last = events[-1].data
    assert last == {
        "program_id": program_id,
        "program_version": 5,
        "name": "Reverse 2027",
        "type": "reverse",
        "status": "closed",
        "rules": {**DEFAULT_RULES, "exclude_previous_pairs": []},
        "weights": DEFAULT_WEIGHTS,
        "cadence": {"sessions_per_month": 2, "minutes_per_session": 60},
        "duration_days": 120,
        "checkins": {"first_after_days": 30, "every_days": 60},
        "acceptance": "auto",
        "auto_rematch": False,
        "admins": ["ADM1"],
        "eligibility": {
            "departments": None,
            "countries": ["BR"],
            "min_seniority": None,
            "max_seniority": None,
        },
    }


async def test_a_bad_create_names_every_field_and_stores_nothing(
    api: httpx.AsyncClient, matching: MatchingUnderTest
) -> None:
    before = await rows(matching.database_url, "SELECT count(*) AS n FROM programs")
    response = await api.post(
        "/v1/programs",
        json={
            "name": "",
            "type": "reverse",
            "rules": {"min_timezone_overlap_hours": 12},
            "cadence": {"sessions_per_month": "weekly"},
            "eligibility": {"countries": ["XX"], "min_seniority": 9, "max_seniority": 2},
        },
        headers=ADMIN,
    )
    assert response.status_code == 422
    assert [(e["field"], e["code"]) for e in response.json()["user_errors"]] == [
        ("name", "VALIDATION"),
        ("rules.min_timezone_overlap_hours", "VALIDATION"),
        ("cadence.sessions_per_month", "VALIDATION"),
        ("eligibility.countries.0", "VALIDATION"),
    ]
    assert await rows(matching.database_url, "SELECT count(*) AS n FROM programs") == before
    not_json = await api.post(
        "/v1/programs", content=b"{", headers={**ADMIN, "content-type": "application/json"}
    )
    assert not_json.status_code == 422
    assert not_json.json()["user_errors"][0]["field"] == "body"


async def test_viewers_are_checked(api: httpx.AsyncClient) -> None:
    anonymous = await api.post("/v1/programs", json={"name": "X", "type": "peer"})
    assert anonymous.status_code == 401
    bad = await api.post(
        "/v1/programs", json={"name": "X", "type": "peer"}, headers={"X-Tandem-Viewer": "a b"}
    )
    assert bad.status_code == 401
    employee = await api.post(
        "/v1/programs", json={"name": "X", "type": "peer"}, headers=viewer_headers("E1")
    )
    assert (employee.status_code, employee.json()["user_errors"][0]["code"]) == (403, "FORBIDDEN")
    program_id = (await create(api))["program_id"]
    other_admin = viewer_headers("ADM2", "program_admin")
    refused = await api.patch(f"/v1/programs/{program_id}", json={"name": "Mine"}, headers=other_admin)
    assert refused.status_code == 403
    platform_admin = viewer_headers("ROOT", "admin")
    allowed = await api.patch(f"/v1/programs/{program_id}", json={"name": "Ours"}, headers=platform_admin)
    assert (allowed.status_code, allowed.json()["name"]) == (200, "Ours")
    missing = await api.patch("/v1/programs/prg_nope", json={"name": "Mine"}, headers=ADMIN)
    assert (missing.status_code, missing.json()["user_errors"][0]["field"]) == (404, "program_id")


async def test_batch_reads_and_pages(api: httpx.AsyncClient) -> None:
    made = [(await create(api, name=f"Batch {n}"))["program_id"] for n in range(3)]
    batch = (await api.post("/v1/programs/batch", json={"ids": [made[2], "prg_none", made[0]]})).json()
    assert [p["program_id"] for p in batch["programs"]] == [made[2], made[0]]
    assert batch["missing"] == ["prg_none"]
    one = await api.get(f"/v1/programs/{made[1]}")
    assert (one.status_code, one.json()["name"]) == (200, "Batch 1")
    assert (await api.get("/v1/programs/prg_none")).status_code == 404
    seen: list[str] = []
    after = None
    while True:
        params = {"first": 2, "status": "draft"} | ({"after": after} if after else {})
        page = (await api.get("/v1/programs", params=params)).json()
        seen.extend(edge["node"]["program_id"] for edge in page["edges"])
        assert all(edge["node"]["status"] == "draft" for edge in page["edges"])
        if not page["page_info"]["has_next_page"]:
            break
        after = page["page_info"]["end_cursor"]
    assert set(made) <= set(seen) and seen == sorted(seen)
    assert (await api.get("/v1/programs", params={"first": 101})).status_code == 422
    bad_cursor = await api.get("/v1/programs", params={"after": "%%%"})
    assert (bad_cursor.status_code, bad_cursor.json()["user_errors"][0]["field"]) == (422, "after")
