"""HR events drive the match lifecycle, against PostgreSQL and the broker: exits end
matches and re-match the partner, changes that break a hard rule end matches, health
signals flag matches at risk; duplicates and older versions change nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import orjson
import pytest
from confluent_kafka import Consumer, TopicPartition

from tandem_common.events.matching import MATCHING_TOPIC
from tandem_common.testing.backends import Infrastructure
from tests.support.hr_lifecycle import (
    ADMIN,
    HrMatching,
    enrol,
    health_record,
    left,
    propose,
    registrations,
    right,
    running_program,
)
from tests.support.matching import matching_events, rows, viewer_headers
from tests.support.profile_snapshots import departed, profile_record, registered, snapshot, updated
from tests.unit.matching.support import pair_problems

PARTNERS = ("partner", "partner")


@pytest.fixture(scope="module")
async def hr(infrastructure: Infrastructure, module_database_url: str) -> AsyncIterator[HrMatching]:
    async with HrMatching(infrastructure, module_database_url).running() as service:
        yield service


@pytest.fixture(scope="module")
async def api(hr: HrMatching) -> AsyncIterator[httpx.AsyncClient]:
    async with hr.client() as client:
        yield client


async def match_rows(hr: HrMatching, program_id: str) -> list[dict[str, Any]]:
    return await rows(
        hr.database_url,
        """
        SELECT m.match_id, m.round_id, m.status, m.end_reason, m.declined_by, m.started_on, m.ended_on,
               m.at_risk, m.updated_at, array_agg(mm.employee_id ORDER BY mm.position) AS members
        FROM matches m JOIN match_members mm ON mm.match_id = m.match_id
        WHERE m.program_id = :program_id
        GROUP BY m.match_id ORDER BY m.match_id
        """,
        program_id=program_id,
    )


def pair(*ids: str) -> tuple[tuple[str, str], ...]:
    return tuple((employee_id, role) for employee_id, role in zip(ids, PARTNERS, strict=True))


def kinds(events: list[Any]) -> dict[str, list[str]]:
    """Each key's event kinds (``proposed``, ``started``...) in order."""
    found: dict[str, list[str]] = {}
    for event in events:
        found.setdefault(event.key, []).append(event.ce_type.split(".")[3])
    return found


def confluent_read(bootstrap: str, keys: set[str]) -> list[tuple[str, str, dict[str, Any]]]:
    """``matching.events`` records with these keys, read with a plain Kafka client."""
    consumer = Consumer(
        {"bootstrap.servers": bootstrap, "group.id": "hr-lifecycle-check", "enable.auto.commit": False}
    )
    try:
        metadata = consumer.list_topics(MATCHING_TOPIC, timeout=10)
        partitions = [
            TopicPartition(MATCHING_TOPIC, p, 0) for p in metadata.topics[MATCHING_TOPIC].partitions
        ]
        consumer.assign(partitions)
        found = []
        idle = 0
        while idle < 3:
            message = consumer.poll(1.0)
            if message is None:
                idle += 1
                continue
            if message.error() is not None or message.key() is None or message.key().decode() not in keys:
                continue
            headers = dict(message.headers() or [])
            found.append((message.key().decode(), headers["ce_type"].decode(), orjson.loads(message.value())))
        return found
    finally:
        consumer.close()


async def test_an_exit_ends_the_match_and_re_matches_the_partner_with_an_eligible_person(
    hr: HrMatching, api: httpx.AsyncClient
) -> None:
    program_id = await running_program(api, acceptance="auto", auto_rematch=True)
    # XL1's only eligible partner after XR1 leaves is XR3: XR4 is XL1's manager (a
    # reporting line), XL3 teaches what XL1 teaches, XR2 is matched.
    people = [
        left("XL1", manager_id="XR4"),
        left("XL2"),
        left("XL3"),
        right("XR1"),
        right("XR2"),
        right("XR3"),
        right("XR4"),
    ]
    await hr.publish_profiles(registrations(*people))
    await enrol(api, program_id, [{"employee_id": p["employee_id"]} for p in people])
    leaving, staying = await propose(hr, program_id, pair("XL1", "XR1"), pair("XL2", "XR2"))
    before = {r["match_id"]: r for r in await match_rows(hr, program_id)}

    await hr.publish_profiles([departed("XR1", 2, mentoring=right("XR1")["mentoring"])])

    after = {r["match_id"]: r for r in await match_rows(hr, program_id)}
    assert after[staying] == before[staying]
    assert (after[leaving]["status"], after[leaving]["end_reason"]) == ("ended", "member_departed")
    [new_id] = set(after) - set(before)
    new = after[new_id]
    assert (new["status"], new["round_id"], sorted(new["members"])) == ("active", None, ["XL1", "XR3"])
    snapshots = {
        p["employee_id"]: snapshot(
            p["employee_id"], **{k: v for k, v in p.items() if k not in ("employee_id", "version")}
        )
        for p in people
    }
    program = {"type": "reciprocal", "rules": {"exclude_reporting_line": True}}
    managers = {i: s["manager_id"] for i, s in snapshots.items()}
    a, b = new["members"]
    assert pair_problems(snapshots[a], snapshots[b], program, managers) == []

    events = await matching_events(hr.infrastructure.kafka_bootstrap, {leaving, new_id}, expected=5)
    assert kinds(events) == {leaving: ["proposed", "started", "ended"], new_id: ["proposed", "started"]}
    ended = next(e for e in events if e.key == leaving and e.ce_type.endswith("ended.v1"))
    proposed = next(e for e in events if e.key == new_id and e.ce_type.endswith("proposed.v1")).data
    assert ended.data == {
        "match_id": leaving,
        "program_id": program_id,
        "members": [{"employee_id": "XL1", "role": "partner"}, {"employee_id": "XR1", "role": "partner"}],
        "ended_on": ended.data["ended_on"],
        "reason": "member_departed",
    }
    assert (proposed["round_id"], proposed["program_id"]) == (None, program_id)
    assert {m["employee_id"] for m in proposed["members"]} == {"XL1", "XR3"}
    assert proposed["explanation"][0]["factor"] == "skill_complementarity"
    # The same, read outside-in with a plain Kafka client.
    seen = confluent_read(hr.infrastructure.kafka_bootstrap, {leaving, new_id})
    outside: dict[str, list[str]] = {}
    for key, ce_type, _ in seen:
        outside.setdefault(key, []).append(ce_type.split(".")[3])
    assert outside == {leaving: ["proposed", "started", "ended"], new_id: ["proposed", "started"]}
    assert next(data for key, t, data in seen if t.endswith("ended.v1"))["reason"] == "member_departed"

    # The same exit delivered again, and an older snapshot of the leaver, change nothing.
    duplicates = hr.consumer.duplicates
    await hr.publish_profiles([departed("XR1", 2, mentoring=right("XR1")["mentoring"])])
    late = snapshot("XR1", 1, mentoring=right("XR1")["mentoring"], job_title="Late")
    await hr.publish_profiles([profile_record("updated", late, ce_id="XR1.late")])
    assert hr.consumer.duplicates == duplicates + 1
    assert {r["match_id"]: r for r in await match_rows(hr, program_id)} == after
    pool = await rows(
        hr.database_url, "SELECT status, profile_version FROM pool_members WHERE employee_id = 'XR1'"
    )
    assert pool == [{"status": "departed", "profile_version": 2}]


async def test_an_exit_without_auto_rematch_only_ends_and_a_proposal_is_withdrawn(
    hr: HrMatching, api: httpx.AsyncClient
) -> None:
    program_id = await running_program(api, acceptance="both", auto_rematch=False)
    people = [left("NL1"), left("NL2"), right("NR1"), right("NR2"), right("NR3")]
    await hr.publish_profiles(registrations(*people))
    await enrol(api, program_id, [{"employee_id": p["employee_id"]} for p in people])
    active, proposal = await propose(hr, program_id, pair("NL1", "NR1"), pair("NL2", "NR2"))
    for who in ("NL1", "NR1"):
        answered = await api.post(
            f"/v1/matches/{active}/response", json={"accept": True}, headers=viewer_headers(who)
        )
        assert answered.json()["status"] in ("proposed", "active")

    await hr.publish_profiles([departed("NR1", 2), departed("NR2", 2)])

    after = await match_rows(hr, program_id)
    assert [(r["match_id"], r["status"], r["end_reason"], r["declined_by"]) for r in after] == sorted(
        [(active, "ended", "member_departed", None), (proposal, "declined", "member_departed", None)]
    )
    events = await matching_events(hr.infrastructure.kafka_bootstrap, {active, proposal}, expected=5)
    assert sorted((e.key, e.ce_type.split(".")[3]) for e in events) == sorted(
        [
            (active, "proposed"),
            (active, "started"),
            (active, "ended"),
            (proposal, "proposed"),
            (proposal, "declined"),
        ]
    )
    declined = next(e for e in events if e.ce_type.endswith("declined.v1"))
    assert declined.data == {"match_id": proposal, "program_id": program_id, "declined_by": None}


async def test_a_transfer_that_creates_a_reporting_line_ends_the_match_and_re_matches_both(
    hr: HrMatching, api: httpx.AsyncClient
) -> None:
    program_id = await running_program(api, acceptance="auto", auto_rematch=True)
    people = [left("TL1"), left("TL2"), right("TR1"), right("TR2")]
    await hr.publish_profiles(registrations(*people))
    await enrol(api, program_id, [{"employee_id": p["employee_id"]} for p in people])
    [broken] = await propose(hr, program_id, pair("TL1", "TR1"))

    # TR1 moves under TL1.
    await hr.publish_profiles([updated("TR1", 2, mentoring=right("TR1")["mentoring"], manager_id="TL1")])

    after = {r["match_id"]: r for r in await match_rows(hr, program_id)}
    assert (after[broken]["status"], after[broken]["end_reason"]) == ("ended", "rule_violated")
    new = sorted(tuple(r["members"]) for i, r in after.items() if i != broken)
    assert new == [("TL1", "TR2"), ("TL2", "TR1")]
    assert all(r["round_id"] is None and r["status"] == "active" for i, r in after.items() if i != broken)
    events = await matching_events(hr.infrastructure.kafka_bootstrap, {broken}, expected=3)
    assert events[-1].data["reason"] == "rule_violated"


async def test_a_manager_change_above_a_member_breaks_the_match_at_any_depth(
    hr: HrMatching, api: httpx.AsyncClient
) -> None:
    program_id = await running_program(api, acceptance="auto", auto_rematch=False)
    # DR1 reports to DM; DM now moves under DL1, so DL1 manages DR1 at depth 2.
    people = [left("DL1"), right("DR1", manager_id="DM"), {"employee_id": "DM", "version": 1}]
    await hr.publish_profiles(registrations(*people))
    await enrol(api, program_id, [{"employee_id": "DL1"}, {"employee_id": "DR1"}])
    [match_id] = await propose(hr, program_id, pair("DL1", "DR1"))
    await hr.publish_profiles([updated("DM", 2, manager_id="DL1")])
    [row] = await match_rows(hr, program_id)
    assert (row["match_id"], row["status"], row["end_reason"]) == (match_id, "ended", "rule_violated")


async def test_a_seniority_flip_in_a_reverse_program_ends_the_match(
    hr: HrMatching, api: httpx.AsyncClient
) -> None:
    program_id = await running_program(api, type="reverse", acceptance="auto", auto_rematch=False)
    mentor = {"mentoring": {**left("x")["mentoring"], "roles": ["mentor"]}}
    mentee = {"mentoring": {**right("x")["mentoring"], "roles": ["mentee"]}}
    await hr.publish_profiles(
        [registered("SV1", 1, seniority_level=2, **mentor), registered("SV2", 1, seniority_level=6, **mentee)]
    )
    await enrol(
        api,
        program_id,
        [{"employee_id": "SV1", "roles": ["mentor"]}, {"employee_id": "SV2", "roles": ["mentee"]}],
    )
    [match_id] = await propose(hr, program_id, (("SV1", "mentor"), ("SV2", "mentee")))
    await hr.publish_profiles([updated("SV1", 2, seniority_level=7, **mentor)])
    [row] = await match_rows(hr, program_id)
    assert (row["match_id"], row["status"], row["end_reason"]) == (match_id, "ended", "rule_violated")
    events = await matching_events(hr.infrastructure.kafka_bootstrap, {match_id}, expected=3)
    assert [e.data.get("reason") for e in events] == [None, None, "rule_violated"]


async def test_a_change_that_breaks_no_rule_changes_nothing(hr: HrMatching, api: httpx.AsyncClient) -> None:
    program_id = await running_program(api, acceptance="auto", auto_rematch=True)
    people = [left("CL1"), right("CR1"), right("CR2")]
    await hr.publish_profiles(registrations(*people))
    await enrol(api, program_id, [{"employee_id": p["employee_id"]} for p in people])
    [match_id] = await propose(hr, program_id, pair("CL1", "CR1"))
    before = await match_rows(hr, program_id)
    # A promotion, a new title and a new manager outside either member's line.
    await hr.publish_profiles(
        [
            updated("CR1", 2, mentoring=right("CR1")["mentoring"], seniority_level=5, job_title="Lead"),
            updated("CL1", 2, mentoring=left("CL1")["mentoring"], manager_id="CR2"),
        ]
    )
    assert await match_rows(hr, program_id) == before
    events = await matching_events(hr.infrastructure.kafka_bootstrap, {match_id}, expected=2)
    assert [e.ce_type.split(".")[3] for e in events] == ["proposed", "started"]


async def test_health_signals_flag_and_clear_a_match_for_its_admins(
    hr: HrMatching, api: httpx.AsyncClient
) -> None:
    program_id = await running_program(api, acceptance="auto")
    people = [left("HL1"), right("HR1"), left("HL2"), right("HR2")]
    await hr.publish_profiles(registrations(*people))
    await enrol(api, program_id, [{"employee_id": p["employee_id"]} for p in people])
    risky, fine = await propose(hr, program_id, pair("HL1", "HR1"), pair("HL2", "HR2"))
    at_risk = health_record(risky, program_id, "at_risk", ce_id="h-1")
    await hr.publish_engagement([at_risk, health_record(fine, program_id, "healthy")])

    listing = await api.get(f"/v1/programs/{program_id}/matches?at_risk=true", headers=ADMIN)
    assert [e["node"]["match_id"] for e in listing.json()["edges"]] == [risky]
    assert listing.json()["edges"][0]["node"]["at_risk"] is True
    calm = await api.get(f"/v1/programs/{program_id}/matches?at_risk=false", headers=ADMIN)
    assert [e["node"]["match_id"] for e in calm.json()["edges"]] == [fine]
    stranger = await api.get(f"/v1/programs/{program_id}/matches?at_risk=true", headers=viewer_headers("HL2"))
    assert (stranger.status_code, stranger.json()["user_errors"][0]["code"]) == (403, "FORBIDDEN")
    anonymous = await api.get(f"/v1/programs/{program_id}/matches?at_risk=true")
    assert anonymous.status_code == 401

    # Delivered twice: one effect. The band recovering clears the flag.
    duplicates = hr.engagement_consumer.duplicates
    await hr.publish_engagement([at_risk])
    assert hr.engagement_consumer.duplicates == duplicates + 1
    await hr.publish_engagement([health_record(risky, program_id, "healthy")])
    assert (await api.get(f"/v1/matches/{risky}")).json()["at_risk"] is False
    again = await api.get(f"/v1/programs/{program_id}/matches?at_risk=true", headers=ADMIN)
    assert again.json()["edges"] == []
