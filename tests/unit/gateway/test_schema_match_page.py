"""A page of a program's matches: its members' people are read in one call before the
members resolve (and only where the query selects them), a failed read fails each
person field as before, and people build their mentoring profile only when asked."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from strawberry import Schema

from tandem_gateway.clients.service_client import ServiceUnavailable
from tandem_gateway.schema.build import build_schema
from tandem_gateway.schema.enums import MentoringRole
from tandem_gateway.schema.people import MentoringProfile, Person
from tests.support.gateway_reads import FakeWorld, gid, health_json, match, profile, program, run, viewer

ADMIN = "E000010"

PAGE = """
query Page($id: ID!) {
  program(id: $id) {
    matches(first: 10) {
      edges { node { id members { role person { displayName } } health { band } } }
    }
  }
}
"""

PAGE_BY_FRAGMENT = """
query Page($id: ID!) {
  program(id: $id) { matches(first: 10) { ...Members } }
}
fragment Members on MatchConnection { edges { node { ... on Match { members { person { displayName } } } } } }
"""

PAGE_WITHOUT_PEOPLE = """
query Page($id: ID!) {
  program(id: $id) { matches(first: 10) { edges { node { id members { role } } } } }
}
"""


@pytest.fixture(scope="module")
def schema() -> Schema:
    return build_schema()


class ProfilesDown(FakeWorld):
    def answer(self, service: str, request: httpx.Request) -> tuple[int, Any]:
        if service == "profiles":
            self.calls[(service, request.method, request.url.path)] += 1
            return 503, {"detail": "down"}
        return super().answer(service, request)


def populate(world: FakeWorld, matches: int = 3) -> FakeWorld:
    world.programs["P1"] = program("P1", [ADMIN])
    for n in range(matches):
        mentor, mentee = f"E1{n:05d}", f"E2{n:05d}"
        world.profiles[mentor] = profile(mentor, f"Mentor {n}")
        world.profiles[mentee] = profile(mentee, f"Mentee {n}")
        world.add_match(match(f"M{n}", "P1", (mentor, mentee)))
        world.health[f"M{n}"] = health_json(f"M{n}", "P1")
    return world


@pytest.mark.parametrize("query", [PAGE, PAGE_BY_FRAGMENT], ids=["fields", "fragments"])
async def test_a_page_reads_its_members_people_in_one_call(schema: Schema, query: str) -> None:
    world = populate(FakeWorld())
    result = await run(schema, world, viewer(ADMIN, "program_admin"), query, id=gid("Program", "P1"))
    assert result.errors is None
    edges = result.data["program"]["matches"]["edges"]
    names = [[member["person"]["displayName"] for member in edge["node"]["members"]] for edge in edges]
    assert names == [["Mentor 0", "Mentee 0"], ["Mentor 1", "Mentee 1"], ["Mentor 2", "Mentee 2"]]
    assert world.per_endpoint()["POST /v1/profiles/batch"] == 1
    assert world.batch_sizes["/v1/profiles/batch"] == [6]


async def test_a_page_that_selects_no_people_reads_none(schema: Schema) -> None:
    world = populate(FakeWorld())
    who = viewer(ADMIN, "program_admin")
    result = await run(schema, world, who, PAGE_WITHOUT_PEOPLE, id=gid("Program", "P1"))
    assert result.errors is None
    assert "POST /v1/profiles/batch" not in world.per_endpoint()


async def test_a_failed_read_of_the_people_fails_each_person_and_nothing_else(schema: Schema) -> None:
    world = populate(ProfilesDown(), matches=2)
    result = await run(schema, world, viewer(ADMIN, "program_admin"), PAGE, id=gid("Program", "P1"))
    edges = result.data["program"]["matches"]["edges"]
    assert [[m["person"] for m in edge["node"]["members"]] for edge in edges] == [[None, None], [None, None]]
    assert [edge["node"]["health"]["band"] for edge in edges] == ["WATCH", "WATCH"]
    paths = sorted(tuple(error.path) for error in result.errors)
    assert paths == [
        ("program", "matches", "edges", e, "node", "members", m, "person") for e in (0, 1) for m in (0, 1)
    ]
    assert {type(error.original_error) for error in result.errors} == {ServiceUnavailable}
    assert world.per_endpoint()["POST /v1/profiles/batch"] == 1


async def test_health_on_a_page_is_still_the_program_admins_only(schema: Schema) -> None:
    world = populate(FakeWorld(), matches=1)
    world.programs["P1"] = program("P1", [ADMIN, "E000011"])
    other_admin = viewer("E000011", "program_admin")
    result = await run(schema, world, other_admin, PAGE, id=gid("Program", "P1"))
    assert result.errors is None
    assert result.data["program"]["matches"]["edges"][0]["node"]["health"] == {"band": "WATCH"}


def test_a_person_builds_their_mentoring_profile_only_when_asked() -> None:
    data = profile("E1", "Ann")
    data["mentoring"] = {
        "skills_offered": [{"skill": "python", "level": 4}],
        "roles": ["mentor"],
        "capacity": 2,
        "hours_per_month": 3,
        "goals": "share",
    }
    person = Person.from_service(data)
    assert person._mentoring is None
    mentoring = person.mentoring()
    assert isinstance(mentoring, MentoringProfile)
    assert mentoring is person.mentoring()  # built once
    assert mentoring.known_facts() == person.known_facts()
    assert mentoring._roles == [MentoringRole.MENTOR]
    assert (mentoring._capacity, mentoring._hours_per_month, mentoring._goals) == (2, 3, "share")
    assert [(level.skill, level.level) for level in mentoring._skills_offered] == [("python", 4)]
