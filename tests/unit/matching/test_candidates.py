"""Candidate generation: top-k selection, the exact "no eligible partner", thinned solving."""

from __future__ import annotations

from typing import Any

import networkx as nx
import numpy as np
import pytest

from tandem_matching.engine import candidates as candidates_module
from tandem_matching.engine.candidates import Candidates, _top_k, generate
from tandem_matching.engine.pairs import strongest_edges, thinned_pairs
from tandem_matching.engine.people import Population, build_population
from tandem_matching.engine.program import parse_program
from tandem_matching.engine.rules import RuleChecker
from tandem_matching.engine.scoring import coverage, factor_values, weighted_score
from tandem_testkit.matching_synthetic import organisation, program


def sides(population: Population, kind: str) -> tuple[np.ndarray, np.ndarray, bool]:
    offers = np.diff(population.offered.indptr) > 0
    wants = np.diff(population.wanted.indptr) > 0
    if kind in ("reverse", "traditional"):
        mentees = np.flatnonzero(population.active & population.can_mentee & wants)
        mentors = np.flatnonzero(
            population.active & population.can_mentor & offers & (population.capacity > 0)
        )
        return mentees, mentors, False
    able = population.can_mentor & population.can_mentee & offers & wants
    people = np.flatnonzero(population.active & able)
    return people, people, True


def scan(
    people: list[dict[str, Any]], document: dict[str, Any], *, top_k: int, pool_size: int
) -> tuple[Population, Candidates, np.ndarray, np.ndarray]:
    population = build_population(people)
    prog = parse_program(document)
    rows, columns, two_way = sides(population, prog.type)
    found = generate(
        population,
        prog,
        RuleChecker(population, prog),
        rows,
        columns,
        two_way=two_way,
        top_k=top_k,
        pool_size=pool_size,
        progress=lambda _: None,
    )
    return population, found, rows, columns


def test_top_k_keeps_exactly_the_best_of_each_group() -> None:
    rng = np.random.default_rng(4)
    group = rng.integers(0, 50, 20_000)
    # Coarse scores make many ties and many entries in one histogram bucket.
    score = np.round(rng.random(20_000), 2)
    kept = _top_k(group, score, 7, 50)
    for g in range(50):
        mine = np.sort(score[kept[group[kept] == g]])[::-1]
        best = np.sort(score[group == g])[::-1][:7]
        assert mine.tolist() == best.tolist()


@pytest.mark.parametrize(
    ("kind", "vocabulary", "rules"),
    [
        ("reverse", "dense", {"exclude_same_department": True}),
        ("reciprocal", "dense", {"min_timezone_overlap_hours": 6}),
        ("traditional", "large", {}),
        ("reciprocal", "large", {"exclude_same_department": True}),
    ],
)
def test_no_eligible_partner_is_exact_with_small_pools(
    kind: str, vocabulary: str, rules: dict[str, Any]
) -> None:
    people = organisation(1_200, seed=8, vocabulary=vocabulary)
    previous = [[people[i]["employee_id"], people[i + 3]["employee_id"]] for i in range(0, 1_000, 5)]
    document = program(kind, exclude_previous_pairs=previous, **rules)
    # Pools of 60 partners: most people meet only a small sample of theirs.
    _, sampled, rows, columns = scan(people, document, top_k=5, pool_size=60)
    _, full, _, _ = scan(people, document, top_k=5, pool_size=10**9)
    involved = np.union1d(rows, columns)
    lonely = involved[full.eligible[involved] == 0]
    assert lonely.size > 0
    # The same people are found without an eligible partner...
    assert np.array_equal(involved[sampled.eligible[involved] == 0], lonely)
    # ...with the same reasons: skill-compatible count and removals by each rule.
    only_one_side = (
        lonely[~(np.isin(lonely, rows) & np.isin(lonely, columns))] if kind != "reciprocal" else lonely
    )
    assert only_one_side.size > 0
    assert np.array_equal(sampled.skill_compatible[only_one_side], full.skill_compatible[only_one_side])
    assert np.array_equal(sampled.broken[only_one_side], full.broken[only_one_side])


def test_every_person_keeps_their_best_partner() -> None:
    people = organisation(400, seed=2, vocabulary="dense")
    document = program("reciprocal")
    population, found, rows, _ = scan(people, document, top_k=3, pool_size=candidates_module.POOL_SIZE)
    prog = parse_program(document)
    # Every pair by brute force: skills from the coverage of each direction, then rules.
    a, b = np.meshgrid(rows, rows, indexing="ij")
    a, b = a.ravel(), b.ravel()
    keep = a != b
    a, b = a[keep], b[keep]
    ab, ba = coverage(population, a, b), coverage(population, b, a)
    fits = (ab > 0) & (ba > 0) & (RuleChecker(population, prog).first_broken_rule(a, b) < 0)
    a, b, ab, ba = a[fits], b[fits], ab[fits], ba[fits]
    score = weighted_score(
        prog, factor_values(population, prog, a, b, cover_ab=ab, cover_ba=ba, with_goals=False)
    )
    best = np.full(population.size, -1.0)
    np.maximum.at(best, a, score)
    kept_score = weighted_score(
        prog,
        factor_values(
            population,
            prog,
            found.a,
            found.b,
            cover_ab=found.cover_ab,
            cover_ba=found.cover_ba,
            with_goals=False,
        ),
    )
    kept_best = np.full(population.size, -1.0)
    np.maximum.at(kept_best, found.a, kept_score)
    np.maximum.at(kept_best, found.b, kept_score)
    has_partner = best >= 0
    assert has_partner.sum() > 100
    assert np.allclose(kept_best[has_partner], best[has_partner])
    assert (kept_best[~has_partner] < 0).all()


def test_strongest_edges_keep_each_nodes_heaviest() -> None:
    u = np.array([0, 0, 0, 1, 2])
    v = np.array([1, 2, 3, 2, 3])
    w = np.array([0.9, 0.5, 0.1, 0.8, 0.2])
    # Node 0 keeps 0-1; node 1 keeps 0-1; node 2 keeps 1-2; node 3 keeps 2-3.
    assert strongest_edges(4, u, v, w, 1).tolist() == [0, 3, 4]


def test_thinned_solve_is_a_matching_close_to_exact() -> None:
    rng = np.random.default_rng(9)
    n, m = 400, 8_000
    u, v = rng.integers(0, n, m), rng.integers(0, n, m)
    keys = np.unique(np.minimum(u, v)[u != v] * n + np.maximum(u, v)[u != v])
    u, v = keys // n, keys % n
    w = np.round(rng.uniform(0.05, 1.0, u.size), 4)
    solution = thinned_pairs(n, u, v, w, degree=6)
    ends = np.concatenate([u[solution.edges], v[solution.edges]])
    assert np.unique(ends).size == ends.size
    graph = nx.Graph()
    graph.add_weighted_edges_from(zip(u.tolist(), v.tolist(), w.tolist(), strict=True))
    exact = sum(graph[x][y]["weight"] for x, y in nx.max_weight_matching(graph))
    assert w[solution.edges].sum() >= 0.99 * exact
