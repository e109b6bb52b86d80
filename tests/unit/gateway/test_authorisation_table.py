"""graphql.md's authorisation matrix as a table: role x operation x whose object ->
allowed or FORBIDDEN, each row executed through the real schema over fake services.

The people: Alice (E000001) and Bob (E000002) are matched in program P1 (match M1);
Dan and Eve in program P2 (match M2); Carol (E000003) has left. Pam administers P1,
Quinn P2; Hana is an HR analyst; Ada an admin. A refused field is ``null`` with an
error ``FORBIDDEN`` at its path; an allowed one has a value and no error there.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from strawberry import Schema

from tandem_gateway import policy
from tandem_gateway.schema.build import build_schema
from tests.support.gateway_cast import (
    ALICE,
    BOB,
    CAROL,
    DAN,
    EVE,
    M1,
    M2,
    P1,
    P2,
    PAM,
    QUINN,
    R1,
    R2,
    VIEWERS,
    the_world,
)
from tests.support.gateway_reads import gid, run

MATCH = "query($id: ID!) { match(id: $id) { %s } }"
NODE = """query($id: ID!) {
  node(id: $id) {
    id
    ... on Match { matchStatus: status }
    ... on MatchRound { roundStatus: status }
    ... on Person { email displayName }
  }
}"""
PERSON = "query($e: String!) { person(employeeId: $e) { employeeId %s } }"
PROGRAM = "query($id: ID!) { program(id: $id) { name %s } }"
ANALYTICS = "query { organisationAnalytics { participants groups { value } } }"


@dataclass(frozen=True)
class Row:
    who: str
    query: str
    variables: dict[str, Any]
    path: tuple[str | int, ...]
    allowed: bool

    def __str__(self) -> str:
        verdict = "allowed" if self.allowed else "FORBIDDEN"
        return f"{self.who}:{'.'.join(map(str, self.path))}:{verdict}"


def match_row(who: str, match_id: str, selection: str, path: tuple[str | int, ...], allowed: bool) -> Row:
    return Row(who, MATCH % selection, {"id": match_id}, ("match", *path), allowed)


def node_row(who: str, node_id: str, path: tuple[str | int, ...], allowed: bool) -> Row:
    return Row(who, NODE, {"id": node_id}, ("node", *path), allowed)


def person_row(who: str, employee_id: str, field: str, allowed: bool) -> Row:
    selection = field if "." not in field else f"mentoring {{ {field.split('.')[1]} {{ skill }} }}"
    path = ("person", *field.split("."))
    return Row(who, PERSON % selection, {"e": employee_id}, path, allowed)


def program_row(who: str, program_id: str, selection: str, path: tuple[str | int, ...], allowed: bool) -> Row:
    return Row(who, PROGRAM % selection, {"id": program_id}, ("program", *path), allowed)


def analytics_row(who: str, allowed: bool) -> Row:
    return Row(who, ANALYTICS, {}, ("organisationAnalytics", "participants"), allowed)


ME = "members { person { email displayName } }"
ROWS = [
    # -- employee: their own match and what is in it; never another's email, notes, answers
    match_row("alice", M1, "id", (), True),
    match_row("alice", M2, "id", (), False),
    node_row("alice", M1, (), True),
    node_row("alice", M2, (), False),
    match_row("alice", M1, "sessions { id }", ("sessions",), True),
    match_row("alice", M1, "sessions { notes }", ("sessions", 0, "notes"), True),
    match_row("alice", M1, "sessions { notes }", ("sessions", 1, "notes"), False),
    match_row("alice", M1, "checkIns { answers { satisfaction } }", ("checkIns", 0, "answers"), True),
    match_row("alice", M1, "checkIns { answers { satisfaction } }", ("checkIns", 1, "answers"), False),
    match_row("alice", M1, "goals { title }", ("goals",), True),
    match_row("alice", M1, "ledger { skill }", ("ledger",), True),
    match_row("alice", M1, "health { band }", ("health",), False),
    match_row("alice", M1, ME, ("members", 0, "person", "email"), True),
    match_row("alice", M1, ME, ("members", 1, "person", "email"), False),
    match_row("alice", M1, ME, ("members", 1, "person", "displayName"), True),
    match_row("alice", M1, "program { rules { excludeReportingLine } }", ("program", "rules"), False),
    person_row("alice", ALICE, "email", True),
    person_row("alice", BOB, "email", False),
    person_row("alice", ALICE, "timezone", True),
    person_row("alice", BOB, "timezone", False),
    person_row("alice", BOB, "displayName", True),
    person_row("alice", BOB, "mentoring.skillsOffered", True),
    person_row("alice", BOB, "mentoring.skillsWanted", False),
    person_row("alice", CAROL, "displayName", False),
    node_row("alice", gid("Person", BOB), ("displayName",), True),
    node_row("alice", gid("Person", BOB), ("email",), False),
    node_row("alice", gid("Person", ALICE), ("email",), True),
    program_row("alice", P1, "cadence { sessionsPerMonth }", ("cadence",), True),
    program_row("alice", P1, "rules { excludeReportingLine }", ("rules",), False),
    program_row("alice", P1, "matches { edges { node { id } } }", ("matches",), False),
    program_row("alice", P1, "analytics { minGroup }", ("analytics",), False),
    program_row("alice", P1, "admins adminPeople { employeeId }", ("admins",), False),
    program_row("alice", P1, "enrolments { edges { cursor } }", ("enrolments",), False),
    node_row("alice", R1, (), False),
    analytics_row("alice", False),
    Row(
        "alice",
        "query($p: ID!) { recommendations(programId: $p) { score } }",
        {"p": P1},
        ("recommendations",),
        True,
    ),
    Row("alice", "{ viewer { matches { id } } }", {}, ("viewer", "matches"), True),
    Row("alice", "{ viewer { person { email } } }", {}, ("viewer", "person", "email"), True),
    # -- program admin of P1: P1's matches, health, rounds, analytics; not notes, answers, emails
    match_row("pam", M1, "id", (), True),
    match_row("pam", M2, "id", (), False),
    node_row("pam", M2, (), False),
    match_row("pam", M1, "health { band }", ("health",), True),
    match_row("pam", M1, "sessions { id }", ("sessions",), True),
    match_row("pam", M1, "sessions { notes }", ("sessions", 0, "notes"), False),
    match_row("pam", M1, "checkIns { answers { satisfaction } }", ("checkIns", 0, "answers"), False),
    match_row("pam", M1, ME, ("members", 0, "person", "email"), False),
    program_row("pam", P1, "matches { edges { node { id } } }", ("matches",), True),
    program_row("pam", P2, "matches { edges { node { id } } }", ("matches",), False),
    program_row(
        "pam",
        P1,
        "matches { edges { node { health { band } } } }",
        ("matches", "edges", 0, "node", "health"),
        True,
    ),
    program_row("pam", P1, "analytics { minGroup }", ("analytics",), True),
    program_row("pam", P2, "analytics { minGroup }", ("analytics",), False),
    program_row("pam", P1, "rules { excludeReportingLine }", ("rules",), True),
    program_row("pam", P2, "rules { excludeReportingLine }", ("rules",), False),
    program_row("pam", P1, "rounds { status }", ("rounds",), True),
    program_row("pam", P1, "enrolments { edges { cursor } }", ("enrolments",), True),
    program_row("pam", P1, "admins adminPeople { employeeId }", ("admins",), True),
    node_row("pam", R1, (), True),
    node_row("pam", R2, (), False),
    analytics_row("pam", False),
    # -- program admin of P2 reading P1
    match_row("quinn", M1, "health { band }", (), False),
    node_row("quinn", M1, (), False),
    program_row("quinn", P1, "analytics { minGroup }", ("analytics",), False),
    program_row("quinn", P1, "matches { edges { node { id } } }", ("matches",), False),
    program_row(
        "quinn",
        P2,
        "matches { edges { node { health { band } } } }",
        ("matches", "edges", 0, "node", "health"),
        True,
    ),
    # -- HR analyst: aggregates only
    analytics_row("hana", True),
    program_row("hana", P1, "analytics { minGroup }", ("analytics",), True),
    program_row("hana", P2, "analytics { minGroup }", ("analytics",), True),
    match_row("hana", M1, "id", (), False),
    node_row("hana", M1, (), False),
    program_row("hana", P1, "matches { edges { node { id } } }", ("matches",), False),
    person_row("hana", ALICE, "email", False),
    # recommendations is non-null (graphql.md): its refusal nulls the whole response.
    Row(
        "hana",
        "query($p: ID!) { recommendations(programId: $p) { score } }",
        {"p": P1},
        ("recommendations",),
        False,
    ),
    # -- admin: everything an admin of every program sees, but not others' emails, notes, answers
    match_row("ada", M2, "id", (), True),
    match_row("ada", M1, "health { band }", ("health",), True),
    program_row("ada", P2, "matches { edges { node { id } } }", ("matches",), True),
    program_row("ada", P2, "analytics { minGroup }", ("analytics",), True),
    node_row("ada", R2, (), True),
    analytics_row("ada", True),
    person_row("ada", ALICE, "email", False),
    match_row("ada", M1, ME, ("members", 0, "person", "email"), False),
    match_row("ada", M1, "sessions { notes }", ("sessions", 0, "notes"), False),
    match_row("ada", M1, "checkIns { answers { satisfaction } }", ("checkIns", 1, "answers"), False),
]


@pytest.fixture(scope="module")
def schema() -> Schema:
    return build_schema()


def value_at(data: Any, path: tuple[str | int, ...]) -> Any:
    for step in path:
        if data is None:
            return None
        data = data[step]
    return data


def test_the_table_has_at_least_60_rows() -> None:
    assert len(ROWS) + len(POLICY_ROWS) >= 60
    assert len(ROWS) >= 60


@pytest.mark.parametrize("row", ROWS, ids=[f"{n:02d}-{row}" for n, row in enumerate(ROWS)])
async def test_reads(schema: Schema, row: Row) -> None:
    result = await run(schema, the_world(), VIEWERS[row.who], row.query, **row.variables)
    errors = [
        (tuple(error.path or ()), (error.extensions or {}).get("code")) for error in result.errors or []
    ]
    # No error of any other kind: a refusal is FORBIDDEN, nothing else fails.
    assert {code for _, code in errors} <= {"FORBIDDEN"}, result.errors
    if row.allowed:
        assert value_at(result.data, row.path) is not None
        assert not [path for path, _ in errors if path[: len(row.path)] == row.path]
    else:
        assert value_at(result.data, row.path) is None
        assert (row.path, "FORBIDDEN") in errors


# -- subscriptions and mutations: the rules gw-subs and the mutations ask -----------------

FACTS_OF = {
    "M1": policy.Facts(members=frozenset({ALICE, BOB}), program_admins=frozenset({PAM})),
    "M2": policy.Facts(members=frozenset({DAN, EVE}), program_admins=frozenset({QUINN})),
    "P1": policy.Facts(program_admins=frozenset({PAM})),
    "P2": policy.Facts(program_admins=frozenset({QUINN})),
    "none": policy.NOTHING,
    "alice's check-in": policy.Facts(owner=ALICE, members=frozenset({ALICE, BOB})),
}

POLICY_ROWS = [
    ("Subscription.matchEvents", "alice", "M1", True),
    ("Subscription.matchEvents", "alice", "M2", False),
    ("Subscription.matchEvents", "pam", "M1", True),
    ("Subscription.matchEvents", "pam", "M2", False),
    ("Subscription.matchEvents", "hana", "M1", False),
    ("Subscription.matchEvents", "ada", "M2", True),
    ("Subscription.healthAlerts", "pam", "P1", True),
    ("Subscription.healthAlerts", "pam", "P2", False),
    ("Subscription.healthAlerts", "alice", "P1", False),
    ("Subscription.healthAlerts", "hana", "P1", False),
    ("Subscription.healthAlerts", "ada", "P2", True),
    ("Mutation.createProgram", "alice", "none", False),
    ("Mutation.createProgram", "pam", "none", True),
    ("Mutation.createProgram", "hana", "none", False),
    ("Mutation.createProgram", "ada", "none", True),
    ("Mutation.setProgramStatus", "pam", "P1", True),
    ("Mutation.setProgramStatus", "quinn", "P1", False),
    ("Mutation.startMatchRound", "pam", "P1", True),
    ("Mutation.startMatchRound", "alice", "P1", False),
    ("Mutation.respondToProposal", "alice", "M1", True),
    ("Mutation.respondToProposal", "alice", "M2", False),
    ("Mutation.logSession", "alice", "M1", True),
    ("Mutation.logSession", "pam", "M1", False),
    ("Mutation.endMatch", "pam", "M1", True),
    ("Mutation.endMatch", "quinn", "M1", False),
    ("Mutation.submitCheckIn", "alice", "alice's check-in", True),
    ("Mutation.submitCheckIn", "pam", "alice's check-in", False),
    ("Mutation.enrol", "hana", "P1", False),
    ("Mutation.enrol", "alice", "P1", True),
]


@pytest.mark.parametrize(("rule", "who", "facts", "allowed"), POLICY_ROWS)
def test_subscription_and_mutation_rules(rule: str, who: str, facts: str, allowed: bool) -> None:
    assert policy.allows(rule, VIEWERS[who], FACTS_OF[facts]) is allowed
