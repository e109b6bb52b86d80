"""Recall of the top-k candidates, and a maximum-cardinality bound, on one population.

The plan as `tandem match plan` makes it (top-k candidates from sampled pools) is
compared with the plan over every eligible pair: candidates with no top-k cut and no
sampling, solved without thinning (the assignment relaxation on all pairs, or the exact
min-cost flow for mentor programs). The number of matched people is compared with an
upper bound on any matching under the same rules: Hopcroft-Karp on the bipartite
double cover of the eligible graph for one-to-one programs (a maximum fractional
matching, at least the largest matching), and for mentor programs the most mentees
that can be matched (mentor capacities) plus the most mentors that can each take one,
at most everyone with an eligible partner.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import maximum_bipartite_matching

from tandem_matching.engine.candidates import generate
from tandem_matching.engine.people import build_population
from tandem_matching.engine.planner import plan
from tandem_matching.engine.program import parse_program
from tandem_matching.engine.rules import RuleChecker

EVERY = 10**9


def _matched(a: np.ndarray, b: np.ndarray, left: int, right: int) -> int:
    if a.size == 0:
        return 0
    graph = sp.csr_matrix((np.ones(a.size), (a, b)), shape=(left, right))
    return int((maximum_bipartite_matching(graph, perm_type="column") >= 0).sum())


def cardinality_bound(program_document: dict[str, Any], people: list[dict[str, Any]]) -> tuple[int, int]:
    """(upper bound on matched people, eligible pairs) under the program's rules."""
    population = build_population(people)
    program = parse_program(program_document)
    checker = RuleChecker(population, program)
    offers = np.diff(population.offered.indptr) > 0
    wants = np.diff(population.wanted.indptr) > 0
    n = population.size
    if program.type in ("reverse", "traditional"):
        mentees = np.flatnonzero(population.active & population.can_mentee & wants)
        mentors = np.flatnonzero(
            population.active & population.can_mentor & offers & (population.capacity > 0)
        )
        found = generate(
            population,
            program,
            checker,
            mentees,
            mentors,
            two_way=False,
            top_k=EVERY,
            pool_size=EVERY,
            progress=lambda _: None,
        )
        capacity = population.capacity[found.a]
        slots = np.concatenate([[0], np.cumsum(population.capacity)])
        slot_a = np.repeat(slots[found.a], capacity) + (
            np.arange(int(capacity.sum())) - np.repeat(np.cumsum(capacity) - capacity, capacity)
        )
        slot_b = np.repeat(found.b, capacity)
        mentees_bound = _matched(slot_b, slot_a, n, int(slots[-1]))
        mentors_bound = _matched(found.a, found.b, n, n)
        people = np.unique(np.concatenate([found.a, found.b])).size
        return min(mentees_bound + mentors_bound, people), int(found.a.size)
    able = population.can_mentor & population.can_mentee & offers & wants
    if program.type == "peer":
        able = (population.can_mentor | population.can_mentee) & (offers | wants)
    everyone = np.flatnonzero(population.active & able)
    found = generate(
        population,
        program,
        checker,
        everyone,
        everyone,
        two_way=True,
        top_k=EVERY,
        pool_size=EVERY,
        progress=lambda _: None,
    )
    cover = _matched(np.concatenate([found.a, found.b]), np.concatenate([found.b, found.a]), n, n)
    return cover, int(found.a.size)


def recall(program_document: dict[str, Any], people: list[dict[str, Any]]) -> dict[str, Any]:
    started = time.perf_counter()
    top_k = plan(program_document, people)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    exhaustive = plan(program_document, people, top_k=EVERY, pool_size=EVERY, solve_degree=None)
    exhaustive_seconds = time.perf_counter() - started
    bound, eligible_pairs = cardinality_bound(program_document, people)
    objective = float(top_k["stats"]["objective"])
    best = float(exhaustive["stats"]["objective"])
    matched = int(top_k["stats"]["matched"])
    return {
        "objective": objective,
        "exhaustive": best,
        "recall": objective / best if best else 1.0,
        "exhaustive_bound": "exact min-cost flow"
        if program_document["type"] in ("reverse", "traditional")
        else "assignment relaxation on every pair",
        "eligible_pairs": eligible_pairs,
        "matched": matched,
        "exhaustive_matched": int(exhaustive["stats"]["matched"]),
        "cardinality_bound": bound,
        "cardinality_ratio": matched / bound if bound else 1.0,
        "seconds": seconds,
        "exhaustive_seconds": exhaustive_seconds,
    }
