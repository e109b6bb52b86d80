"""`solve`: known optima, and properties against networkx."""

from __future__ import annotations

import math
from typing import Any

import networkx as nx
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tandem_matching.engine import InvalidInput, solve
from tandem_matching.engine.pairs import relaxed_pairs


def pairs_graph(edges: list[tuple[str, str, float]]) -> dict[str, Any]:
    nodes = sorted({x for a, b, _ in edges for x in (a, b)})
    return {
        "kind": "pairs",
        "nodes": [{"id": n} for n in nodes],
        "edges": [[a, b, w] for a, b, w in edges],
    }


def both_methods(graph: dict[str, Any]) -> list[dict[str, Any]]:
    return [solve(graph), solve(graph, exact_max_edges=0)]


def test_path_where_greedy_takes_the_middle_edge() -> None:
    graph = pairs_graph([("a", "b", 1.0), ("b", "c", 1.5), ("c", "d", 1.0)])
    for result in both_methods(graph):
        assert sorted(map(sorted, result["pairs"])) == [["a", "b"], ["c", "d"]]
        assert result["objective"] == 2.0


def test_triangle_with_pendant_odd_cycle() -> None:
    graph = pairs_graph([("a", "b", 1.0), ("b", "c", 1.0), ("c", "a", 1.0), ("a", "d", 0.9)])
    for result in both_methods(graph):
        assert sorted(map(sorted, result["pairs"])) == [["a", "d"], ["b", "c"]]
        assert result["objective"] == pytest.approx(1.9)


def test_five_cycle_keeps_two_best_edges() -> None:
    graph = pairs_graph([("a", "b", 5.0), ("b", "c", 4.0), ("c", "d", 5.0), ("d", "e", 1.0), ("e", "a", 1.0)])
    for result in both_methods(graph):
        assert result["objective"] == 10.0
        assert sorted(map(sorted, result["pairs"])) == [["a", "b"], ["c", "d"]]


def test_ties_give_a_perfect_matching_of_the_square() -> None:
    graph = pairs_graph([("a", "b", 1.0), ("b", "c", 1.0), ("c", "d", 1.0), ("d", "a", 1.0)])
    for result in both_methods(graph):
        assert result["objective"] == 2.0
        assert len(result["pairs"]) == 2


def test_result_shape_matches_the_contract() -> None:
    result = solve(pairs_graph([("a", "b", 12.5), ("b", "c", 3.0)]))
    assert set(result) == {"pairs", "objective", "solver", "seconds"}
    assert result["pairs"] == [["a", "b"]]
    assert result["objective"] == 12.5


def test_bipartite_capacity_where_greedy_fails() -> None:
    graph = {
        "kind": "bipartite",
        "mentors": [{"id": "m1", "capacity": 2}, {"id": "m2"}],
        "mentees": [{"id": "e1"}, {"id": "e2"}, {"id": "e3"}],
        "edges": [
            ["m1", "e1", 10.0],
            ["m1", "e2", 9.0],
            ["m2", "e1", 9.5],
            ["m1", "e3", 1.0],
        ],
    }
    result = solve(graph)
    # Greedy gives m1-e1, m1-e2 (19) and leaves m2 idle; the optimum moves e1 to m2.
    assert sorted(result["pairs"]) == [["m1", "e2"], ["m1", "e3"], ["m2", "e1"]]
    assert result["objective"] == 19.5


def test_bipartite_does_not_force_cardinality() -> None:
    graph = {
        "kind": "bipartite",
        "mentors": [{"id": "m1"}, {"id": "m2"}],
        "mentees": [{"id": "e1"}, {"id": "e2"}],
        "edges": [["m1", "e1", 1.0], ["m1", "e2", 10.0], ["m2", "e2", 1.0]],
    }
    result = solve(graph)
    # Two pairs weigh 2; the single heavy pair weighs 10 and is the optimum.
    assert result["pairs"] == [["m1", "e2"]]
    assert result["objective"] == 10.0


def test_same_person_on_both_sides_cannot_pair_with_self() -> None:
    graph = {
        "kind": "bipartite",
        "mentors": [{"id": "x"}],
        "mentees": [{"id": "x"}],
        "edges": [["x", "x", 1.0]],
    }
    with pytest.raises(InvalidInput, match="self-loop"):
        solve(graph)


@st.composite
def random_graphs(draw: st.DrawFn) -> tuple[int, list[tuple[int, int, float]]]:
    n = draw(st.integers(2, 14))
    possible = [(a, b) for a in range(n) for b in range(a + 1, n)]
    chosen = draw(st.lists(st.sampled_from(possible), unique=True, max_size=40))
    weights = draw(
        st.lists(
            st.one_of(st.integers(1, 5).map(float), st.floats(0.01, 100.0)),
            min_size=len(chosen),
            max_size=len(chosen),
        )
    )
    return n, [(a, b, w) for (a, b), w in zip(chosen, weights, strict=True)]


def networkx_optimum(edges: list[tuple[int, int, float]]) -> float:
    graph = nx.Graph()
    graph.add_weighted_edges_from(edges)
    matching = nx.max_weight_matching(graph)
    return sum(graph[a][b]["weight"] for a, b in matching)


def check_result(result: dict[str, Any], edges: list[tuple[int, int, float]]) -> None:
    weight = {frozenset((f"n{a}", f"n{b}")): w for a, b, w in edges}
    used: set[str] = set()
    for a, b in result["pairs"]:
        assert frozenset((a, b)) in weight  # no edge outside the input
        assert a not in used and b not in used  # each node at most once
        used.update((a, b))
    assert result["objective"] == pytest.approx(
        math.fsum(weight[frozenset(p)] for p in result["pairs"]), abs=1e-12
    )


def as_document(n: int, edges: list[tuple[int, int, float]]) -> dict[str, Any]:
    return {
        "kind": "pairs",
        "nodes": [{"id": f"n{i}"} for i in range(n)],
        "edges": [[f"n{a}", f"n{b}", w] for a, b, w in edges],
    }


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(random_graphs())
def test_pairs_equals_networkx_optimum_on_small_graphs(
    graph: tuple[int, list[tuple[int, int, float]]],
) -> None:
    n, edges = graph
    result = solve(as_document(n, edges))
    check_result(result, edges)
    optimum = networkx_optimum(edges)
    assert result["objective"] == pytest.approx(optimum, rel=1e-9, abs=1e-9)


@settings(max_examples=300, deadline=None)
@given(random_graphs())
def test_relaxation_within_its_guarantee_and_bound(
    graph: tuple[int, list[tuple[int, int, float]]],
) -> None:
    n, edges = graph
    result = solve(as_document(n, edges), exact_max_edges=0)
    check_result(result, edges)
    optimum = networkx_optimum(edges)
    assert result["objective"] <= optimum + 1e-9
    assert result["objective"] >= (2.0 / 3.0) * optimum - 1e-9
    if edges:
        u = np.asarray([a for a, _, _ in edges], dtype=np.int64)
        v = np.asarray([b for _, b, _ in edges], dtype=np.int64)
        w = np.asarray([x for _, _, x in edges])
        assert relaxed_pairs(n, u, v, w).upper_bound >= optimum * (1 - 1e-9)


def test_relaxation_close_to_exact_on_a_larger_random_graph() -> None:
    rng = np.random.default_rng(7)
    n = 1500
    u = rng.integers(0, n, 8000)
    v = rng.integers(0, n, 8000)
    keep = u != v
    keys = np.unique(np.minimum(u, v)[keep] * n + np.maximum(u, v)[keep])
    edges = [
        (int(k // n), int(k % n), float(w)) for k, w in zip(keys, rng.uniform(0.1, 1, keys.size), strict=True)
    ]
    exact = solve(as_document(n, edges), exact_max_edges=10**9)
    relaxed = solve(as_document(n, edges), exact_max_edges=0)
    assert relaxed["objective"] >= 0.995 * exact["objective"]
    assert relaxed["objective"] <= exact["objective"] + 1e-9


@st.composite
def random_bipartite(draw: st.DrawFn) -> dict[str, Any]:
    mentors = draw(st.integers(1, 5))
    mentees = draw(st.integers(1, 7))
    capacities = draw(st.lists(st.integers(1, 3), min_size=mentors, max_size=mentors))
    possible = [(m, e) for m in range(mentors) for e in range(mentees)]
    chosen = draw(st.lists(st.sampled_from(possible), unique=True, max_size=20))
    weights = draw(st.lists(st.floats(0.01, 50.0), min_size=len(chosen), max_size=len(chosen)))
    return {
        "kind": "bipartite",
        "mentors": [{"id": f"m{i}", "capacity": c} for i, c in enumerate(capacities)],
        "mentees": [{"id": f"e{i}"} for i in range(mentees)],
        "edges": [[f"m{m}", f"e{e}", w] for (m, e), w in zip(chosen, weights, strict=True)],
    }


@settings(max_examples=100, deadline=None)
@given(random_bipartite())
def test_bipartite_is_exact_and_respects_capacities(graph: dict[str, Any]) -> None:
    result = solve(graph)
    weight = {(a, b): w for a, b, w in graph["edges"]}
    capacity = {m["id"]: m["capacity"] for m in graph["mentors"]}
    load: dict[str, int] = {}
    mentees: set[str] = set()
    for mentor, mentee in result["pairs"]:
        assert (mentor, mentee) in weight
        load[mentor] = load.get(mentor, 0) + 1
        assert mentee not in mentees
        mentees.add(mentee)
    assert all(load[m] <= capacity[m] for m in load)
    assert result["objective"] == pytest.approx(
        math.fsum(weight[tuple(p)] for p in result["pairs"]),
        abs=1e-12,  # type: ignore[index]
    )
    expanded = nx.Graph()
    for mentor, mentee, w in graph["edges"]:
        for slot in range(capacity[mentor]):
            expanded.add_edge((mentor, slot), mentee, weight=w)
    optimum = sum(expanded[a][b]["weight"] for a, b in nx.max_weight_matching(expanded))
    assert result["objective"] == pytest.approx(optimum, rel=1e-7)
