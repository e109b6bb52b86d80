"""The pure HR-lifecycle decisions: which changes matter, re-checking a match with the
engine's rules, choosing the free people to re-match with, and the re-match itself."""

from __future__ import annotations

from typing import Any

from tandem_matching.domain.lifecycle import (
    Participant,
    broken_rule,
    candidates,
    moves_in_tree,
    rematch,
    rules_may_break,
)
from tests.support.hr_lifecycle import left, right
from tests.support.profile_snapshots import snapshot
from tests.unit.matching.support import pair_problems
from tests.unit.matching_service.support import a_match, a_member, a_program


def person(spec: dict[str, Any]) -> dict[str, Any]:
    return snapshot(
        spec["employee_id"], **{k: v for k, v in spec.items() if k not in ("employee_id", "version")}
    )


def partners(*ids: str) -> tuple[tuple[str, str], ...]:
    return tuple((i, "partner") for i in ids)


def test_only_rule_fields_and_manager_moves_count() -> None:
    held = a_member("A")
    assert rules_may_break(held, a_member("A", 2, department="Sales"))
    assert rules_may_break(held, a_member("A", 2, seniority_level=9))
    assert not rules_may_break(held, a_member("A", 2, job_title="Lead"))
    assert not rules_may_break(held, a_member("A", 2, status="on_leave"))
    assert not rules_may_break(None, a_member("A"))
    assert moves_in_tree(None, a_member("A"))
    assert moves_in_tree(held, a_member("A", 2, manager_id="B"))
    assert not moves_in_tree(held, a_member("A", 2, timezone="Europe/Paris"))


def test_a_reporting_line_at_depth_two_breaks_a_pair() -> None:
    program = a_program(type="reciprocal")
    match = a_match(members=partners("A", "B"))
    snapshots = {"A": person(left("A", manager_id="M")), "B": person(right("B"))}
    assert broken_rule(program, match, snapshots, {"A": "M", "M": None, "B": None}) is None
    assert broken_rule(program, match, snapshots, {"A": "M", "M": "B", "B": None}) == "reporting_line"


def test_a_reverse_pair_whose_seniority_flipped_breaks_the_rule() -> None:
    program = a_program(type="reverse")
    match = a_match(members=(("A", "mentor"), ("B", "mentee")))
    junior = {"A": person(left("A", seniority_level=2)), "B": person(right("B", seniority_level=6))}
    assert broken_rule(program, match, junior, {}) is None
    flipped = {**junior, "A": person(left("A", seniority_level=7))}
    assert broken_rule(program, match, flipped, {}) == "seniority"


def test_candidates_are_free_people_and_mentors_with_room() -> None:
    reverse = a_program(type="reverse")
    found = candidates(
        reverse,
        [
            Participant("F", ("mentee",), person(right("F"))),
            Participant("T", ("mentee",), person(right("T")), taken=True),
            Participant("R", ("mentor",), person(left("R")), mentor_of=1),  # capacity 1: full
            Participant(
                "S",
                ("mentor",),
                {**person(left("S")), "mentoring": {**left("S")["mentoring"], "capacity": 2}},
                mentor_of=1,
            ),
        ],
    )
    assert [(c.employee_id, c.mentoring, c.snapshot["mentoring"]["roles"]) for c in found] == [
        ("F", 0, ["mentee"]),
        ("S", 1, ["mentor"]),
    ]
    reciprocal = a_program(type="reciprocal")
    assert [
        c.employee_id
        for c in candidates(reciprocal, [Participant("T", ("mentor",), person(left("T")), taken=True)])
    ] == []


def test_rematch_takes_the_best_eligible_free_partner_and_skips_previous_pairs() -> None:
    program = a_program(type="reciprocal")
    people = [left("L1", manager_id="R9"), right("R1"), right("R2"), right("R9"), left("L2")]
    free = candidates(
        program, [Participant(p["employee_id"], ("mentor", "mentee"), person(p)) for p in people]
    )
    managers = {"L1": "R9", "R9": None}
    plan = rematch(program, ["L1"], free, previous_pairs={("L1", "R1")}, managers=managers)
    [made] = plan.matches
    assert [m for m, _ in made.members] == ["L1", "R2"]
    assert [r for _, r in made.members] == ["partner", "partner"]
    assert made.explanation and 0 < made.score <= 1
    snapshots = {p["employee_id"]: person(p) for p in people}
    assert pair_problems(snapshots["L1"], snapshots["R2"], {"type": "reciprocal"}, managers) == []
    assert plan.unmatched == {}


def test_two_people_returned_at_once_do_not_take_the_same_partner() -> None:
    program = a_program(type="reciprocal")
    people = [left("L1"), left("L2"), right("R1")]
    free = candidates(
        program, [Participant(p["employee_id"], ("mentor", "mentee"), person(p)) for p in people]
    )
    plan = rematch(program, ["L2", "L1"], free, previous_pairs=set(), managers={})
    assert [[m for m, _ in made.members] for made in plan.matches] == [["L1", "R1"]]
    assert plan.unmatched == {"L2": "every eligible partner was taken by another re-match"}


def test_nobody_eligible_leaves_the_person_in_the_pool_with_the_reason() -> None:
    program = a_program(type="reciprocal")
    people = [left("L1"), left("L2")]
    free = candidates(
        program, [Participant(p["employee_id"], ("mentor", "mentee"), person(p)) for p in people]
    )
    plan = rematch(program, ["L1"], free, previous_pairs=set(), managers={})
    assert plan.matches == []
    assert plan.unmatched == {
        "L1": "no eligible partner: nobody both offers what L1 wants and wants what L1 offers, "
        "at the wanted levels"
    }
    gone = rematch(program, ["L9"], free, previous_pairs=set(), managers={})
    assert gone.unmatched["L9"].startswith("not eligible")
