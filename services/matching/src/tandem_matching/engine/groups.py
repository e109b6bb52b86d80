"""Circles of 4 to 8 people for group programs.

Mentor circles: every potential mentor gets a theme, the skill it offers that most of
its eligible mentees want (at a level it covers). Mentors with the most demand go first
and take their best-scoring eligible mentees who want the theme, as long as every pair
in the circle can meet (the circle rules below); a circle below the minimum size is not
formed. Left-over mentees then join any formed circle with room whose theme they want.

Peer circles: people are swept in order of UTC offset and language, so neighbours can
meet; each joins the open circle where every pair passes the circle rules, preferring a
circle without anyone from their department. Circles below the minimum are dissolved and
their members placed in other circles with room.

Circle rules, checked for every pair of members: reporting line, working-hours overlap,
common language; between the mentor and each mentee (and between all members of a peer
circle) also the department and previous-pair rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from tandem_matching.engine.arrays import FloatArray
from tandem_matching.engine.candidates import generate
from tandem_matching.engine.explain import role_problem, teaching_phrase, unmatched_reasons
from tandem_matching.engine.people import Population
from tandem_matching.engine.program import Program
from tandem_matching.engine.rules import RuleChecker
from tandem_matching.engine.scoring import coverage, factor_values, weighted_score

OPEN_CIRCLES = 40


@dataclass
class CircleOutcome:
    matches: list[dict[str, Any]] = field(default_factory=list)
    reasons: dict[int, str] = field(default_factory=dict)
    person_score: FloatArray = field(default_factory=lambda: np.zeros(0))


class _PairRules:
    """Scalar versions of the pair rules, for the few pairs inside circles."""

    def __init__(self, population: Population, program: Program, checker: RuleChecker) -> None:
        self.population, self.program, self.checker = population, program, checker

    def can_meet(self, x: int, y: int, full: bool) -> bool:
        a = np.asarray([x], dtype=np.int64)
        b = np.asarray([y], dtype=np.int64)
        if full:
            return bool(self.checker.first_broken_rule(a, b)[0] < 0)
        population, program = self.population, self.program
        tin, tout = population.tin, population.tout
        if program.exclude_reporting_line and ((tin[x] <= tin[y] < tout[x]) or (tin[y] <= tin[x] < tout[y])):
            return False
        if (
            program.min_timezone_overlap_hours > 0
            and population.zone_overlap[population.zone[x], population.zone[y]]
            < program.min_timezone_overlap_hours
        ):
            return False
        return not (program.require_common_language and not population.common_language(a, b)[0])


def plan_circles(
    population: Population,
    program: Program,
    checker: RuleChecker,
    kept: Any,
    *,
    top_k: int,
    progress: Callable[[str], None],
) -> CircleOutcome:
    busy = np.zeros(population.size, dtype=bool)
    busy[list(kept.busy)] = True
    if program.circle_style == "peer":
        return _peer_circles(population, program, checker, busy, progress)
    return _mentor_circles(population, program, checker, busy, top_k=top_k, progress=progress)


def _mentor_circles(
    population: Population,
    program: Program,
    checker: RuleChecker,
    busy: npt.NDArray[np.bool_],
    *,
    top_k: int,
    progress: Callable[[str], None],
) -> CircleOutcome:
    n = population.size
    offers = np.diff(population.offered.indptr) > 0
    wants = np.diff(population.wanted.indptr) > 0
    leaders = np.flatnonzero(population.active & population.can_mentor & offers & ~busy)
    members = np.flatnonzero(population.active & population.can_mentee & wants & ~busy)
    candidates = generate(
        population,
        program,
        checker,
        members,
        leaders,
        two_way=False,
        top_k=max(top_k, 50),
        progress=progress,
    )
    a, b = candidates.a, candidates.b
    values = factor_values(
        population, program, a, b, cover_ab=candidates.cover_ab, cover_ba=candidates.cover_ba
    )
    score = weighted_score(program, values)

    # Which wanted skills of the mentee each candidate's mentor covers at level.
    wanted = population.wanted[b]
    offered = population.offered[a]
    shortfall = wanted - offered.minimum(wanted)
    shortfall.eliminate_zeros()
    covered = wanted - wanted.multiply(shortfall != 0)
    covered = sp.csr_matrix(covered)
    covered.eliminate_zeros()
    covered.data[:] = 1.0
    demand = sp.csr_matrix((covered.data, covered.indices, covered.indptr), shape=covered.shape)
    per_leader = sp.csr_matrix((np.ones(a.size), (a, np.arange(a.size))), shape=(n, a.size)) @ demand
    per_leader = sp.csr_matrix(per_leader)
    theme = np.full(n, -1, dtype=np.int64)
    theme_demand = np.zeros(n, dtype=np.int64)
    for leader in np.unique(a).tolist():
        start, stop = per_leader.indptr[leader], per_leader.indptr[leader + 1]
        if stop > start:
            row = per_leader.data[start:stop]
            best = int(np.argmax(row))
            theme[leader] = int(per_leader.indices[start + best])
            theme_demand[leader] = int(row[best])

    order = np.lexsort((-score, a))
    edge_start = np.searchsorted(a[order], np.arange(n + 1))
    rules = _PairRules(population, program, checker)
    used = busy.copy()
    circles: list[list[int]] = []
    circle_theme: list[int] = []
    circle_scores: list[list[float]] = []
    smallest = program.circle_min - 1
    largest = program.circle_max - 1
    covers_theme = covered.tocsr()

    def wants_theme(edge: int, skill: int) -> bool:
        start, stop = covers_theme.indptr[edge], covers_theme.indptr[edge + 1]
        return bool(skill in covers_theme.indices[start:stop])

    for leader in sorted(np.flatnonzero(theme >= 0).tolist(), key=lambda x: -theme_demand[x]):
        if used[leader] or theme_demand[leader] < smallest:
            continue
        skill = int(theme[leader])
        chosen: list[int] = []
        chosen_scores: list[float] = []
        for edge in order[edge_start[leader] : edge_start[leader + 1]].tolist():
            mentee = int(b[edge])
            if used[mentee] or mentee == leader or not wants_theme(edge, skill):
                continue
            if all(rules.can_meet(mentee, other, full=False) for other in chosen):
                chosen.append(mentee)
                chosen_scores.append(float(score[edge]))
                if len(chosen) == largest:
                    break
        if len(chosen) >= smallest:
            used[leader] = True
            used[chosen] = True
            circles.append([leader, *chosen])
            circle_theme.append(skill)
            circle_scores.append(chosen_scores)

    # Left-over mentees join a circle with room whose theme they want.
    circle_of_leader = {circle[0]: position for position, circle in enumerate(circles)}
    by_mentee = np.lexsort((-score, b))
    for edge in by_mentee.tolist():
        mentee, leader = int(b[edge]), int(a[edge])
        position = circle_of_leader.get(leader)
        if used[mentee] or position is None or len(circles[position]) > largest:
            continue
        if not wants_theme(edge, circle_theme[position]):
            continue
        if all(rules.can_meet(mentee, other, full=False) for other in circles[position][1:]):
            circles[position].append(mentee)
            circle_scores[position].append(float(score[edge]))
            used[mentee] = True
    progress(f"formed {len(circles)} mentor circles")

    outcome = CircleOutcome(person_score=np.full(n, np.nan))
    for circle, skill, scores in zip(circles, circle_theme, circle_scores, strict=True):
        outcome.matches.append(_circle_match(population, program, circle, population.skill_names[skill]))
        mean = float(np.mean(scores))
        outcome.person_score[circle] = mean
    outcome.reasons.update(unmatched_reasons(population, program, candidates, np.flatnonzero(~used).tolist()))
    return outcome


def _peer_circles(
    population: Population,
    program: Program,
    checker: RuleChecker,
    busy: npt.NDArray[np.bool_],
    progress: Callable[[str], None],
) -> CircleOutcome:
    n = population.size
    able = population.can_mentor | population.can_mentee
    people = np.flatnonzero(population.active & able & ~busy)
    zone_key = population.zone[people]
    order = people[np.lexsort((population.languages[people, 0], zone_key))]
    rules = _PairRules(population, program, checker)
    departments = population.department
    open_circles: list[list[int]] = []
    closed: list[list[int]] = []
    for person in order.tolist():
        best, best_fresh = -1, False
        for position, circle in enumerate(open_circles):
            if not all(rules.can_meet(person, other, full=True) for other in circle):
                continue
            fresh = all(departments[other] != departments[person] for other in circle)
            if best < 0 or (fresh and not best_fresh):
                best, best_fresh = position, fresh
                if fresh:
                    break
        if best < 0:
            open_circles.append([person])
            if len(open_circles) > OPEN_CIRCLES:
                closed.append(open_circles.pop(0))
            continue
        open_circles[best].append(person)
        if len(open_circles[best]) == program.circle_max:
            closed.append(open_circles.pop(best))
    closed.extend(open_circles)
    circles = [c for c in closed if len(c) >= program.circle_min]
    leftovers = [p for c in closed if len(c) < program.circle_min for p in c]
    placed: set[int] = set()
    for person in leftovers:
        for circle in circles:
            if len(circle) < program.circle_max and all(
                rules.can_meet(person, other, full=True) for other in circle
            ):
                circle.append(person)
                placed.add(person)
                break
    progress(f"formed {len(circles)} peer circles")
    outcome = CircleOutcome(person_score=np.full(n, np.nan))
    used = np.zeros(n, dtype=bool)
    for circle in circles:
        # The facilitator is the most senior member with the mentor role, if any.
        circle.sort(key=lambda p: (not population.can_mentor[p], -population.seniority[p]))
        match = _circle_match(population, program, circle, None)
        outcome.matches.append(match)
        outcome.person_score[circle] = match["score"]
        used[circle] = True
    for person in np.flatnonzero(~used).tolist():
        problem = role_problem(population, program, person)
        outcome.reasons[person] = (
            f"not eligible: {problem}"
            if problem is not None
            else (
                "no eligible partner: no circle of "
                f"{program.circle_min}-{program.circle_max} people who can all meet under "
                "the rules (working-hours overlap, common language, reporting line) "
                "could include this person"
            )
        )
    return outcome


def _circle_match(
    population: Population, program: Program, circle: list[int], theme: str | None
) -> dict[str, Any]:
    """Score and explanation of a circle: the mean of its pairs' factors."""
    leader = circle[0]
    if theme is not None:
        pairs = [(leader, member) for member in circle[1:]]
    else:
        pairs = [(x, y) for i, x in enumerate(circle) for y in circle[i + 1 :]]
    a = np.asarray([p for p, _ in pairs], dtype=np.int64)
    b = np.asarray([q for _, q in pairs], dtype=np.int64)
    cover_ab = coverage(population, a, b)
    cover_ba = coverage(population, b, a) if theme is None else np.zeros(a.size)
    if theme is None:
        cover_ab = np.maximum(cover_ab, cover_ba)
    values = factor_values(population, program, a, b, cover_ab=cover_ab, cover_ba=cover_ba)
    score = float(weighted_score(program, values).mean())
    ids = population.ids
    explanation: list[dict[str, Any]] = []
    for factor in program.factors:
        value = round(float(values[factor].mean()), 4)
        if factor == "skill_complementarity":
            if theme is not None:
                level = population.skills(leader, "offered")[theme]
                learners = ", ".join(
                    f"{ids[m]} ({population.skills(m, 'wanted')[theme]})"
                    for m in circle[1:]
                    if theme in population.skills(m, "wanted")
                )
                detail = f"{ids[leader]} teaches {theme} ({level}) that {learners} want"
            else:
                phrases = [
                    phrase for x, y in pairs for phrase in (teaching_phrase(population, x, y),) if phrase
                ]
                detail = "; ".join(phrases[:6]) or "no skill offered at the wanted level"
        elif factor == "cross_department":
            names = sorted({population.department_names[population.department[p]] for p in circle})
            detail = f"{len(names)} departments among {len(circle)} members: {', '.join(names)}"
        elif factor == "timezone_overlap":
            hours = min(
                float(population.zone_overlap[population.zone[x], population.zone[y]]) for x, y in pairs
            )
            who = "mentor and member" if theme is not None else "pair of members"
            detail = f"every {who} share at least {hours:g} working hours"
        elif factor == "cross_generation":
            detail = (
                "mean age spread over consenting pairs"
                if value > 0
                else "not used: both people of a pair must consent to generation-aware pairing"
            )
        else:
            detail = "mean goal-word similarity of the pairs"
        explanation.append({"factor": factor, "value": value, "detail": detail})
    return {
        "members": [ids[p] for p in circle],
        "score": round(score, 6),
        "explanation": explanation,
    }
