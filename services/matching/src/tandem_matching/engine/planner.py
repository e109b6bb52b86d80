"""`plan`: participants and program rules in, explained matches out (plain data)."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from tandem_matching.engine.arrays import BoolArray, FloatArray, IntArray
from tandem_matching.engine.bipartite import solve_bipartite
from tandem_matching.engine.candidates import POOL_SIZE, Candidates, generate
from tandem_matching.engine.errors import InvalidInput
from tandem_matching.engine.explain import pair_explanation, unmatched_reasons
from tandem_matching.engine.fairness import blocking_pairs, group_stats
from tandem_matching.engine.pairs import EXACT_MAX_EDGES, solve_pairs
from tandem_matching.engine.people import Population, build_population
from tandem_matching.engine.program import MENTOR_TYPES, Program, parse_program
from tandem_matching.engine.rules import RULES, RuleChecker
from tandem_matching.engine.scoring import factor_values, weighted_score

Progress = Callable[[str], None]

MATCH_PREFERENCE = 1e-6
"""Added to every solver weight, so that among equal scores more matches win."""
SOLVE_DEGREE = 10
"""One-to-one plans are solved on each person's heaviest candidate edges (pairs.thinned_pairs)."""


def _quiet(_: str) -> None:
    return None


@dataclass
class Kept:
    """Matches carried over from `--keep`, and what they occupy."""

    matches: list[dict[str, Any]] = field(default_factory=list)
    busy: set[int] = field(default_factory=set)  # people not free for a new match
    mentor_load: dict[int, int] = field(default_factory=dict)


def _parse_keep(document: Any, population: Population, program: Program) -> Kept:
    kept = Kept()
    if document is None:
        return kept
    if not isinstance(document, Mapping) or not isinstance(document.get("matches"), list):
        raise InvalidInput('existing plan: must be an object with a "matches" list')
    for position, match in enumerate(document["matches"]):
        members = match.get("members") if isinstance(match, Mapping) else None
        if not isinstance(members, list) or len(members) < 2 or not all(isinstance(m, str) for m in members):
            raise InvalidInput(f"existing plan: matches[{position}] needs a list of member ids")
        people = [population.index.get(m) for m in members]
        if any(p is None for p in people):
            continue
        indices = [int(p) for p in people if p is not None]
        if any(population.status[p] == "departed" for p in indices):
            continue
        kept.matches.append(dict(match))
        if program.type in MENTOR_TYPES:
            mentor, mentee = indices[0], indices[1]
            kept.mentor_load[mentor] = kept.mentor_load.get(mentor, 0) + 1
            kept.busy.add(mentee)
        else:
            kept.busy.update(indices)
    return kept


def plan(
    program_document: Any,
    participants: Sequence[Any],
    *,
    org: Sequence[Any] = (),
    keep: Any = None,
    top_k: int = 30,
    exact_max_edges: int = EXACT_MAX_EDGES,
    pool_size: int = POOL_SIZE,
    solve_degree: int | None = SOLVE_DEGREE,
    progress: Progress = _quiet,
) -> dict[str, Any]:
    """Return the contract's plan document; raises `InvalidInput` for bad input.

    `pool_size` caps the random pool of partners each person is compared with
    (candidates.py); `solve_degree` thins one-to-one graphs before solving
    (pairs.thinned_pairs), None solves on every candidate pair.
    """
    started = time.perf_counter()
    program = parse_program(program_document)
    population = build_population(participants, org)
    kept = _parse_keep(keep, population, program)
    checker = RuleChecker(population, program)
    progress(f"loaded {population.size} participants in {time.perf_counter() - started:.2f}s")

    if program.type == "group":
        from tandem_matching.engine.groups import plan_circles

        outcome = plan_circles(population, program, checker, kept, top_k=top_k, progress=progress)
        new_matches, reasons, person_score = outcome.matches, outcome.reasons, outcome.person_score
        blocking: dict[str, int] | None = None
    else:
        new_matches, reasons, person_score, blocking = _plan_one_to_one(
            population,
            program,
            checker,
            kept,
            top_k=top_k,
            exact_max_edges=exact_max_edges,
            pool_size=pool_size,
            solve_degree=solve_degree,
            progress=progress,
        )

    matches = kept.matches + new_matches
    matched = np.zeros(population.size, dtype=bool)
    for match in kept.matches:
        for member in match["members"]:
            person = population.index[member]
            matched[person] = True
            score = match.get("score")
            if isinstance(score, int | float) and np.isnan(person_score[person]):
                person_score[person] = float(score)
    for match in new_matches:
        for member in match["members"]:
            matched[population.index[member]] = True
    unmatched = [
        {"employee_id": population.ids[p], "reason": reasons.get(p, "not matched")}
        for p in np.flatnonzero(~matched).tolist()
    ]
    objective = sum(float(m["score"]) for m in matches if isinstance(m.get("score"), int | float))
    fairness = group_stats(population, matched, person_score)
    if blocking is not None:
        fairness["blocking_pairs"] = blocking
    progress(f"planned {len(matches)} matches, {len(unmatched)} unmatched")
    return {
        "matches": matches,
        "unmatched": unmatched,
        "stats": {
            "participants": population.size,
            "matched": int(matched.sum()),
            "objective": round(objective, 6),
            "seconds": round(time.perf_counter() - started, 6),
            "kept": len(kept.matches),
            "fairness": fairness,
        },
    }


def _offers(population: Population) -> BoolArray:
    result: BoolArray = np.diff(population.offered.indptr) > 0
    return result


def _wants(population: Population) -> BoolArray:
    result: BoolArray = np.diff(population.wanted.indptr) > 0
    return result


def _plan_one_to_one(
    population: Population,
    program: Program,
    checker: RuleChecker,
    kept: Kept,
    *,
    top_k: int,
    exact_max_edges: int,
    pool_size: int,
    solve_degree: int | None,
    progress: Progress,
) -> tuple[list[dict[str, Any]], dict[int, str], FloatArray, dict[str, int]]:
    n = population.size
    busy = np.zeros(n, dtype=bool)
    busy[list(kept.busy)] = True
    offers, wants = _offers(population), _wants(population)
    phase = time.perf_counter()
    if program.type in MENTOR_TYPES:
        residual = population.capacity.copy()
        for mentor, load in kept.mentor_load.items():
            residual[mentor] -= load
        mentees = np.flatnonzero(population.active & population.can_mentee & wants & ~busy)
        mentors = np.flatnonzero(population.active & population.can_mentor & offers & (residual > 0))
        candidates = generate(
            population,
            program,
            checker,
            mentees,
            mentors,
            two_way=False,
            top_k=top_k,
            pool_size=pool_size,
            progress=progress,
        )
    else:
        if program.type == "reciprocal":
            able = population.can_mentor & population.can_mentee & offers & wants
        else:
            able = (population.can_mentor | population.can_mentee) & (offers | wants)
        people = np.flatnonzero(population.active & able & ~busy)
        candidates = generate(
            population,
            program,
            checker,
            people,
            people,
            two_way=True,
            top_k=top_k,
            pool_size=pool_size,
            progress=progress,
        )
    progress(f"{candidates.a.size} candidate pairs in {time.perf_counter() - phase:.2f}s")
    phase = time.perf_counter()
    values = factor_values(
        population,
        program,
        candidates.a,
        candidates.b,
        cover_ab=candidates.cover_ab,
        cover_ba=candidates.cover_ba,
    )
    score = weighted_score(program, values)
    progress(f"scored in {time.perf_counter() - phase:.2f}s")
    phase = time.perf_counter()
    weight = score + MATCH_PREFERENCE
    progress(
        f"solving: {np.unique(np.concatenate([candidates.a, candidates.b])).size} people, "
        f"{candidates.a.size} candidate pairs"
    )
    if program.type in MENTOR_TYPES:
        mentor_local = np.searchsorted(mentors, candidates.a)
        mentee_local = np.searchsorted(mentees, candidates.b)
        chosen = solve_bipartite(
            residual[mentors],
            np.ones(mentees.size, dtype=np.int64),
            mentor_local,
            mentee_local,
            weight,
        ).edges
    else:
        chosen = solve_pairs(
            n, candidates.a, candidates.b, weight, exact_max_edges=exact_max_edges, degree=solve_degree
        ).edges
    progress(f"solved {chosen.size} matches in {time.perf_counter() - phase:.2f}s")
    phase = time.perf_counter()

    matches: list[dict[str, Any]] = []
    person_score = np.full(n, np.nan)
    partner_count = np.zeros(n, dtype=np.int64)
    for edge in chosen.tolist():
        a, b = int(candidates.a[edge]), int(candidates.b[edge])
        pair_values = {f: float(values[f][edge]) for f in values}
        matches.append(
            {
                "members": [population.ids[a], population.ids[b]],
                "score": round(float(score[edge]), 6),
                "explanation": pair_explanation(population, program, a, b, pair_values),
            }
        )
        for person in (a, b):
            previous = 0.0 if np.isnan(person_score[person]) else person_score[person] * partner_count[person]
            partner_count[person] += 1
            person_score[person] = (previous + float(score[edge])) / partner_count[person]
    progress(f"explaining: {len(matches)} matches written")
    reasons = unmatched_reasons(population, program, candidates, np.flatnonzero(partner_count == 0).tolist())
    blocking = _blocking(population, program, candidates, score, chosen=chosen, kept=kept)
    progress(f"explained in {time.perf_counter() - phase:.2f}s")
    return matches, reasons, person_score, blocking


def _blocking(
    population: Population,
    program: Program,
    candidates: Candidates,
    score: FloatArray,
    *,
    chosen: IntArray,
    kept: Kept,
) -> dict[str, int]:
    n = population.size
    together = np.zeros(candidates.a.size, dtype=bool)
    together[chosen] = True
    if program.type in MENTOR_TYPES:
        # A mentee holds its mentor's score; a mentor with room holds 0, a full one its
        # weakest mentee's score.
        mentee_has = np.zeros(n)
        mentee_has[candidates.b[chosen]] = score[chosen]
        weakest = np.full(n, np.inf)
        np.minimum.at(weakest, candidates.a[chosen], score[chosen])
        used = np.bincount(candidates.a[chosen], minlength=n)
        for mentor, load in kept.mentor_load.items():
            used[mentor] += load
        full = used >= population.capacity
        mentor_has = np.where(full & np.isfinite(weakest), weakest, 0.0)
        mentor_has[full & ~np.isfinite(weakest)] = np.inf
        current_a, current_b = mentor_has[candidates.a], mentee_has[candidates.b]
    else:
        has = np.zeros(n)
        has[candidates.a[chosen]] = score[chosen]
        has[candidates.b[chosen]] = score[chosen]
        current_a, current_b = has[candidates.a], has[candidates.b]
    return blocking_pairs(
        candidates.a,
        candidates.b,
        score,
        current_a=current_a,
        current_b=current_b,
        together=together,
    )


__all__ = ["RULES", "plan"]
