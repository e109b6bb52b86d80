"""`solve`: a weighted graph in, a maximum-weight matching out (plain data both ways)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

from tandem_matching.engine.bipartite import solve_bipartite
from tandem_matching.engine.graph import BipartiteGraph, parse_graph
from tandem_matching.engine.pairs import EXACT_MAX_EDGES, solve_pairs

Progress = Callable[[str], None]


def _quiet(_: str) -> None:
    return None


def solve(
    graph: Any,
    *,
    exact_max_edges: int = EXACT_MAX_EDGES,
    progress: Progress = _quiet,
) -> dict[str, Any]:
    """Validate `graph` (the contract's GRAPH.json document) and return the result document.

    Raises `InvalidInput` for bad input. The result carries `pairs`, `objective` (the sum
    of the weights of the returned pairs), `solver` and `seconds`.
    """
    started = time.perf_counter()
    parsed = parse_graph(graph)
    progress(f"validated {parsed.u.size} edges in {time.perf_counter() - started:.2f}s")
    solving = time.perf_counter()
    if isinstance(parsed, BipartiteGraph):
        bipartite = solve_bipartite(
            parsed.mentor_capacity, parsed.mentee_capacity, parsed.u, parsed.v, parsed.w
        )
        chosen = bipartite.edges.tolist()
        solver = bipartite.solver
        pairs = [[parsed.mentor_ids[parsed.u[e]], parsed.mentee_ids[parsed.v[e]]] for e in chosen]
    else:
        solution = solve_pairs(len(parsed.ids), parsed.u, parsed.v, parsed.w, exact_max_edges=exact_max_edges)
        chosen = solution.edges.tolist()
        solver = solution.solver
        pairs = [[parsed.ids[parsed.u[e]], parsed.ids[parsed.v[e]]] for e in chosen]
        objective_so_far = math.fsum(parsed.weights[e] for e in chosen)
        if solution.upper_bound > 0:
            progress(
                f"certified: objective is at least "
                f"{100 * objective_so_far / solution.upper_bound:.4f}% of the optimum"
            )
    progress(f"solved with {solver} in {time.perf_counter() - solving:.2f}s")
    objective = math.fsum(parsed.weights[e] for e in chosen)
    return {
        "pairs": pairs,
        "objective": objective,
        "solver": solver,
        "seconds": round(time.perf_counter() - started, 6),
    }
