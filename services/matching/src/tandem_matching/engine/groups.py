"""Circles of 4 to 8 people for group programs, formed by an optimiser.

The objective and the hard rules are in `circles_model` (and docs/matching.md). Pools of
up to `EXACT_MAX_PEOPLE` people are solved with CP-SAT (`circles_exact`), started from
the local-search circles so that it can only improve on them; larger pools use the
local search alone (`circles_search`). Before the circles are returned, every one is
checked again with the vectorised rule checker, which shares no code with the scalar
checks the solvers use.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

from tandem_matching.engine.arrays import FloatArray, IntArray
from tandem_matching.engine.candidates import Candidates, generate
from tandem_matching.engine.circles_model import Circle, CircleProblem
from tandem_matching.engine.circles_search import search_circles
from tandem_matching.engine.explain import role_problem, teaching_phrase, unmatched_reasons
from tandem_matching.engine.org import in_reporting_line
from tandem_matching.engine.people import Population
from tandem_matching.engine.program import Program
from tandem_matching.engine.rules import RULES, RuleChecker, rule_sentence
from tandem_matching.engine.scoring import coverage, factor_values, weighted_score

EXACT_MAX_PEOPLE = {"mentor": 80, "peer": 30}
"""Pools up to this size are solved with CP-SAT (peer models grow as people^3)."""
EXACT_TIME_LIMIT = 5.0
"""CP-SAT's deterministic time limit inside a plan (about seconds)."""
MENTOR_CANDIDATES = 50


@dataclass
class CircleOutcome:
    matches: list[dict[str, Any]] = field(default_factory=list)
    reasons: dict[int, str] = field(default_factory=dict)
    person_score: FloatArray = field(default_factory=lambda: np.zeros(0))


class CircleRuleBroken(RuntimeError):
    """A formed circle breaks a hard rule: a defect in the solvers, never bad input."""


def circle_problem(
    population: Population,
    program: Program,
    checker: RuleChecker,
    busy: npt.NDArray[np.bool_],
    *,
    top_k: int,
    progress: Callable[[str], None],
) -> tuple[CircleProblem, Candidates | None]:
    """The pool of free people and, for mentor circles, their candidate mentors."""
    previous = [
        (population.index[a], population.index[b])
        for a, b in program.previous_pairs
        if a in population.index and b in population.index
    ]
    if program.circle_style == "peer":
        able = population.can_mentor | population.can_mentee
        people = np.flatnonzero(population.active & able & ~busy)
        return CircleProblem(population, program, people, previous_pairs=previous), None
    offers = np.diff(population.offered.indptr) > 0
    wants = np.diff(population.wanted.indptr) > 0
    leaders = np.flatnonzero(
        population.active & population.can_mentor & offers & (population.capacity > 0) & ~busy
    )
    members = np.flatnonzero(population.active & population.can_mentee & wants & ~busy)
    candidates = generate(
        population,
        program,
        checker,
        members,
        leaders,
        two_way=False,
        top_k=max(top_k, MENTOR_CANDIDATES),
        progress=progress,
    )
    pool = np.union1d(leaders, members)
    values = factor_values(
        population,
        program,
        candidates.a,
        candidates.b,
        cover_ab=candidates.cover_ab,
        cover_ba=candidates.cover_ba,
    )
    score = weighted_score(program, values)
    problem = CircleProblem(
        population, program, pool, mentor_edges=(candidates.a, candidates.b, score), previous_pairs=previous
    )
    return problem, candidates


def solve_circles(problem: CircleProblem, *, exact_time_limit: float = EXACT_TIME_LIMIT) -> list[Circle]:
    circles = search_circles(problem)
    if problem.size <= EXACT_MAX_PEOPLE[problem.style] and problem.size >= problem.low:
        from tandem_matching.engine.circles_exact import solve_exact

        exact = solve_exact(problem, time_limit=exact_time_limit, hint=circles)
        if exact.circles and exact.objective > problem.objective(circles):
            circles = exact.circles
    return circles


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
    problem, candidates = circle_problem(population, program, checker, busy, top_k=top_k, progress=progress)
    local = solve_circles(problem)
    progress(f"formed {len(local)} {program.circle_style} circles")
    circles = [[int(problem.people[p]) for p in c.people()] for c in local]
    mentor = program.circle_style == "mentor"
    check_circles(population, program, checker, circles, mentor=mentor)

    n = population.size
    outcome = CircleOutcome(person_score=np.full(n, np.nan))
    used = np.zeros(n, dtype=bool)
    for circle in circles:
        if mentor:
            circle[1:] = sorted(circle[1:], key=lambda j: population.ids[j])
        else:
            # The facilitator is the most senior member with the mentor role, if any.
            circle.sort(
                key=lambda p: (not population.can_mentor[p], -population.seniority[p], population.ids[p])
            )
        match = _circle_match(population, program, circle, mentor=mentor)
        outcome.matches.append(match)
        outcome.person_score[circle] = match["score"]
        used[circle] = True
    unplaced = np.flatnonzero(~used).tolist()
    if candidates is not None:
        outcome.reasons.update(_mentor_reasons(population, program, problem, candidates, local, unplaced))
    else:
        outcome.reasons.update(_peer_reasons(population, program, checker, problem, unplaced))
    return outcome


def check_circles(
    population: Population,
    program: Program,
    checker: RuleChecker,
    circles: list[list[int]],
    *,
    mentor: bool,
) -> None:
    """Raise `CircleRuleBroken` if a circle breaks a hard rule, checked on whole arrays."""
    seen: set[int] = set()
    for circle in circles:
        if not program.circle_min <= len(circle) <= program.circle_max:
            raise CircleRuleBroken(f"circle of {len(circle)} people: {circle}")
        if seen & set(circle) or len(set(circle)) != len(circle):
            raise CircleRuleBroken(f"a person sits in two circles: {circle}")
        seen.update(circle)
        if not population.active[circle].all():
            raise CircleRuleBroken(f"an inactive participant in a circle: {circle}")
    if not circles:
        return
    full_a: list[int] = []
    full_b: list[int] = []
    meet_a: list[int] = []
    meet_b: list[int] = []
    for circle in circles:
        if mentor:
            full_a += [circle[0]] * (len(circle) - 1)
            full_b += circle[1:]
            pairs = [(x, y) for i, x in enumerate(circle[1:], 1) for y in circle[i + 1 :]]
            meet_a += [x for x, _ in pairs]
            meet_b += [y for _, y in pairs]
        else:
            pairs = [(x, y) for i, x in enumerate(circle) for y in circle[i + 1 :]]
            full_a += [x for x, _ in pairs]
            full_b += [y for _, y in pairs]
    a, b = np.asarray(full_a, dtype=np.int64), np.asarray(full_b, dtype=np.int64)
    broken = checker.first_broken_rule(a, b)
    if (broken >= 0).any():
        at = int(np.flatnonzero(broken >= 0)[0])
        raise CircleRuleBroken(
            f"{population.ids[a[at]]} and {population.ids[b[at]]} break {RULES[broken[at]]}"
        )
    if mentor:
        if not (population.can_mentor[a].all() and population.can_mentee[b].all()):
            raise CircleRuleBroken("a leader without the mentor role or a member without the mentee role")
        if not (coverage(population, a, b) > 0).all():
            raise CircleRuleBroken("a leader teaches a member none of the skills it wants at level")
        x, y = np.asarray(meet_a, dtype=np.int64), np.asarray(meet_b, dtype=np.int64)
        if x.size:
            bad = np.zeros(x.size, dtype=bool)
            if program.exclude_reporting_line:
                bad |= in_reporting_line(population.tin, population.tout, x, y)
            if program.min_timezone_overlap_hours > 0:
                bad |= checker.overlap(x, y) < program.min_timezone_overlap_hours
            if program.require_common_language:
                bad |= ~population.common_language(x, y)
            if bad.any():
                at = int(np.flatnonzero(bad)[0])
                raise CircleRuleBroken(
                    f"members {population.ids[x[at]]} and {population.ids[y[at]]} cannot meet"
                )


def _mentor_reasons(
    population: Population,
    program: Program,
    problem: CircleProblem,
    candidates: Candidates,
    circles: list[Circle],
    unplaced: list[int],
) -> dict[int, str]:
    reasons = unmatched_reasons(population, program, candidates, unplaced)
    leads = {c.leader: c for c in circles}
    sits = {j for c in circles for j in c.members}
    size_range = f"{program.circle_min}-{program.circle_max}"
    for person, reason in reasons.items():
        if not reason.startswith("every eligible partner"):
            continue
        j = problem.local.get(person)
        if j is None:
            continue
        parts: list[str] = []
        mentors = problem.mentors_of[j]
        if mentors:
            full = sum(1 for m in mentors if m in leads and leads[m].size >= program.circle_max)
            clash = sum(
                1
                for m in mentors
                if m in leads and leads[m].size < program.circle_max and not problem.fits(j, leads[m].members)
            )
            member = sum(1 for m in mentors if m in sits)
            idle = len(mentors) - full - clash - member
            counts = [
                (full, "lead a full circle"),
                (
                    clash,
                    "lead a circle with a member this person cannot meet "
                    "(reporting line, working hours or language)",
                ),
                (member, "sit in another circle as members"),
                (idle, "lead no circle: too few of their eligible members were free to fill one"),
            ]
            parts.append(
                f"of {len(mentors)} eligible mentor{'s' if len(mentors) != 1 else ''}, "
                + ", ".join(f"{count} {text}" for count, text in counts if count)
            )
        if problem.members_of[j]:
            parts.append(
                f"as a mentor, too few of its {len(problem.members_of[j])} eligible members were free "
                f"and able to meet each other to fill a circle of {size_range}"
            )
        if parts:
            reasons[person] = f"{reason}: " + "; ".join(parts)
    return reasons


def _peer_reasons(
    population: Population,
    program: Program,
    checker: RuleChecker,
    problem: CircleProblem,
    unplaced: list[int],
) -> dict[int, str]:
    reasons: dict[int, str] = {}
    pool: IntArray = problem.people
    need = program.circle_min - 1
    for person in unplaced:
        problem_text = role_problem(population, program, person)
        if problem_text is not None or person not in problem.local:
            reasons[person] = f"not eligible: {problem_text or 'not free for a new circle'}"
            continue
        others = pool[pool != person]
        broken = checker.first_broken_rule(np.full(others.size, person, dtype=np.int64), others)
        eligible = int((broken < 0).sum())
        who = population.ids[person]
        if eligible < need:
            counts = np.bincount(broken[broken >= 0], minlength=len(RULES))
            excluded = ", ".join(
                rule_sentence(rule, who, int(counts[i]), program) for i, rule in enumerate(RULES) if counts[i]
            )
            reasons[person] = (
                f"no eligible partner: a circle of {program.circle_min}-{program.circle_max} needs {need} "
                f"people who may sit with {who}, but only {eligible} of {others.size} may; the rules "
                f"exclude {excluded}"
            )
        else:
            noun = "partner" if eligible == 1 else "partners"
            reasons[person] = (
                f"every eligible partner ({eligible} {noun}) was better used elsewhere: their circles "
                "are full or include someone this person may not sit with, and too few of them were "
                "free to open another circle"
            )
    return reasons


def _circle_match(
    population: Population, program: Program, circle: list[int], *, mentor: bool
) -> dict[str, Any]:
    """Score and explanation of a circle: the mean of its pairs' factors (mentor and
    each member in a mentor circle; every pair in a peer circle)."""
    leader = circle[0]
    if mentor:
        pairs = [(leader, member) for member in circle[1:]]
    else:
        pairs = [(x, y) for i, x in enumerate(circle) for y in circle[i + 1 :]]
    a = np.asarray([p for p, _ in pairs], dtype=np.int64)
    b = np.asarray([q for _, q in pairs], dtype=np.int64)
    cover_ab = coverage(population, a, b)
    cover_ba = coverage(population, b, a) if not mentor else np.zeros(a.size)
    if not mentor:
        cover_ab = np.maximum(cover_ab, cover_ba)
    values = factor_values(population, program, a, b, cover_ab=cover_ab, cover_ba=cover_ba)
    score = float(weighted_score(program, values).mean())
    ids = population.ids
    explanation: list[dict[str, Any]] = []
    for factor in program.factors:
        value = round(float(values[factor].mean()), 4)
        if factor == "skill_complementarity":
            if mentor:
                detail = _teaching_summary(population, circle)
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
            who = "mentor and member" if mentor else "pair of members"
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


def _teaching_summary(population: Population, circle: list[int]) -> str:
    """'L teaches python (5) that A (2), B (3) want; sql (4) that C (2) wants', the skills
    ordered by how many members learn them."""
    ids = population.ids
    leader = circle[0]
    offered = population.skills(leader, "offered")
    learners: dict[str, list[str]] = {}
    for member in circle[1:]:
        for skill, level in sorted(population.skills(member, "wanted").items()):
            if offered.get(skill, 0) >= level:
                learners.setdefault(skill, []).append(f"{ids[member]} ({level})")
    ranked = sorted(learners.items(), key=lambda item: (-len(item[1]), item[0]))
    parts = [
        f"{skill} ({offered[skill]}) that {', '.join(who)} {'wants' if len(who) == 1 else 'want'}"
        for skill, who in ranked
    ]
    return f"{ids[leader]} teaches " + "; ".join(parts)
