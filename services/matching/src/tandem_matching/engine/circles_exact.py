"""Circles solved exactly with OR-Tools CP-SAT, for small programs.

Mentor circles are indexed by their possible leader, so the model has no symmetry:
`lead[m]` opens m's circle, `x[m, j]` puts member j in it, and `y[m, j, k]` (at most
both x) collects the peer term of two members who can meet. Peer circles have no
natural index, so the model says who sits with whom: `z[i, j]` for every pair that may
share a circle, made transitive by the triangle inequalities (a clique partition), with
each placed person's number of circle-mates in [min_size - 1, max_size - 1]. (Giving
each peer circle its lowest-numbered member as head, like a leader, removes the symmetry
too but relaxes far worse: on 60 people its bound was 2.8 times the best circles found,
against 1.4 times for the triangles.)

Scores are scaled to integers (SCALE), and the reported objective is recomputed from
the returned circles with the problem's own float function. OR-Tools is imported here
only, when a model is built, so that the `tandem` command starts without it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from tandem_matching.engine.circles_model import PLACEMENT_PREFERENCE, Circle, CircleProblem

if TYPE_CHECKING:
    from ortools.sat.python import cp_model

SCALE = 100_000
EXACT_MAX_PEOPLE = 80
"""The planner solves pools up to this size exactly (the model grows as people^3)."""
TIME_LIMIT_SECONDS = 20.0
WORKERS = 2  # the machine the benchmarks run on has two cores


@dataclass
class ExactResult:
    circles: list[Circle]
    status: str  # "optimal", "feasible" (limit reached), or "unknown" (nothing found)
    objective: float
    bound: float  # CP-SAT's proven upper bound, in the same units as `objective`
    seconds: float


def _weight(value: float) -> int:
    return round(value * SCALE)


def solve_exact(
    problem: CircleProblem,
    *,
    time_limit: float = TIME_LIMIT_SECONDS,
    workers: int = WORKERS,
    seed: int = 0,
    deterministic: bool = True,
    hint: list[Circle] | None = None,
) -> ExactResult:
    """Best circles found within `time_limit`; `status` says whether they are proven optimal.

    With `deterministic`, the workers' search is interleaved and the limit counts
    CP-SAT's deterministic time, so the same input gives the same circles on any machine
    (wall time is then capped at four times the limit).
    """
    from ortools.sat.python import cp_model

    started = time.perf_counter()
    model = cp_model.CpModel()
    decode: _MentorDecode | _PeerDecode = (
        _mentor_model(model, problem) if problem.style == "mentor" else _peer_model(model, problem)
    )
    if hint:
        decode.hint(model, hint)
    solver = cp_model.CpSolver()
    parameters = solver.parameters
    parameters.num_workers = max(1, workers)
    parameters.random_seed = seed
    if deterministic:
        parameters.interleave_search = True
        parameters.max_deterministic_time = time_limit
        parameters.max_time_in_seconds = 4 * time_limit
    else:
        parameters.max_time_in_seconds = time_limit
    code = solver.solve(model)
    seconds = time.perf_counter() - started
    if code not in (cp_model.OPTIMAL, cp_model.FEASIBLE):
        return ExactResult([], "unknown", 0.0, float("inf"), seconds)
    circles = decode.circles(solver)
    return ExactResult(
        circles=circles,
        status="optimal" if code == cp_model.OPTIMAL else "feasible",
        objective=problem.objective(circles),
        bound=solver.best_objective_bound / SCALE,
        seconds=seconds,
    )


class _MentorDecode:
    """Variables of the head model: `lead[m]`, `x[m, j]`, `y[m, j, k]`."""

    def __init__(self) -> None:
        self.lead: dict[int, Any] = {}
        self.x: dict[tuple[int, int], Any] = {}
        self.y: dict[tuple[int, int, int], Any] = {}

    def hint(self, model: cp_model.CpModel, circles: list[Circle]) -> None:
        chosen = {(c.leader, j) for c in circles for j in c.members}
        leaders = {c.leader for c in circles}
        for m, var in self.lead.items():
            model.add_hint(var, m in leaders)
        for key, var in self.x.items():
            model.add_hint(var, key in chosen)
        for (m, j, k), var in self.y.items():
            model.add_hint(var, (m, j) in chosen and (m, k) in chosen)

    def circles(self, solver: cp_model.CpSolver) -> list[Circle]:
        found: dict[int, Circle] = {}
        for m, var in self.lead.items():
            if solver.boolean_value(var):
                found[m] = Circle(m, [])
        for (m, j), var in self.x.items():
            if solver.boolean_value(var):
                found[m].members.append(j)
        return [found[m] for m in sorted(found)]


def _mentor_model(model: cp_model.CpModel, problem: CircleProblem) -> _MentorDecode:
    return _head_model(
        model,
        problem,
        _MentorDecode(),
        members_of=problem.members_of,
        head_gain=lambda m, j: problem.mentors_of[j][m],
        member_ok=problem.meets,
    )


def _head_model(
    model: cp_model.CpModel,
    problem: CircleProblem,
    decode: _MentorDecode,
    *,
    members_of: list[list[int]],
    head_gain: Callable[[int, int], float],
    member_ok: Callable[[int, int], bool],
) -> _MentorDecode:
    low, high = problem.low - 1, problem.high - 1
    roles: list[list[Any]] = [[] for _ in range(problem.size)]
    terms: list[Any] = []
    weights: list[int] = []
    preference = _weight(PLACEMENT_PREFERENCE)
    for m in range(problem.size):
        members = members_of[m]
        if len(members) < low:
            continue
        lead = model.new_bool_var(f"lead_{m}")
        decode.lead[m] = lead
        roles[m].append(lead)
        terms.append(lead)
        weights.append(preference)
        chosen = []
        pairs_of: list[list[Any]] = [[] for _ in members]
        for j in members:
            x = model.new_bool_var(f"x_{m}_{j}")
            decode.x[(m, j)] = x
            roles[j].append(x)
            model.add_implication(x, lead)
            chosen.append(x)
            terms.append(x)
            weights.append(_weight(head_gain(m, j) + PLACEMENT_PREFERENCE))
        model.add(sum(chosen) >= low * lead)
        model.add(sum(chosen) <= high * lead)
        for a, j in enumerate(members):
            for b in range(a + 1, len(members)):
                k = members[b]
                if not member_ok(j, k):
                    model.add_bool_or([chosen[a].negated(), chosen[b].negated()])
                    continue
                gain = _weight(problem.alpha * problem.affinity(j, k))
                if gain <= 0:
                    continue
                y = model.new_bool_var(f"y_{m}_{j}_{k}")
                decode.y[(m, j, k)] = y
                model.add_implication(y, chosen[a])
                model.add_implication(y, chosen[b])
                pairs_of[a].append(y)
                pairs_of[b].append(y)
                terms.append(y)
                weights.append(gain)
        # A member has at most max_size - 2 fellow members: a cut that tightens the
        # relaxation (without it the bound counts every pair of half-chosen members).
        for a, ys in enumerate(pairs_of):
            if len(ys) > high - 1:
                model.add(sum(ys) <= (high - 1) * chosen[a])
    for options in roles:
        if len(options) > 1:
            model.add_at_most_one(options)
    model.maximize(sum(w * t for w, t in zip(weights, terms, strict=True)))
    return decode


class _PeerDecode:
    """`z[i, j]`: i and j share a circle; `placed[i]`: i is in one."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.z: dict[tuple[int, int], Any] = {}
        self.placed: list[Any] = []

    def hint(self, model: cp_model.CpModel, circles: list[Circle]) -> None:
        circle_of = {p: i for i, c in enumerate(circles) for p in c.members}
        for (i, j), var in self.z.items():
            model.add_hint(var, i in circle_of and circle_of.get(j) == circle_of[i])
        for p, var in enumerate(self.placed):
            model.add_hint(var, p in circle_of)

    def circles(self, solver: cp_model.CpSolver) -> list[Circle]:
        together: list[list[int]] = [[] for _ in range(self.size)]
        for (i, j), var in self.z.items():
            if solver.boolean_value(var):
                together[i].append(j)
                together[j].append(i)
        seen: set[int] = set()
        found: list[Circle] = []
        for p in range(self.size):
            if p in seen or not together[p]:
                continue
            members = sorted([p, *together[p]])
            seen.update(members)
            found.append(Circle(-1, members))
        return found


def _peer_model(model: cp_model.CpModel, problem: CircleProblem) -> _PeerDecode:
    n = problem.size
    decode = _PeerDecode(n)
    ok = [[False] * n for _ in range(n)]
    for i in range(n):
        for j in range(i + 1, n):
            if problem.pair_ok(i, j):
                ok[i][j] = ok[j][i] = True
                decode.z[(i, j)] = model.new_bool_var(f"z_{i}_{j}")
    z = decode.z

    def var(i: int, j: int) -> Any:
        return z[(i, j)] if i < j else z[(j, i)]

    terms: list[Any] = []
    weights: list[int] = []
    for i in range(n):
        placed = model.new_bool_var(f"placed_{i}")
        decode.placed.append(placed)
        mates = [var(i, j) for j in range(n) if ok[i][j]]
        model.add(sum(mates) >= (problem.low - 1) * placed)
        model.add(sum(mates) <= (problem.high - 1) * placed)
        terms.append(placed)
        weights.append(_weight(PLACEMENT_PREFERENCE))
    for (i, j), pair in z.items():
        terms.append(pair)
        weights.append(_weight(problem.alpha * problem.affinity(i, j)))
    # Triangle inequalities: sitting with two people means they sit together, so two
    # people who may not share a circle never share a third one's circle.
    for i in range(n):
        for j in range(i + 1, n):
            for k in range(j + 1, n):
                edges = ok[i][j] + ok[i][k] + ok[j][k]
                if edges == 3:
                    ij, ik, jk = var(i, j), var(i, k), var(j, k)
                    model.add(ij + jk - ik <= 1)
                    model.add(ij + ik - jk <= 1)
                    model.add(ik + jk - ij <= 1)
                elif edges == 2:
                    present = [var(a, b) for a, b in ((i, j), (i, k), (j, k)) if ok[a][b]]
                    model.add_bool_or([present[0].negated(), present[1].negated()])
    model.maximize(sum(w * t for w, t in zip(weights, terms, strict=True)))
    return decode
