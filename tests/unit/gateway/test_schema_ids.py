"""Global ids, node(id:), connections and their limits, and the errors of bad input:
refused before any service is asked."""

from __future__ import annotations

import pytest
from strawberry import Schema

from tandem_gateway.policy import UnknownRule
from tandem_gateway.schema.nodes import InvalidGlobalId, decode_id, encode_id, split_id
from tandem_gateway.schema.permissions import Allowed
from tests.support.gateway_read_world import ALICE, BOB, PAM, codes
from tests.support.gateway_reads import FakeWorld, gid, run, viewer

# -- global ids ---------------------------------------------------------------------------


def test_global_ids_are_opaque_and_round_trip() -> None:
    global_id = encode_id("Match", "01HX-match")
    assert "Match" not in global_id and "01HX" not in global_id
    assert decode_id(global_id, "Match") == "01HX-match"
    assert split_id(global_id) == ("Match", "01HX-match")


@pytest.mark.parametrize(
    "global_id",
    ["", "not base64!", encode_id("Program", "P1"), encode_id("Secret", "x"), "TWF0Y2g6", "A" * 200],
)
def test_a_global_id_of_another_type_or_none_is_refused(global_id: str) -> None:
    with pytest.raises(InvalidGlobalId) as refused:
        decode_id(global_id, "Match")
    assert refused.value.extensions == {"code": "BAD_USER_INPUT", "field": "Match"}


async def test_match_with_a_program_id_is_bad_input_and_asks_no_service(
    schema: Schema, world: FakeWorld
) -> None:
    result = await run(
        schema, world, viewer(ALICE), "query($id: ID!) { match(id: $id) { id } }", id=gid("Program", "P1")
    )
    assert result.data == {"match": None}
    assert codes(result) == [(("match",), "BAD_USER_INPUT")]
    assert world.calls == {}


async def test_node_refuses_ids_it_does_not_refetch(schema: Schema, world: FakeWorld) -> None:
    result = await run(
        schema, world, viewer(ALICE), "query($id: ID!) { node(id: $id) { id } }", id=gid("Goal", "G1")
    )
    assert result.data == {"node": None}
    assert codes(result) == [(("node",), "BAD_USER_INPUT")]


async def test_node_finds_each_kind_and_null_for_none(schema: Schema, world: FakeWorld) -> None:
    query = """
    query($m: ID!, $p: ID!, $r: ID!, $e: ID!, $gone: ID!) {
      m: node(id: $m) { id __typename }
      p: node(id: $p) { id __typename }
      r: node(id: $r) { id __typename }
      e: node(id: $e) { id __typename ... on Person { employeeId } }
      gone: node(id: $gone) { id }
    }
    """
    ids = {
        "m": gid("Match", "M1"),
        "p": gid("Program", "P1"),
        "r": gid("MatchRound", "R1"),
        "e": gid("Person", BOB),
        "gone": gid("Match", "NOPE"),
    }
    result = await run(schema, world, viewer(PAM, "program_admin"), query, **ids)
    assert result.errors is None
    assert result.data == {
        "m": {"id": ids["m"], "__typename": "Match"},
        "p": {"id": ids["p"], "__typename": "Program"},
        "r": {"id": ids["r"], "__typename": "MatchRound"},
        "e": {"id": ids["e"], "__typename": "Person", "employeeId": BOB},
        "gone": None,
    }


# -- connections --------------------------------------------------------------------------


@pytest.mark.parametrize("first", [0, 101, -1])
async def test_first_is_between_1_and_100(schema: Schema, world: FakeWorld, first: int) -> None:
    result = await run(
        schema, world, viewer(ALICE), "query($f: Int) { programs(first: $f) { edges { cursor } } }", f=first
    )
    assert result.data is None  # programs is non-null: the refusal nulls the response
    assert codes(result) == [(("programs",), "BAD_USER_INPUT")]
    assert "between 1 and 100" in (result.errors or [])[0].message
    assert world.calls == {}


async def test_programs_page_with_cursors(schema: Schema, world: FakeWorld) -> None:
    query = """
    query($after: String) {
      programs(first: 1, after: $after) { edges { cursor node { name } } pageInfo { hasNextPage endCursor } }
    }
    """
    first = await run(schema, world, viewer(ALICE), query)
    page = first.data["programs"]  # type: ignore[index]
    assert [edge["node"]["name"] for edge in page["edges"]] == ["Reverse mentoring"]
    assert page["pageInfo"]["hasNextPage"] is True
    second = await run(schema, world, viewer(ALICE), query, after=page["pageInfo"]["endCursor"])
    assert second.data["programs"]["edges"][0]["node"]["name"] == "Peer circles"  # type: ignore[index]
    assert second.data["programs"]["pageInfo"] == {  # type: ignore[index]
        "hasNextPage": False,
        "endCursor": second.data["programs"]["edges"][0]["cursor"],  # type: ignore[index]
    }


async def test_program_matches_filter_by_status(schema: Schema, world: FakeWorld) -> None:
    query = """
    query($id: ID!) { program(id: $id) { matches(status: PROPOSED) { edges { node { id status } } } } }
    """
    result = await run(schema, world, viewer(PAM, "program_admin"), query, id=gid("Program", "P1"))
    assert result.data == {
        "program": {"matches": {"edges": [{"node": {"id": gid("Match", "M3"), "status": "PROPOSED"}}]}}
    }
    assert world.calls[("matching", "GET", "/v1/programs/P1/matches")] == 1


async def test_a_connection_inside_a_program_refuses_more_than_100(schema: Schema, world: FakeWorld) -> None:
    query = "query($id: ID!) { program(id: $id) { name matches(first: 101) { edges { cursor } } } }"
    result = await run(schema, world, viewer(PAM, "program_admin"), query, id=gid("Program", "P1"))
    assert result.data == {"program": {"name": "Reverse mentoring", "matches": None}}
    assert codes(result) == [(("program", "matches"), "BAD_USER_INPUT")]
    assert ("matching", "GET", "/v1/programs/P1/matches") not in world.calls


def test_a_field_naming_a_rule_the_policy_lacks_fails_when_the_schema_is_built() -> None:
    with pytest.raises(UnknownRule):
        Allowed("Match.secretField")
