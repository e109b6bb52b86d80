"""A mentoring program from end to end, driven only through the gateway (issue 12 §5).

`tandem up` runs every service on the embedded broker and database. HR events go in on
Kafka from an outside client (confluent-kafka); everything else is GraphQL over HTTP and
WebSocket with development tokens from the real `tandem auth token` command.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, date, datetime
from typing import Any

import httpx
from confluent_kafka import Producer

from tandem_common.envelope import CloudEvent, encode_binary
from tandem_common.events.hr import HR_TOPIC
from tandem_common.runtime.embedded_kafka import free_port
from tests.support.graphql_client import GraphQL, dev_token, subscribe
from tests.support.tandem_up import tandem_env, tandem_home, tandem_up

ADMIN, ANALYST = "JRN-ADMIN", "JRN-ANALYST"
ANA, BEN, CEM = "JRN-ANA", "JRN-BEN", "JRN-CEM"

PERSON = """query($id: String!) { person(employeeId: $id) { id employeeId displayName department
  email mentoring { skillsOffered { skill level } skillsWanted { skill level } roles } } }"""
UPDATE_PROFILE = """mutation($input: MentoringProfileInput!) { updateMentoringProfile(input: $input) {
  person { employeeId mentoring { skillsOffered { skill level } roles } }
  userErrors { field message code } } }"""
CREATE_PROGRAM = """mutation($input: CreateProgramInput!) { createProgram(input: $input) {
  program { id name type status admins } userErrors { field message code } } }"""
SET_STATUS = """mutation($id: ID!, $status: ProgramStatus!) {
  setProgramStatus(programId: $id, status: $status) { program { id status }
  userErrors { field message code } } }"""
ENROL = """mutation($id: ID!) { enrol(programId: $id, roles: [MENTOR, MENTEE]) {
  enrolment { roles person { employeeId } } userErrors { field message code } } }"""
START_ROUND = """mutation($id: ID!) { startMatchRound(programId: $id) {
  round { id status } userErrors { field message code } } }"""
ROUND = (
    """query($id: ID!) { node(id: $id) { ... on MatchRound { id status stats { participants matched } } } }"""
)
RESPOND = """mutation($id: ID!) { respondToProposal(matchId: $id, accept: true) {
  match { id status } userErrors { field message code } } }"""
MY_MATCHES = """query { viewer { employeeId matches { id status program { id }
  members { role person { employeeId } } } proposals { id status } } }"""
LOG_SESSION = """mutation($input: LogSessionInput!) { logSession(input: $input) {
  session { id heldOn minutes } userErrors { field message code } } }"""
MATCH = """query($id: ID!) { match(id: $id) { id status endReason
  members { person { employeeId } }
  ledger { from { employeeId } to { employeeId } skill heldOn }
  health { score band factors { factor value detail } } } }"""
MATCH_EVENTS = """subscription($id: ID) { matchEvents(programId: $id) {
  type occurredAt match { id status members { person { employeeId } } } } }"""
ANALYTICS = """query($id: ID!) { program(id: $id) { id analytics { suppressed participants } } }"""


def hr_record(event_type: str, employee_id: str, data: dict[str, Any]) -> tuple[bytes, bytes, list]:
    event = CloudEvent(
        id=f"{employee_id}-{event_type}",
        source="hr/journey",
        type=f"tandem.hr.employee.{event_type}.v1",
        time=datetime.now(UTC),
        data={"employee_id": employee_id, **data},
        subject=employee_id,
    )
    value, headers = encode_binary(event)
    return employee_id.encode(), value, list(headers)


def hire(employee_id: str, department: str) -> tuple[bytes, bytes, list]:
    return hr_record(
        "hired",
        employee_id,
        {
            "email": f"{employee_id.lower()}@example.org",
            "display_name": f"Person {employee_id}",
            "job_title": "Engineer",
            "department": department,
            "manager_id": None,
            "location": {"country": "DE"},
            "timezone": "Europe/Berlin",
            "hire_date": date.today().isoformat(),
            "seniority_level": 4,
            "languages": ["en"],
        },
    )


def publish(bootstrap: str, records: list[tuple[bytes, bytes, list]]) -> None:
    """As an HR system does: an outside Kafka client, acknowledged by the broker."""
    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": False})
    for key, value, headers in records:
        producer.produce(HR_TOPIC, key=key, value=value, headers=headers)
    assert producer.flush(30) == 0


async def eventually(check: Any, timeout: float = 60, pause: float = 0.3) -> Any:
    """Polls ``check`` until it returns something truthy; fails with its last value."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last = None
    while loop.time() < deadline:
        last = await check()
        if last:
            return last
        await asyncio.sleep(pause)
    raise AssertionError(f"not reached in {timeout}s; last: {last!r}")


async def accepted(client: GraphQL, query: str, variables: dict[str, Any], field: str) -> dict[str, Any]:
    """A command that depends on what another service has yet to hear (a profile the
    matching service has not consumed yet, a start engagement has not): the owning
    service answers CONFLICT and changes nothing until it has; a front end tries again."""

    async def attempt() -> Any:
        payload = (await client.run(query, variables))[field]
        if payload["userErrors"]:
            assert {e["code"] for e in payload["userErrors"]} == {"CONFLICT"}, payload
            return None
        return payload

    result: dict[str, Any] = await eventually(attempt)
    return result


async def test_a_reciprocal_program_from_hire_to_rematch_through_the_gateway() -> None:
    ports = {name: free_port() for name in ("kafka", "profiles", "matching", "engagement", "gateway")}
    with tandem_home("gw-journey-") as home:
        env = tandem_env(
            home,
            TANDEM_EMBEDDED_KAFKA_PORT=str(ports["kafka"]),
            TANDEM_PROFILES_PORT=str(ports["profiles"]),
            TANDEM_MATCHING_PORT=str(ports["matching"]),
            TANDEM_ENGAGEMENT_PORT=str(ports["engagement"]),
            TANDEM_GATEWAY_PORT=str(ports["gateway"]),
        )
        failure: BaseException | None = None
        async with tandem_up(env, ready_timeout=180) as up:
            base = f"http://127.0.0.1:{ports['gateway']}"
            ws = f"ws://127.0.0.1:{ports['gateway']}/graphql"
            tokens = {
                ADMIN: dev_token(home, ADMIN, "employee", "program_admin"),
                ANALYST: dev_token(home, ANALYST, "hr_analyst"),
                **{who: dev_token(home, who, "employee") for who in (ANA, BEN, CEM)},
            }
            clients = {who: GraphQL(base, token) for who, token in tokens.items()}
            try:
                async with httpx.AsyncClient(base_url=base) as anonymous:
                    ready = await anonymous.get("/readyz")
                    assert ready.status_code == 200, ready.text
                    # No token, no data.
                    refused = await anonymous.post("/graphql", json={"query": "{ viewer { employeeId } }"})
                    assert refused.status_code == 401 and "data" not in refused.json()
                await journey(clients, tokens, ws, f"127.0.0.1:{ports['kafka']}")
            except (AssertionError, TimeoutError) as error:
                failure = error
            finally:
                for client in clients.values():
                    await client.close()
        if failure is not None:
            # What the services said (the platform has stopped, so its output is whole).
            said = [line for line in up.output.splitlines() if "JRN-" in line or "error" in line.lower()]
            raise AssertionError("\n".join(said[-60:])) from failure


async def journey(clients: dict[str, GraphQL], tokens: dict[str, str], ws: str, kafka: str) -> None:
    admin, ana, ben, cem = clients[ADMIN], clients[ANA], clients[BEN], clients[CEM]

    # 1. Hires arrive on Kafka; each person appears in person(...).
    publish(kafka, [hire(ANA, "Sales"), hire(BEN, "Engineering"), hire(CEM, "Finance")])
    for who in (ANA, BEN, CEM):

        async def appeared(who: str = who) -> Any:
            return (await clients[who].run(PERSON, {"id": who}))["person"]

        person = await eventually(appeared)
        assert (person["employeeId"], person["email"]) == (who, f"{who.lower()}@example.org")
    # Another employee sees the public card, never the email.
    other = await ben.post(PERSON, {"id": ANA})
    body = other.json()
    assert body["data"]["person"]["displayName"] == f"Person {ANA}"
    assert body["data"]["person"]["email"] is None
    assert {error["extensions"]["code"] for error in body["errors"]} == {"FORBIDDEN"}

    # 2. Each sets their mentoring profile: Ana and Cem teach what Ben wants, and back.
    profiles = {
        ANA: ("social-media", "python"),
        BEN: ("python", "social-media"),
        CEM: ("social-media", "python"),
    }
    for who, (offered, wanted) in profiles.items():
        payload = await clients[who].mutate(
            UPDATE_PROFILE,
            {
                "input": {
                    "skillsOffered": [{"skill": offered, "level": 4}],
                    "skillsWanted": [{"skill": wanted, "level": 2}],
                    "roles": ["MENTOR", "MENTEE"],
                    "capacity": 1,
                }
            },
            "updateMentoringProfile",
        )
        assert payload["person"]["mentoring"]["skillsOffered"] == [{"skill": offered, "level": 4}]
    # A bad value is a user error on its field, and changes nothing.
    bad = (await ana.run(UPDATE_PROFILE, {"input": {"capacity": -1}}))["updateMentoringProfile"]
    assert [(e["field"], e["code"]) for e in bad["userErrors"]] == [("input.capacity", "VALIDATION")]

    # 3. An admin creates a reciprocal program and opens it; Ana and Ben enrol.
    created = await admin.mutate(
        CREATE_PROGRAM,
        {
            "input": {
                "name": "Journey reciprocal",
                "type": "RECIPROCAL",
                "rules": {"excludeSameDepartment": False, "minTimezoneOverlapHours": 0},
                "durationDays": 180,
                "acceptance": "BOTH",
                "autoRematch": True,
            }
        },
        "createProgram",
    )
    program = created["program"]
    assert (program["type"], program["status"], program["admins"]) == ("RECIPROCAL", "DRAFT", [ADMIN])
    program_id = program["id"]
    opened = await admin.mutate(SET_STATUS, {"id": program_id, "status": "ENROLLING"}, "setProgramStatus")
    assert opened["program"]["status"] == "ENROLLING"
    # An employee cannot run the program.
    refused = (await ana.run(SET_STATUS, {"id": program_id, "status": "RUNNING"}))["setProgramStatus"]
    assert [e["code"] for e in refused["userErrors"]] == ["FORBIDDEN"]
    for who in (ANA, BEN):
        enrolled = await accepted(clients[who], ENROL, {"id": program_id}, "enrol")
        assert enrolled["enrolment"]["person"]["employeeId"] == who
    await admin.mutate(SET_STATUS, {"id": program_id, "status": "RUNNING"}, "setProgramStatus")

    async with subscribe(ws, tokens[ADMIN], MATCH_EVENTS, {"id": program_id}) as events:
        # 4. A round runs; both accept; matchEvents delivers the proposal and the start.
        started = await admin.mutate(START_ROUND, {"id": program_id}, "startMatchRound")
        round_id = started["round"]["id"]

        async def round_done() -> Any:
            node = (await admin.run(ROUND, {"id": round_id}))["node"]
            return node if node["status"] in ("DONE", "FAILED") else None

        finished = await eventually(round_done, timeout=120)
        assert finished["status"] == "DONE" and finished["stats"]["matched"] == 2
        proposed = await events.until(lambda e: e["data"]["matchEvents"]["type"] == "PROPOSED")
        match = proposed["data"]["matchEvents"]["match"]
        assert sorted(m["person"]["employeeId"] for m in match["members"]) == [ANA, BEN]
        match_id = match["id"]
        for who in (ANA, BEN):
            await clients[who].mutate(RESPOND, {"id": match_id}, "respondToProposal")
        start = await events.until(lambda e: e["data"]["matchEvents"]["type"] == "STARTED")
        assert start["data"]["matchEvents"]["match"]["id"] == match_id
        mine = (await ana.run(MY_MATCHES))["viewer"]
        assert [(m["id"], m["status"]) for m in mine["matches"] if m["program"]["id"] == program_id] == [
            (match_id, "ACTIVE")
        ]

        # 5. A session with learning both ways; the ledger and the health show it.
        today = date.today().isoformat()
        session = {
            "matchId": match_id,
            "heldOn": today,
            "minutes": 60,
            "mode": "VIDEO",
            "taught": ["social-media"],
            "learned": ["python"],
            "notes": "Ana's own notes",
            "clientRequestId": "journey-session-1",
        }

        # Engagement learns of the start from matching.events; until then: CONFLICT.
        logged = await accepted(ana, LOG_SESSION, {"input": session}, "logSession")
        assert logged["session"]["minutes"] == 60

        async def ledger_and_health() -> Any:
            found = (await admin.run(MATCH, {"id": match_id}))["match"]
            return found if len(found["ledger"]) == 2 and found["health"] is not None else None

        seen = await eventually(ledger_and_health)
        directions = sorted(
            (e["from"]["employeeId"], e["to"]["employeeId"], e["skill"]) for e in seen["ledger"]
        )
        assert directions == [(ANA, BEN, "social-media"), (BEN, ANA, "python")]
        assert seen["health"]["band"] in ("HEALTHY", "WATCH", "AT_RISK") and seen["health"]["factors"]

        # 6. Cem enrols; Ana leaves the company: the match ends, Ben gets a new proposal.
        await accepted(cem, ENROL, {"id": program_id}, "enrol")
        publish(kafka, [hr_record("exited", ANA, {"exit_date": today, "reason": "voluntary"})])
        # The end and the new proposal are keyed by different matches, so they may
        # arrive in either order.
        seen: dict[str, dict[str, Any]] = {}
        while not {"ENDED", "PROPOSED"} <= set(seen):
            event = (await events.next(timeout=60))["data"]["matchEvents"]
            seen[event["type"]] = event
        assert seen["ENDED"]["match"]["id"] == match_id
        after = (await admin.run(MATCH, {"id": match_id}))["match"]
        assert (after["status"], after["endReason"]) == ("ENDED", "MEMBER_DEPARTED")
        members = sorted(m["person"]["employeeId"] for m in seen["PROPOSED"]["match"]["members"])
        assert members == [BEN, CEM]

    # 7. Program analytics respect the group threshold: three people are fewer than ten.
    analytics = (await clients[ANALYST].run(ANALYTICS, {"id": program_id}))["program"]["analytics"]
    assert analytics["suppressed"] is True
    # An analyst sees aggregates only, never a match.
    denied = (await clients[ANALYST].post(MATCH, {"id": match_id})).json()
    assert denied["data"]["match"] is None
    assert {e["extensions"]["code"] for e in denied["errors"]} == {"FORBIDDEN"}
