"""The world the schema's read tests query: three people, two programs, matches in
three states with a session, a due check-in, health and a round; and how those tests
read a result's errors."""

from __future__ import annotations

from tests.support import gateway_read_data as data
from tests.support.gateway_reads import FakeWorld

ALICE, BOB, PAM = "E000001", "E000002", "E000010"


def read_world() -> FakeWorld:
    """Alice and Bob in match M1 of program P1 (Pam its admin), M3 proposed, M4 ended."""
    world = FakeWorld()
    world.profiles[ALICE] = data.profile(ALICE, "Alice")
    world.profiles[BOB] = data.profile(BOB, "Bob", department="Legal")
    world.profiles[PAM] = data.profile(PAM, "Pam")
    world.programs["P1"] = data.program("P1", [PAM])
    world.programs["P2"] = data.program("P2", [PAM], name="Peer circles")
    world.add_match(data.match("M1", "P1", (ALICE, BOB)))
    world.add_match(data.match("M3", "P1", (BOB, ALICE), status="proposed"))
    world.add_match(data.match("M4", "P1", (ALICE, PAM), status="ended"))
    world.sessions["M1"] = [data.session_json("S1", "M1", "P1", ALICE, BOB)]
    world.checkins["M1"] = [data.checkin_json("C1", "M1", "P1", ALICE, status="due")]
    world.health["M1"] = data.health_json("M1", "P1", "at_risk")
    world.rounds["R1"] = data.round_("R1", "P1")
    return world


def codes(result: object) -> list[tuple[tuple[object, ...], str]]:
    """Each error of ``result`` as (its path, its ``extensions.code``)."""
    return [
        (tuple(e.path or ()), (e.extensions or {}).get("code")) for e in getattr(result, "errors", None) or []
    ]
