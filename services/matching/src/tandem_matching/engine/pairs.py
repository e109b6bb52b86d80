"""Maximum-weight matching on a general graph.

Small graphs are solved exactly with Edmonds' blossom algorithm (rustworkx). Larger
graphs use the assignment relaxation on the doubled graph:

1. Every node `x` gets a left copy and a right copy; each edge `{x, y}` becomes the two
   arcs `x_L -> y_R` and `y_L -> x_R`, and `x_L -> x_R` is a slack arc of weight 0, so
   a perfect assignment always exists. A maximum-weight assignment is a permutation
   whose cycles cover the graph (a 2-factor relaxation). Swapping the two ends of
   every pair of a matching `M` is such a permutation with weight `2 w(M)`, so half
   the assignment's weight is an upper bound on the optimum matching.
2. Each cycle of the permutation is turned into the best matching on that cycle
   (2-cycles are pairs already; longer cycles by dynamic programming).
3. Local search adds edges between free nodes and lets a free node take a partner
   whose current edge is lighter (augmenting paths of length up to 3).

The assignment is solved by OR-Tools' cost-scaling assignment algorithm on integer costs
(weights scaled to a resolution between 1e-4 and 1e-7 of the largest weight); the bound
accounts for the rounding. The result is at least 2/3 of the upper bound (a 3-cycle
keeps its best edge, at least a third of its weight), and the bound certifies the gap
of every run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from tandem_matching.engine.arrays import FloatArray, IntArray
from tandem_matching.engine.integer_costs import solve_coarsening

# OR-Tools and SciPy are imported inside the relaxation's functions: a graph small
# enough for blossom never needs them, and loading them takes longer than solving it.

EXACT_MAX_EDGES = 4000
"""Above this many edges the relaxation is used; blossom is cubic in the worst case."""

_INTEGER_SCALE = 1e12
_ASSIGNMENT_RESOLUTION = 1e7


@dataclass(frozen=True)
class PairsSolution:
    """Chosen edge indices, the method used, and an upper bound on the optimum."""

    edges: IntArray
    solver: str
    upper_bound: float


def solve_pairs(
    n: int,
    u: IntArray,
    v: IntArray,
    w: FloatArray,
    *,
    exact_max_edges: int = EXACT_MAX_EDGES,
    degree: int | None = None,
) -> PairsSolution:
    """Return a maximum-weight (or near-maximum, see module docs) matching.

    With `degree`, a graph above `exact_max_edges` is solved by `thinned_pairs`.
    """
    if u.size == 0:
        return PairsSolution(np.empty(0, dtype=np.int64), "empty", 0.0)
    if u.size <= exact_max_edges:
        edges = exact_pairs(n, u, v, w)
        return PairsSolution(edges, "blossom-exact", float(w[edges].sum()))
    if degree is not None:
        return thinned_pairs(n, u, v, w, degree=degree)
    return relaxed_pairs(n, u, v, w)


def exact_pairs(n: int, u: IntArray, v: IntArray, w: FloatArray) -> IntArray:
    """Edmonds' blossom on integer-scaled weights (rustworkx works in integers)."""
    import rustworkx

    graph = rustworkx.PyGraph(multigraph=False)
    graph.add_nodes_from(range(n))
    scale = _INTEGER_SCALE / float(w.max())
    scaled = np.maximum(np.rint(w * scale), 1).astype(np.int64)
    graph.add_edges_from(list(zip(u.tolist(), v.tolist(), scaled.tolist(), strict=True)))
    mates = rustworkx.max_weight_matching(graph, weight_fn=int)
    lookup = _edge_lookup(n, u, v)
    keys = [min(a, b) * n + max(a, b) for a, b in mates]
    return np.sort(np.asarray([lookup[key] for key in keys], dtype=np.int64))


def _edge_lookup(n: int, u: IntArray, v: IntArray) -> dict[int, int]:
    keys = (np.minimum(u, v) * n + np.maximum(u, v)).tolist()
    return {key: position for position, key in enumerate(keys)}


def strongest_edges(n: int, u: IntArray, v: IntArray, w: FloatArray, degree: int) -> IntArray:
    """Indices of the edges that are among the `degree` heaviest of at least one end."""
    node = np.concatenate([u, v])
    edge = np.concatenate([np.arange(u.size, dtype=np.int64), np.arange(u.size, dtype=np.int64)])
    order = np.lexsort((-w[edge], node))
    sorted_node = node[order]
    starts = np.flatnonzero(np.r_[True, sorted_node[1:] != sorted_node[:-1]])
    rank = np.arange(sorted_node.size) - np.repeat(starts, np.diff(np.r_[starts, sorted_node.size]))
    keep = np.zeros(u.size, dtype=bool)
    keep[edge[order[rank < degree]]] = True
    kept: IntArray = np.flatnonzero(keep)
    return kept


def thinned_pairs(n: int, u: IntArray, v: IntArray, w: FloatArray, *, degree: int) -> PairsSolution:
    """The relaxation on the `degree` heaviest edges of every node, then local search on all.

    For candidate graphs, where every person brings dozens of similar partners, a
    maximum-weight matching rarely uses an edge that neither end ranks among its few
    best; solving on those first and then improving on the whole graph costs a
    fraction of the time. The upper bound is that of the thinned graph, so it is not
    a bound on the whole graph's optimum and is reported as not a bound (infinity).
    """
    kept = strongest_edges(n, u, v, w, degree)
    if kept.size == u.size:
        return relaxed_pairs(n, u, v, w)
    thin = relaxed_pairs(n, u[kept], v[kept], w[kept])
    chosen = kept[thin.edges]
    mate = np.full(n, -1, dtype=np.int64)
    mate_edge = np.full(n, -1, dtype=np.int64)
    mate[u[chosen]], mate[v[chosen]] = v[chosen], u[chosen]
    mate_edge[u[chosen]] = mate_edge[v[chosen]] = chosen
    _local_search(u=u, v=v, w=w, mate=mate, mate_edge=mate_edge)
    return PairsSolution(
        np.unique(mate_edge[mate_edge >= 0]),
        f"{thin.solver} on the {degree} heaviest edges of each node",
        float("inf"),
    )


def relaxed_pairs(n: int, u: IntArray, v: IntArray, w: FloatArray) -> PairsSolution:
    """The assignment relaxation with cycle repair and local search (module docs)."""
    from ortools.graph.python import linear_sum_assignment

    m = u.size
    nodes = np.arange(n, dtype=np.int64)
    rows = np.concatenate([u, v, nodes])
    cols = np.concatenate([v, u, nodes])
    edge_of = np.concatenate([np.arange(m), np.arange(m), np.full(n, -1)]).astype(np.int64)

    # The cost-scaling algorithm needs n times the largest cost to fit its price range,
    # so the resolution shrinks with n, and again if the solver still reports a risk.
    def attempt(resolution: float) -> tuple[object, tuple[Any, float, IntArray]]:
        scale = resolution / float(w.max())
        scaled = np.rint(w * scale).astype(np.int64)
        ceiling = int(scaled.max()) + 1
        costs = np.concatenate([ceiling - scaled, ceiling - scaled, np.full(n, ceiling)])
        assignment = linear_sum_assignment.SimpleLinearSumAssignment()
        assignment.add_arcs_with_cost(rows, cols, costs)
        return assignment.solve(), (assignment, scale, scaled)

    assignment, scale, scaled = solve_coarsening(
        attempt,
        min(_ASSIGNMENT_RESOLUTION, max(1e4, 1e12 / n)),
        factor=10,
        solved=linear_sum_assignment.SimpleLinearSumAssignment.OPTIMAL,
        too_large=linear_sum_assignment.SimpleLinearSumAssignment.POSSIBLE_OVERFLOW,
        what="assignment relaxation",
    )
    right_mate = assignment.right_mate
    successor = np.fromiter((right_mate(x) for x in range(n)), dtype=np.int64, count=n)

    # Recover which arc each node uses: sort arcs by (row, col) once, then search.
    arc_keys = rows * n + cols
    arc_order = np.argsort(arc_keys)
    wanted = nodes * n + successor
    found = arc_order[np.searchsorted(arc_keys[arc_order], wanted)]
    arc_edge = edge_of[found]
    arc_weight = np.where(arc_edge >= 0, w[np.maximum(arc_edge, 0)], 0.0)
    # Rounding moves any permutation's weight by at most n/2 units of 1/scale, so this
    # stays a valid bound on the float optimum.
    relaxation = (float(np.where(arc_edge >= 0, scaled[np.maximum(arc_edge, 0)], 0).sum()) + 0.5 * n) / scale
    upper_bound = relaxation / 2.0

    mate = np.full(n, -1, dtype=np.int64)
    mate_edge = np.full(n, -1, dtype=np.int64)
    two_cycle = (successor != nodes) & (successor[successor] == nodes)
    mate[two_cycle] = successor[two_cycle]
    mate_edge[two_cycle] = arc_edge[two_cycle]

    long_cycle = (successor != nodes) & ~two_cycle
    if long_cycle.any():
        _repair_long_cycles(
            n,
            nodes=nodes,
            successor=successor,
            arc_edge=arc_edge,
            arc_weight=arc_weight,
            long_cycle=long_cycle,
            mate=mate,
            mate_edge=mate_edge,
        )

    _local_search(u=u, v=v, w=w, mate=mate, mate_edge=mate_edge)
    chosen = np.unique(mate_edge[mate_edge >= 0])
    return PairsSolution(chosen, "assignment-relaxation+cycle-repair+local-search", upper_bound)


def _repair_long_cycles(
    n: int,
    *,
    nodes: IntArray,
    successor: IntArray,
    arc_edge: IntArray,
    arc_weight: FloatArray,
    long_cycle: npt.NDArray[np.bool_],
    mate: IntArray,
    mate_edge: IntArray,
) -> None:
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    members = nodes[long_cycle]
    link = sp.csr_matrix((np.ones(members.size), (members, successor[members])), shape=(n, n))
    _, label = connected_components(link, directed=True, connection="weak")
    starts: dict[int, int] = {}
    for node in members.tolist():
        starts.setdefault(int(label[node]), node)
    for start in starts.values():
        cycle = [start]
        node = int(successor[start])
        while node != start:
            cycle.append(node)
            node = int(successor[node])
        weights = [float(arc_weight[x]) for x in cycle]
        picks = _best_cycle_matching(weights)
        for position in picks:
            a = cycle[position]
            b = cycle[(position + 1) % len(cycle)]
            mate[a], mate[b] = b, a
            mate_edge[a] = mate_edge[b] = arc_edge[a]


def _best_path_matching(weights: list[float]) -> tuple[float, list[int]]:
    """Best set of non-adjacent links on a path whose link `i` joins nodes `i`, `i+1`."""
    take, skip = 0.0, 0.0
    take_choice: list[int] = []
    skip_choice: list[int] = []
    for position, weight in enumerate(weights):
        candidate = skip + weight
        if candidate > take:
            new_take, new_take_choice = candidate, [*skip_choice, position]
        else:
            new_take, new_take_choice = take, take_choice
        skip, skip_choice = max(take, skip), take_choice if take >= skip else skip_choice
        take, take_choice = new_take, new_take_choice
    return (take, take_choice) if take >= skip else (skip, skip_choice)


def _best_cycle_matching(weights: list[float]) -> list[int]:
    """Best matching on a cycle: either the closing link is unused, or link 0 is unused."""
    without_last = _best_path_matching(weights[:-1])
    without_first = _best_path_matching(weights[1:])
    if without_last[0] >= without_first[0]:
        return without_last[1]
    return [position + 1 for position in without_first[1]]


def _best_two(key: IntArray, weight: FloatArray, n: int) -> tuple[FloatArray, IntArray, FloatArray, IntArray]:
    """For each of `n` keys, the heaviest and second heaviest entry (weight, position)."""
    best_w, second_w = np.zeros(n), np.zeros(n)
    best_at, second_at = np.full(n, -1, dtype=np.int64), np.full(n, -1, dtype=np.int64)
    if key.size == 0:
        return best_w, best_at, second_w, second_at
    order = np.lexsort((-weight, key))
    sorted_key = key[order]
    first = np.r_[True, sorted_key[1:] != sorted_key[:-1]]
    second = np.r_[False, first[:-1]] & ~first
    best_w[sorted_key[first]] = weight[order[first]]
    best_at[sorted_key[first]] = order[first]
    second_w[sorted_key[second]] = weight[order[second]]
    second_at[sorted_key[second]] = order[second]
    return best_w, best_at, second_w, second_at


def _local_search(
    *,
    u: IntArray,
    v: IntArray,
    w: FloatArray,
    mate: IntArray,
    mate_edge: IntArray,
    rounds: int = 4,
) -> None:
    """Improve the matching by short augmenting moves (module docs), round after round.

    Each round first links free pairs, heaviest edge first, then lets free nodes take a
    matched neighbour `y` whose current edge is lighter, re-pairing `y`'s old partner
    with its best free neighbour. Moves are proposed for all free nodes at once on whole
    arrays and applied one by one, best gain first, each re-checked against the
    matching as it stands.
    """
    m = u.size
    tail = np.concatenate([u, v])
    head = np.concatenate([v, u])
    arc_edge = np.concatenate([np.arange(m, dtype=np.int64), np.arange(m, dtype=np.int64)])

    def link(edge: int) -> None:
        a, b = int(u[edge]), int(v[edge])
        mate[a], mate[b] = b, a
        mate_edge[a] = mate_edge[b] = edge

    for _ in range(rounds):
        improved = False
        free = mate < 0
        both_free = np.flatnonzero(free[u] & free[v])
        for edge in both_free[np.argsort(-w[both_free], kind="stable")].tolist():
            if mate[u[edge]] < 0 and mate[v[edge]] < 0:
                link(edge)
                improved = True
        free = mate < 0
        # Arcs from a free node to a matched one.
        chosen = np.flatnonzero(free[tail] & (mate[head] >= 0))
        x, y, edge = tail[chosen], head[chosen], arc_edge[chosen]
        if x.size:
            # The best two free neighbours of every matched node (its partner's follow-up).
            best_w, best_at, second_w, second_at = _best_two(y, w[edge], mate.size)
            partner = mate[y]
            other = best_at[partner] >= 0
            other[other] = x[best_at[partner[other]]] == x[other]
            follow_at = np.where(other, second_at[partner], best_at[partner])
            follow_w = np.where(other, second_w[partner], best_w[partner])
            gain = w[edge] - w[mate_edge[y]] + follow_w
            good = np.flatnonzero(gain > 1e-12)
            order = good[np.argsort(-gain[good], kind="stable")]
            for move in order.tolist():
                a, b, p = int(x[move]), int(y[move]), int(partner[move])
                if mate[a] >= 0 or mate[b] != p:
                    continue
                follow = int(follow_at[move])
                follow_edge = int(edge[follow]) if follow >= 0 else -1
                if follow_edge >= 0 and mate[int(x[follow])] >= 0:
                    follow_edge = -1
                now = float(w[edge[move]] - w[mate_edge[b]]) + (
                    float(w[follow_edge]) if follow_edge >= 0 else 0.0
                )
                if now <= 1e-12:
                    continue
                mate[p] = -1
                mate_edge[p] = -1
                link(int(edge[move]))
                if follow_edge >= 0:
                    link(follow_edge)
                improved = True
        if not improved:
            break
