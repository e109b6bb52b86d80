"""The DataLoaders: a page of matches with members, programs and health costs the same
HTTP calls whatever its size, and batches keep to the services' limit."""

from __future__ import annotations

import pytest
from strawberry import Schema

from tandem_gateway.schema.build import build_schema
from tests.support.gateway_reads import (
    FakeWorld,
    gid,
    health_json,
    match,
    profile,
    program,
    run,
    viewer,
)

ADMIN_OF_P1 = "E000010"

PAGE = """
query Page($id: ID!, $first: Int!) {
  program(id: $id) {
    matches(first: $first) {
      edges {
        node {
          id
          status
          members { role person { displayName department } }
          program { name }
          health { score band }
        }
      }
      pageInfo { hasNextPage }
    }
  }
}
"""


@pytest.fixture(scope="module")
def schema() -> Schema:
    return build_schema()


def world_of(matches: int) -> FakeWorld:
    """Program P1 with ``matches`` active pairs of distinct people, each with health."""
    world = FakeWorld()
    world.programs["P1"] = program("P1", [ADMIN_OF_P1])
    world.profiles[ADMIN_OF_P1] = profile(ADMIN_OF_P1, "Pam")
    for n in range(matches):
        mentor, mentee = f"E1{n:05d}", f"E2{n:05d}"
        world.profiles[mentor] = profile(mentor, f"Mentor {n}")
        world.profiles[mentee] = profile(mentee, f"Mentee {n}")
        match_id = f"M{n:05d}"
        world.add_match(match(match_id, "P1", (mentor, mentee)))
        world.health[match_id] = health_json(match_id, "P1")
    return world


EXPECTED_CALLS = {
    "POST /v1/programs/batch": 1,  # program(id:), then every match's program and admins from the cache
    "GET /v1/programs/P1/matches": 1,  # the page
    "POST /v1/profiles/batch": 1,  # every member of every match
    "POST /v1/health/by-match": 1,  # every match's health
}


@pytest.mark.parametrize("size", [10, 100])
async def test_a_page_of_matches_costs_the_same_calls_whatever_its_size(schema: Schema, size: int) -> None:
    world = world_of(size)
    result = await run(
        schema, world, viewer(ADMIN_OF_P1, "program_admin"), PAGE, id=gid("Program", "P1"), first=size
    )
    assert result.errors is None
    edges = result.data["program"]["matches"]["edges"]  # type: ignore[index]
    assert len(edges) == size
    assert edges[-1]["node"]["members"][1]["person"]["displayName"] == f"Mentee {size - 1}"
    assert edges[0]["node"]["health"] == {"score": 61.5, "band": "WATCH"}
    assert edges[0]["node"]["program"] == {"name": "Reverse mentoring"}
    assert world.per_endpoint() == EXPECTED_CALLS
    # Every member of the page in one batch, every match's health in one.
    assert world.batch_sizes["/v1/profiles/batch"] == [2 * size]
    assert world.batch_sizes["/v1/health/by-match"] == [size]


async def test_batches_keep_to_the_service_limit(schema: Schema) -> None:
    world = world_of(100)
    who = viewer(ADMIN_OF_P1, "program_admin")
    result = await schema.execute(
        PAGE,
        variable_values={"id": gid("Program", "P1"), "first": 100},
        context_value=world.context(who, batch_limit=30),
    )
    assert result.errors is None
    # 200 members in batches of at most 30; 100 healths likewise.
    assert world.batch_sizes["/v1/profiles/batch"] == [30, 30, 30, 30, 30, 30, 20]
    assert world.batch_sizes["/v1/health/by-match"] == [30, 30, 30, 10]


async def test_the_same_person_is_asked_for_once(schema: Schema) -> None:
    world = world_of(3)
    # Three matches that share their mentor.
    for match_id in list(world.matches):
        world.matches[match_id]["members"][0]["employee_id"] = "E100000"
    result = await run(
        schema, world, viewer(ADMIN_OF_P1, "program_admin"), PAGE, id=gid("Program", "P1"), first=3
    )
    assert result.errors is None
    assert world.batch_sizes["/v1/profiles/batch"] == [4]


async def test_a_match_the_engagement_service_refuses_is_forbidden_alone(schema: Schema) -> None:
    world = world_of(2)
    # The engagement service checks again, and (its read model being behind, say)
    # refuses the second match to the program's admin.
    sees = world._sees_match
    world._sees_match = lambda who, roles, match_id: match_id != "M00001" and sees(who, roles, match_id)  # type: ignore[method-assign]
    query = """
    query($a: ID!, $b: ID!) {
      a: match(id: $a) { sessions { id } }
      b: match(id: $b) { sessions { id } }
    }
    """
    who = viewer(ADMIN_OF_P1, "program_admin")
    result = await run(schema, world, who, query, a=gid("Match", "M00000"), b=gid("Match", "M00001"))
    assert result.data == {"a": {"sessions": []}, "b": {"sessions": None}}
    assert [(e.path, e.extensions) for e in result.errors or []] == [
        (["b", "sessions"], {"code": "FORBIDDEN"})
    ]
    assert world.per_endpoint()["POST /v1/sessions/by-match"] == 1


async def test_a_service_that_fails_gives_an_error_for_its_fields_only(schema: Schema) -> None:
    world = world_of(2)
    world.health.clear()
    original = world.answer

    def failing(service: str, request):  # type: ignore[no-untyped-def]
        if request.url.path == "/v1/health/by-match":
            world.calls[(service, request.method, request.url.path)] += 1
            return 503, {"detail": "down"}
        return original(service, request)

    world.answer = failing  # type: ignore[method-assign]
    result = await run(
        schema, world, viewer(ADMIN_OF_P1, "program_admin"), PAGE, id=gid("Program", "P1"), first=2
    )
    edges = result.data["program"]["matches"]["edges"]  # type: ignore[index]
    assert [edge["node"]["health"] for edge in edges] == [None, None]
    assert [edge["node"]["members"][0]["person"]["displayName"] for edge in edges] == ["Mentor 0", "Mentor 1"]
    assert {tuple(e.path or ()) for e in result.errors or []} == {
        ("program", "matches", "edges", 0, "node", "health"),
        ("program", "matches", "edges", 1, "node", "health"),
    }
    assert all("engagement /v1/health/by-match: HTTP 503" in e.message for e in result.errors or [])
