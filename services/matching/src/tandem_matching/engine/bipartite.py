"""Maximum-weight b-matching between mentors and mentees, exactly, by min-cost flow.

Network: source -> mentor (capacity = mentor capacity, cost 0), mentor -> mentee
(capacity 1, cost = -weight), mentee -> sink (capacity = mentee capacity, cost 0), and
a bypass source -> sink at cost 0, so the flow may leave any pair out: an edge is used
only when it lowers the cost, which is exactly a maximum-weight (not maximum-cardinality)
b-matching. OR-Tools' cost-scaling min-cost flow is exact on integer costs; weights are
scaled to integers (resolution 1e-9 of the largest weight, coarser for huge inputs) and
the objective is reported from the original weights.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from tandem_matching.engine.arrays import FloatArray, IntArray
from tandem_matching.engine.integer_costs import solve_coarsening

_RESOLUTION = 1e9


@dataclass(frozen=True)
class BipartiteSolution:
    edges: IntArray
    solver: str


def solve_bipartite(
    mentor_capacity: IntArray,
    mentee_capacity: IntArray,
    u: IntArray,
    v: IntArray,
    w: FloatArray,
) -> BipartiteSolution:
    """Return the indices of the chosen edges of a maximum-weight b-matching."""
    if u.size == 0:
        return BipartiteSolution(np.empty(0, dtype=np.int64), "empty")
    # Imported here so that importing the engine, as every pairs solve does, does not
    # load OR-Tools.
    from ortools.graph.python import min_cost_flow

    mentors = mentor_capacity.size
    mentees = mentee_capacity.size
    source = mentors + mentees
    sink = source + 1
    # Total flow can never usefully exceed the smaller side's capacity or the edge count.
    supply = int(min(mentor_capacity.sum(), mentee_capacity.sum(), u.size))
    mentor_nodes = np.arange(mentors, dtype=np.int64)
    mentee_nodes = mentors + np.arange(mentees, dtype=np.int64)
    tails = np.concatenate([np.full(mentors, source), u, mentee_nodes, [source]])
    heads = np.concatenate([mentor_nodes, mentors + v, np.full(mentees, sink), [sink]])
    capacities = np.concatenate([mentor_capacity, np.ones(u.size, dtype=np.int64), mentee_capacity, [supply]])
    supplies = np.zeros(sink + 1, dtype=np.int64)
    supplies[source] = supply
    supplies[sink] = -supply

    def attempt(resolution: float) -> tuple[object, tuple[Any, Any]]:
        scale = resolution / float(w.max())
        costs = -np.maximum(np.rint(w * scale), 1).astype(np.int64)
        flow = min_cost_flow.SimpleMinCostFlow()
        unit_costs = np.concatenate(
            [np.zeros(mentors, dtype=np.int64), costs, np.zeros(mentees, dtype=np.int64), [0]]
        )
        arcs = flow.add_arcs_with_capacity_and_unit_cost(tails, heads, capacities, unit_costs)
        flow.set_nodes_supplies(np.arange(sink + 1, dtype=np.int64), supplies)
        return flow.solve(), (flow, arcs)

    flow, arcs = solve_coarsening(
        attempt,
        min(_RESOLUTION, max(1e4, 1e15 / (u.size + mentors + mentees))),
        factor=100,
        solved=min_cost_flow.SimpleMinCostFlow.OPTIMAL,
        too_large=min_cost_flow.SimpleMinCostFlow.BAD_COST_RANGE,
        what="min-cost flow",
    )
    pair_arcs = np.asarray(arcs, dtype=np.int64)[mentors : mentors + u.size]
    used = np.asarray(flow.flows(pair_arcs), dtype=np.int64) > 0
    return BipartiteSolution(np.flatnonzero(used).astype(np.int64), "min-cost-flow-exact")
