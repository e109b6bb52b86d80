"""The gateway's reads against the real profiles, matching and engagement services (their
own databases on the embedded PostgreSQL, their consumers on the embedded broker): a
page of a program's matches with members, program and health resolves through the real
batch endpoints, in the same number of calls for a page of 3 as for a page of 12."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import asyncpg
import httpx
import pytest
from strawberry import Schema

from tandem_common.settings import libpq_url
from tandem_common.testing.backends import Infrastructure
from tandem_engagement.entrypoints.main import build_app as engagement_app
from tandem_gateway.auth.viewer import Viewer
from tandem_gateway.clients.service_client import ServiceClient, Services
from tandem_gateway.context import GatewayContext
from tandem_gateway.schema.build import build_schema
from tandem_gateway.schema.loaders import Loaders
from tandem_gateway.schema.nodes import encode_id
from tandem_gateway.settings import GatewaySettings
from tandem_matching.domain.matches import ExplanationFactor
from tandem_matching.entrypoints.main import build_app as matching_app
from tandem_profiles.entrypoints.main import build_app as profiles_app
from tests.support.backbone import new_id
from tests.support.engagement import EngagementUnderTest, match_started, program_changed
from tests.support.kafka import produce
from tests.support.matching import MatchingUnderTest, propose_pairs, viewer_headers
from tests.support.profiles import ProfilesUnderTest, hired

PAIRS = 12
ADMIN = f"ADM{new_id()[:6]}"

PAGE = """
query Page($id: ID!, $first: Int!) {
  program(id: $id) {
    name
    matches(first: $first) {
      edges {
        node {
          id
          status
          members { role person { employeeId displayName department } }
          program { name }
          health { band score }
        }
      }
      pageInfo { hasNextPage }
    }
  }
}
"""


async def _database(infrastructure: Infrastructure) -> str:
    name = infrastructure.new_database_name()
    admin = await asyncpg.connect(libpq_url(infrastructure.admin_database_url))
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    return name


async def _drop(infrastructure: Infrastructure, name: str) -> None:
    admin = await asyncpg.connect(libpq_url(infrastructure.admin_database_url))
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@dataclass
class Running:
    profiles: ProfilesUnderTest
    matching: MatchingUnderTest
    engagement: EngagementUnderTest
    program_id: str
    # (match id, mentor, mentee) of every match of the program.
    matches: list[tuple[str, str, str]]

    def services(self) -> Services:
        assert self.profiles.runtime and self.matching.runtime and self.engagement.runtime

        def client(name: str, app: object) -> ServiceClient:
            transport = httpx.ASGITransport(app=app)  # type: ignore[arg-type]
            return ServiceClient(name, f"http://{name}", timeout_seconds=10.0, transport=transport)

        return Services(
            client("profiles", profiles_app(self.profiles.runtime, self.profiles.settings)),
            client("matching", matching_app(self.matching.runtime, self.matching.settings)),
            client(
                "engagement",
                engagement_app(
                    self.engagement.runtime, self.engagement.settings, clock=self.engagement.clock
                ),
            ),
        )


@pytest.fixture(scope="module")
async def running(infrastructure: Infrastructure) -> AsyncIterator[Running]:
    names = [await _database(infrastructure) for _ in range(3)]
    profiles = ProfilesUnderTest(infrastructure, infrastructure.database_url(names[0]))
    matching = MatchingUnderTest(infrastructure, infrastructure.database_url(names[1]))
    engagement = EngagementUnderTest(infrastructure, infrastructure.database_url(names[2]))
    await profiles.start()
    await matching.start()
    await engagement.start()
    try:
        suffix = new_id()[:6]
        people = [(f"M{n:02d}{suffix}", f"T{n:02d}{suffix}") for n in range(PAIRS)]
        # HR hires everyone; the profiles service registers them.
        records = [
            hired(employee_id, display_name=f"Person {employee_id}", department=f"Dept {n}")
            for n, pair in enumerate(people)
            for employee_id in pair
        ]
        await produce(infrastructure.kafka_bootstrap, profiles.hr_topic, records)
        await profiles.wait_handled(len(records))

        # A running program of ADMIN's, and a proposal per pair that both accept.
        async with matching.client() as api:
            admin = viewer_headers(ADMIN, "employee", "program_admin")
            created = await api.post(
                "/v1/programs",
                json={"name": "Reverse", "type": "reverse", "duration_days": 90},
                headers=admin,
            )
            assert created.status_code == 201, created.text
            program_id = created.json()["program_id"]
            opened = await api.post(
                f"/v1/programs/{program_id}/status", json={"status": "running"}, headers=admin
            )
            assert opened.status_code == 200, opened.text
            explanation = [ExplanationFactor("skill_complementarity", 0.6, "offers what is wanted")]
            match_ids = await propose_pairs(
                matching,
                program_id,
                [((a, "mentor"), (b, "mentee")) for a, b in people],
                score=0.83,
                explanation=explanation,
            )
            for match_id, pair in zip(match_ids, people, strict=True):
                for member in pair:
                    answer = await api.post(
                        f"/v1/matches/{match_id}/response",
                        json={"accept": True},
                        headers=viewer_headers(member),
                    )
                    assert answer.status_code == 200, answer.text

        # The engagement service learns of the program and the started matches, and scores them.
        started = engagement.clock().date() - timedelta(days=3)
        await engagement.publish_matching(
            [
                program_changed(program_id, admins=(ADMIN,)),
                *[
                    match_started(
                        match_id,
                        program_id,
                        started,
                        started + timedelta(days=90),
                        ((a, "mentor"), (b, "mentee")),
                    )
                    for match_id, (a, b) in zip(match_ids, people, strict=True)
                ],
            ]
        )
        pairs = [(m, a, b) for m, (a, b) in zip(match_ids, people, strict=True)]
        yield Running(profiles, matching, engagement, program_id, pairs)
    finally:
        await engagement.stop()
        await matching.stop()
        await profiles.stop()
        for name in names:
            await _drop(infrastructure, name)


@pytest.fixture(scope="module")
def schema() -> Schema:
    return build_schema()


@pytest.mark.parametrize("size", [3, 12])
async def test_a_page_of_matches_resolves_through_the_batch_endpoints(
    running: Running, schema: Schema, size: int
) -> None:
    services = running.services()
    who = Viewer.of(ADMIN, ["employee", "program_admin"], datetime.now(UTC) + timedelta(hours=1))
    context = GatewayContext(
        viewer=who, services=services, settings=GatewaySettings(), loaders=Loaders(services, who)
    )
    try:
        result = await schema.execute(
            PAGE,
            variable_values={"id": encode_id("Program", running.program_id), "first": size},
            context_value=context,
        )
        assert result.errors is None, result.errors
        page = result.data["program"]["matches"]  # type: ignore[index]
        assert result.data["program"]["name"] == "Reverse"  # type: ignore[index]
        assert page["pageInfo"] == {"hasNextPage": size < PAIRS}
        pairs = {encode_id("Match", match_id): (a, b) for match_id, a, b in running.matches}
        assert len(page["edges"]) == size
        for edge in page["edges"]:
            a, b = pairs[edge["node"]["id"]]
            assert [
                (m["role"], m["person"]["employeeId"], m["person"]["displayName"])
                for m in edge["node"]["members"]
            ] == [("MENTOR", a, f"Person {a}"), ("MENTEE", b, f"Person {b}")]
        assert {edge["node"]["status"] for edge in page["edges"]} == {"ACTIVE"}
        assert {edge["node"]["program"]["name"] for edge in page["edges"]} == {"Reverse"}
        # Started three days ago without a session yet: scored, and healthy.
        assert {edge["node"]["health"]["band"] for edge in page["edges"]} == {"HEALTHY"}
        # One call for the program, one for the page, one profiles batch, one health batch:
        # the same for 3 matches as for 12.
        assert (services.profiles.calls, services.matching.calls, services.engagement.calls) == (1, 2, 1)
    finally:
        await services.close()


async def test_a_person_s_email_reaches_only_themself(running: Running, schema: Schema) -> None:
    """The profiles service sends an email only to the employee the viewer header names;
    the gateway shows it only to them (and FORBIDDEN to anyone else)."""
    _, mentor, mentee = running.matches[0]
    services = running.services()
    try:
        answers = [
            await services.profiles.post("/v1/profiles/batch", {"ids": [mentor, mentee]}, viewer=who)
            for who in (
                Viewer.of(mentor, ["employee"], datetime.now(UTC) + timedelta(hours=1)),
                None,
            )
        ]
        emails = [[profile.get("email") for profile in answer.body["profiles"]] for answer in answers]
        assert emails == [[f"{mentor.lower()}@example.com", None], [None, None]]

        me = Viewer.of(mentor, ["employee"], datetime.now(UTC) + timedelta(hours=1))
        context = GatewayContext(
            viewer=me, services=services, settings=GatewaySettings(), loaders=Loaders(services, me)
        )
        query = (
            "query($a: String!, $b: String!) {"
            " a: person(employeeId: $a) { email } b: person(employeeId: $b) { email } }"
        )
        result = await schema.execute(
            query, variable_values={"a": mentor, "b": mentee}, context_value=context
        )
        assert result.data == {"a": {"email": f"{mentor.lower()}@example.com"}, "b": {"email": None}}
        assert [(e.path, (e.extensions or {}).get("code")) for e in result.errors or []] == [
            (["b", "email"], "FORBIDDEN")
        ]
    finally:
        await services.close()
