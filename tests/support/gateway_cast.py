"""The people and data of the gateway's authorisation table.

Alice (E000001) and Bob (E000002) are matched in program P1 (match M1); Dan and Eve in
program P2 (match M2); Carol (E000003) has left. Pam administers P1, Quinn P2; Hana is
an HR analyst; Ada an admin.
"""

from __future__ import annotations

from tandem_gateway.auth.viewer import Viewer
from tests.support.gateway_reads import (
    FakeWorld,
    checkin_json,
    gid,
    goal_json,
    health_json,
    match,
    profile,
    program,
    round_,
    session_json,
    viewer,
)

ALICE, BOB, CAROL, DAN, EVE = "E000001", "E000002", "E000003", "E000004", "E000005"
PAM, QUINN, HANA, ADA = "E000010", "E000011", "E000020", "E000030"

VIEWERS: dict[str, Viewer] = {
    "alice": viewer(ALICE, "employee"),
    "pam": viewer(PAM, "employee", "program_admin"),
    "quinn": viewer(QUINN, "employee", "program_admin"),
    "hana": viewer(HANA, "hr_analyst"),
    "ada": viewer(ADA, "admin"),
}

M1, M2 = gid("Match", "M1"), gid("Match", "M2")
P1, P2 = gid("Program", "P1"), gid("Program", "P2")
R1, R2 = gid("MatchRound", "R1"), gid("MatchRound", "R2")


def the_world() -> FakeWorld:
    world = FakeWorld()
    for employee_id, name in [
        (ALICE, "Alice"), (BOB, "Bob"), (DAN, "Dan"), (EVE, "Eve"),
        (PAM, "Pam"), (QUINN, "Quinn"), (HANA, "Hana"), (ADA, "Ada"),
    ]:  # fmt: skip
        world.profiles[employee_id] = profile(employee_id, name)
    world.profiles[CAROL] = profile(CAROL, "Carol", status="departed")
    world.programs["P1"] = program("P1", [PAM])
    world.programs["P2"] = program("P2", [QUINN], name="Peer circles")
    world.add_match(match("M1", "P1", (ALICE, BOB)))
    world.add_match(match("M2", "P2", (DAN, EVE)))
    world.rounds["R1"], world.rounds["R2"] = round_("R1", "P1"), round_("R2", "P2")
    world.sessions["M1"] = [
        session_json("S1", "M1", "P1", ALICE, BOB),
        session_json("S2", "M1", "P1", BOB, ALICE),
    ]
    world.checkins["M1"] = [
        checkin_json("C1", "M1", "P1", ALICE, status="submitted"),
        checkin_json("C2", "M1", "P1", BOB, status="submitted"),
    ]
    world.goals["M1"] = [goal_json("G1", "M1", [ALICE, BOB])]
    world.ledger["M1"] = [
        {"from": ALICE, "to": BOB, "skill": "social-media", "held_on": "2026-02-10", "session_id": "S1"}
    ]
    world.health["M1"] = health_json("M1", "P1")
    world.health["M2"] = health_json("M2", "P2", "healthy")
    return world
