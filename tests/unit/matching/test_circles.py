"""Circles: the exact model, the local search, reasons, kept circles, the objective's scores."""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem_matching.engine.circles_exact import solve_exact
from tandem_matching.engine.circles_model import PLACEMENT_PREFERENCE, CircleProblem
from tandem_matching.engine.circles_search import search_circles
from tandem_matching.engine.groups import check_circles, circle_problem
from tandem_matching.engine.people import build_population
from tandem_matching.engine.planner import plan
from tandem_matching.engine.program import parse_program
from tandem_matching.engine.rules import RuleChecker
from tandem_matching.engine.scoring import coverage, factor_values, weighted_score
from tandem_testkit.matching_synthetic import organisation
from tandem_testkit.matching_synthetic import program as synthetic_program

from .support import person, program, validate_plan


def group(style: str, low: int = 4, high: int = 8, **rules: Any) -> dict[str, Any]:
    prog = program("group", **rules)
    prog["group"] = {"style": style, "min_size": low, "max_size": high}
    return prog


def problem_of(prog: dict[str, Any], people: list[dict[str, Any]]) -> tuple[CircleProblem, Any, Any]:
    parsed = parse_program(prog)
    population = build_population(people)
    checker = RuleChecker(population, parsed)
    busy = np.zeros(population.size, dtype=bool)
    problem, _ = circle_problem(population, parsed, checker, busy, top_k=30, progress=lambda _: None)
    return problem, population, checker


def brute_force_mentor(problem: CircleProblem) -> float:
    """Every way to give each person a circle (by leader) or none, checked by hand."""
    options = [[-1, *problem.mentors_of[j]] for j in range(problem.size)]
    best = 0.0
    for choice in itertools.product(*options):
        circles: dict[int, list[int]] = {}
        for j, m in enumerate(choice):
            if m >= 0:
                circles.setdefault(m, []).append(j)
        if any(choice[m] >= 0 for m in circles):  # a leader cannot also be a member
            continue
        if not all(problem.low <= len(c) + 1 <= problem.high for c in circles.values()):
            continue
        if any(not problem.meets(j, k) for c in circles.values() for j, k in itertools.combinations(c, 2)):
            continue
        best = max(best, sum(problem.value(m, c) for m, c in circles.items()))
    return best


def test_exact_mentor_circles_find_the_known_optimum() -> None:
    # Two mentors; J0..J2 can only learn from A, J3..J5 only from B, J6 from both: the
    # optimum forms both circles and places everyone.
    people = [
        person("A", offers={"x": 5}, roles=("mentor",), department="D1"),
        person("B", offers={"y": 5}, roles=("mentor",), department="D2"),
    ]
    people += [person(f"J{i}", wants={"x": 3}, roles=("mentee",), department=f"E{i}") for i in range(3)]
    people += [person(f"J{i}", wants={"y": 3}, roles=("mentee",), department=f"E{i}") for i in range(3, 6)]
    people.append(person("J6", wants={"x": 3, "y": 2}, roles=("mentee",), department="E6"))
    problem, _, _ = problem_of(group("mentor"), people)
    result = solve_exact(problem, time_limit=10)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(brute_force_mentor(problem), abs=1e-4)
    circles = sorted(
        (problem.people[c.leader], sorted(problem.people[c.members].tolist())) for c in result.circles
    )
    assert len(circles) == 2 and sum(len(m) for _, m in circles) == 7


def test_exact_mentor_circles_respect_members_who_cannot_meet() -> None:
    # One mentor; J0 manages J1, so they never share its circle: the best circle has four.
    people = [person("A", offers={"x": 5}, roles=("mentor",), level=9)]
    people += [person("J0", wants={"x": 2}, roles=("mentee",), level=4)]
    people += [person("J1", wants={"x": 2}, roles=("mentee",), level=2, manager="J0")]
    people += [person(f"J{i}", wants={"x": 2}, roles=("mentee",), level=2) for i in range(2, 5)]
    problem, _, _ = problem_of(group("mentor"), people)
    result = solve_exact(problem, time_limit=10)
    assert result.status == "optimal"
    assert result.objective == pytest.approx(brute_force_mentor(problem), abs=1e-4)
    (circle,) = result.circles
    members = {int(problem.people[m]) for m in circle.members}
    assert len(members) == 4 and not {1, 2} <= members


def test_exact_peer_circles_spread_departments() -> None:
    # Eight peers, four departments, circles of exactly four: the optimum puts all four
    # departments in both circles (cross_department is the only factor that varies).
    people = [person(f"P{i}", offers={"s": 3}, department=f"D{i % 4}") for i in range(8)]
    problem, population, _ = problem_of(group("peer", 4, 4), people)
    result = solve_exact(problem, time_limit=10)
    assert result.status == "optimal"
    for circle in result.circles:
        assert len({population.department[problem.people[p]] for p in circle.members}) == 4
    pair_value = problem.affinity(0, 1)  # two people of different departments
    assert result.objective == pytest.approx(2 * 6 * pair_value + 8 * PLACEMENT_PREFERENCE, abs=1e-6)


def test_exact_peer_circles_leave_out_who_cannot_meet_anyone() -> None:
    people = [person(f"P{i}", offers={"s": 3}) for i in range(5)]
    people.append(person("T", offers={"s": 3}, zone="Pacific/Auckland"))
    problem, _, _ = problem_of(group("peer", min_timezone_overlap_hours=4), people)
    result = solve_exact(problem, time_limit=10)
    assert result.status == "optimal"
    (circle,) = result.circles
    assert sorted(int(problem.people[p]) for p in circle.members) == [0, 1, 2, 3, 4]


def test_exact_never_returns_less_than_its_hint() -> None:
    people = organisation(60, seed=4)
    problem, _, _ = problem_of(synthetic_program("group") | {"group": {"style": "mentor"}}, people)
    found = search_circles(problem)
    result = solve_exact(problem, time_limit=5, hint=found)
    assert result.objective >= problem.objective(found) - 1e-6


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    size=st.integers(30, 400),
    seed=st.integers(0, 10_000),
    style=st.sampled_from(["mentor", "peer"]),
    overlap=st.sampled_from([0, 2, 6]),
    language=st.booleans(),
    department=st.booleans(),
    low=st.integers(4, 6),
    extra=st.integers(0, 2),
)
def test_local_search_keeps_every_hard_rule(
    size: int, seed: int, style: str, overlap: int, language: bool, department: bool, low: int, extra: int
) -> None:
    people = organisation(size, seed=seed, fan_out=4)
    prog = synthetic_program(
        "group",
        min_timezone_overlap_hours=overlap,
        require_common_language=language,
        exclude_same_department=department,
        exclude_previous_pairs=[[people[3]["employee_id"], people[5]["employee_id"]]],
    )
    prog["group"] = {"style": style, "min_size": low, "max_size": min(8, low + extra)}
    problem, population, checker = problem_of(prog, people)
    circles = search_circles(problem, ruin_iterations=50)
    for circle in circles:
        assert problem.broken(circle) is None
    as_global = [[int(problem.people[p]) for p in c.people()] for c in circles]
    # The vectorised checker shares no code with the scalar rules the search uses.
    check_circles(population, parse_program(prog), checker, as_global, mentor=style == "mentor")
    placed = [p for c in as_global for p in c]
    assert len(placed) == len(set(placed))


def test_scalar_scores_equal_the_vectorised_ones() -> None:
    people = organisation(300, seed=7)
    prog = synthetic_program("group")
    problem, population, _ = problem_of(prog | {"group": {"style": "peer"}}, people)
    rng = np.random.default_rng(1)
    a = rng.integers(0, problem.size, 500)
    b = rng.integers(0, problem.size, 500)
    ga, gb = problem.people[a], problem.people[b]
    parsed = parse_program(prog)
    ab, ba = coverage(population, ga, gb), coverage(population, gb, ga)
    teach = weighted_score(parsed, factor_values(population, parsed, ga, gb, cover_ab=ab, cover_ba=ab * 0))
    peers = weighted_score(
        parsed, factor_values(population, parsed, ga, gb, cover_ab=np.maximum(ab, ba), cover_ba=ab * 0)
    )
    for i in range(a.size):
        assert problem.pair_score(int(a[i]), int(b[i])) == pytest.approx(teach[i], abs=1e-12)
        assert problem.affinity(int(a[i]), int(b[i])) == pytest.approx(peers[i], abs=1e-12)


def reason(result: dict[str, Any], who: str) -> str:
    return next(u["reason"] for u in result["unmatched"] if u["employee_id"] == who)


def test_reasons_name_full_circles_and_missing_skills() -> None:
    # One mentor, eight mentees who want what it teaches: seven fit in its circle.
    people = [person("A", offers={"x": 5}, roles=("mentor",), level=9)]
    people += [
        person(f"J{i}", wants={"x": 2}, roles=("mentee",), level=2, department=f"D{i}") for i in range(8)
    ]
    people.append(person("Z", wants={"cooking": 2}, roles=("mentee",)))
    people.append(person("Q", wants={"x": 2}, roles=("mentee",), status="on_leave"))
    prog = group("mentor")
    result = plan(prog, people)
    validate_plan(result, prog, people)
    assert [len(m["members"]) for m in result["matches"]] == [8]
    left = [u["employee_id"] for u in result["unmatched"] if u["employee_id"].startswith("J")]
    assert len(left) == 1
    assert reason(result, left[0]) == (
        "every eligible partner (1 partner) was better used elsewhere: "
        "of 1 eligible mentor, 1 lead a full circle"
    )
    assert "no skill match" in reason(result, "Z")
    assert reason(result, "Q").startswith("not eligible: status is on_leave")


def test_peer_reasons_count_the_rules_that_exclude() -> None:
    people = [person(f"P{i}", offers={"s": 3}) for i in range(5)]
    people.append(person("T", offers={"s": 3}, zone="Pacific/Auckland"))
    prog = group("peer", min_timezone_overlap_hours=4)
    result = plan(prog, people)
    validate_plan(result, prog, people)
    assert reason(result, "T") == (
        "no eligible partner: a circle of 4-8 needs 3 people who may sit with T, but only 0 of 5 may; "
        "the rules exclude 5 people with fewer than 4 working hours of overlap"
    )


def test_kept_circles_stay_unchanged() -> None:
    people = [person(f"L{i}", offers={"x": 5}, roles=("mentor",), level=9) for i in range(2)]
    people += [
        person(f"J{i}", wants={"x": 2}, roles=("mentee",), level=2, department=f"D{i}") for i in range(8)
    ]
    kept = {
        "members": ["L0", "J0", "J1", "J2"],
        "score": 0.5,
        "explanation": [{"factor": "skill_complementarity", "value": 0.5, "detail": "kept"}],
    }
    prog = group("mentor")
    result = plan(prog, people, keep={"matches": [kept]})
    validate_plan(result, prog, people)
    assert result["matches"][0] == kept
    others = [m for match in result["matches"][1:] for m in match["members"]]
    assert others and not set(others) & set(kept["members"])
    assert result["matches"][1]["members"][0] == "L1"
    assert sorted(result["matches"][1]["members"][1:]) == ["J3", "J4", "J5", "J6", "J7"]


def test_plans_are_deterministic() -> None:
    # 60 people: CP-SAT runs (a pool of at most 80); 150: the local search alone.
    for size, style in ((60, "mentor"), (150, "mentor"), (150, "peer")):
        people = organisation(size, seed=2)
        prog = synthetic_program("group")
        prog["group"] = {"style": style}
        first, second = plan(prog, people), plan(prog, people)
        assert first["matches"] == second["matches"]


def test_local_search_places_more_than_it_constructs() -> None:
    people = organisation(600, seed=5)
    prog = synthetic_program("group")
    prog["group"] = {"style": "mentor"}
    problem, _, _ = problem_of(prog, people)
    searched = search_circles(problem, ruin_iterations=0, passes=0)
    improved = search_circles(problem, ruin_iterations=200)
    assert problem.objective(improved) > problem.objective(searched)
    assert sum(c.size for c in improved) >= sum(c.size for c in searched)
