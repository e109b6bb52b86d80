"""Validation of a `solve` graph and its conversion to index arrays.

Ids become dense integer indices once, here, so that the solvers work on numpy arrays
only. Every check the contract lists as bad input raises `InvalidInput` with a message
that names the offending node or edge.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tandem_matching.engine.arrays import FloatArray, IntArray
from tandem_matching.engine.errors import InvalidInput


@dataclass(frozen=True)
class PairsGraph:
    """A general graph: node `i` is `ids[i]`; edge `e` joins `u[e]` and `v[e]`."""

    ids: list[str]
    u: IntArray
    v: IntArray
    w: FloatArray
    weights: list[float]


@dataclass(frozen=True)
class BipartiteGraph:
    """Edge `e` joins mentor `u[e]` and mentee `v[e]`; capacities bound each side."""

    mentor_ids: list[str]
    mentee_ids: list[str]
    mentor_capacity: IntArray
    mentee_capacity: IntArray
    u: IntArray
    v: IntArray
    w: FloatArray
    weights: list[float]


def _node_list(graph: Mapping[str, Any], key: str, with_capacity: bool) -> tuple[list[str], list[int]]:
    raw = graph.get(key)
    if not isinstance(raw, list):
        raise InvalidInput(f'"{key}" must be a list of nodes')
    ids: list[str] = []
    capacities: list[int] = []
    seen: set[str] = set()
    for position, node in enumerate(raw):
        if not isinstance(node, Mapping):
            raise InvalidInput(f'{key}[{position}] must be an object with an "id"')
        node_id = node.get("id")
        if not isinstance(node_id, str) or not node_id:
            raise InvalidInput(f'{key}[{position}] has no string "id"')
        if node_id in seen:
            raise InvalidInput(f"duplicate node id {node_id!r} in {key}")
        seen.add(node_id)
        ids.append(node_id)
        if with_capacity:
            capacity = node.get("capacity", 1)
            if isinstance(capacity, bool) or not isinstance(capacity, int) or capacity < 1:
                raise InvalidInput(
                    f"capacity of {key[:-1]} {node_id!r} must be an integer of 1 or more, got {capacity!r}"
                )
            capacities.append(capacity)
        elif "capacity" in node:
            raise InvalidInput(f'node {node_id!r}: "capacity" is only allowed in bipartite graphs')
    return ids, capacities


def _edge_arrays(
    raw_edges: Any,
    left_index: Mapping[str, int],
    right_index: Mapping[str, int],
    left_name: str,
    right_name: str,
) -> tuple[IntArray, IntArray, list[float]]:
    if not isinstance(raw_edges, list):
        raise InvalidInput('"edges" must be a list of [id, id, weight] triples')
    count = len(raw_edges)
    u = np.empty(count, dtype=np.int64)
    v = np.empty(count, dtype=np.int64)
    weights: list[float] = []
    append = weights.append
    for position, edge in enumerate(raw_edges):
        if not isinstance(edge, list) or len(edge) != 3:
            raise InvalidInput(f"edge {position} must be a [id, id, weight] triple, got {edge!r}")
        a, b, weight = edge
        left = left_index.get(a) if isinstance(a, str) else None
        if left is None:
            raise InvalidInput(f"edge {position} names unknown {left_name} id {a!r}")
        right = right_index.get(b) if isinstance(b, str) else None
        if right is None:
            raise InvalidInput(f"edge {position} names unknown {right_name} id {b!r}")
        if isinstance(weight, bool) or not isinstance(weight, int | float):
            raise InvalidInput(f"edge {position} ({a}, {b}) has a non-numeric weight {weight!r}")
        if not math.isfinite(weight) or weight <= 0:
            raise InvalidInput(
                f"edge {position} ({a}, {b}) has weight {weight!r}; weights must be finite and greater than 0"
            )
        u[position] = left
        v[position] = right
        append(float(weight))
    return u, v, weights


def _reject_duplicates(keys: IntArray, raw_edges: Any, what: str) -> None:
    if keys.size < 2:
        return
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    repeated = np.flatnonzero(sorted_keys[1:] == sorted_keys[:-1])
    if repeated.size:
        first, second = int(order[repeated[0]]), int(order[repeated[0] + 1])
        a, b = raw_edges[second][0], raw_edges[second][1]
        raise InvalidInput(f"duplicate {what} ({a}, {b}): edges {first} and {second}")


def parse_graph(graph: Any) -> PairsGraph | BipartiteGraph:
    """Validate a `solve` input document and return its index form."""
    if not isinstance(graph, Mapping):
        raise InvalidInput("the graph must be a JSON object")
    kind = graph.get("kind")
    if kind == "pairs":
        return _parse_pairs(graph)
    if kind == "bipartite":
        return _parse_bipartite(graph)
    raise InvalidInput(f'"kind" must be "pairs" or "bipartite", got {kind!r}')


def _parse_pairs(graph: Mapping[str, Any]) -> PairsGraph:
    ids, _ = _node_list(graph, "nodes", with_capacity=False)
    index = {node_id: i for i, node_id in enumerate(ids)}
    raw_edges = graph.get("edges")
    u, v, weights = _edge_arrays(raw_edges, index, index, "node", "node")
    loops = np.flatnonzero(u == v)
    if loops.size:
        position = int(loops[0])
        raise InvalidInput(f"edge {position} is a self-loop on node {ids[int(u[position])]!r}")
    low = np.minimum(u, v)
    high = np.maximum(u, v)
    _reject_duplicates(low * max(len(ids), 1) + high, raw_edges, "edge")
    return PairsGraph(ids, u, v, np.asarray(weights, dtype=np.float64), weights)


def _parse_bipartite(graph: Mapping[str, Any]) -> BipartiteGraph:
    if "nodes" in graph:
        raise InvalidInput('a bipartite graph lists "mentors" and "mentees", not "nodes"')
    mentor_ids, mentor_capacity = _node_list(graph, "mentors", with_capacity=True)
    mentee_ids, mentee_capacity = _node_list(graph, "mentees", with_capacity=True)
    mentor_index = {node_id: i for i, node_id in enumerate(mentor_ids)}
    mentee_index = {node_id: i for i, node_id in enumerate(mentee_ids)}
    raw_edges = graph.get("edges")
    u, v, weights = _edge_arrays(raw_edges, mentor_index, mentee_index, "mentor", "mentee")
    for position in range(len(weights)):
        # The same person may be listed on both sides; an edge to oneself is still a loop.
        if mentor_ids[int(u[position])] == mentee_ids[int(v[position])]:
            raise InvalidInput(f"edge {position} is a self-loop on node {mentor_ids[int(u[position])]!r}")
    _reject_duplicates(u * max(len(mentee_ids), 1) + v, raw_edges, "edge")
    return BipartiteGraph(
        mentor_ids,
        mentee_ids,
        np.asarray(mentor_capacity, dtype=np.int64),
        np.asarray(mentee_capacity, dtype=np.int64),
        u,
        v,
        np.asarray(weights, dtype=np.float64),
        weights,
    )
