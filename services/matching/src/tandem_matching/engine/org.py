"""The manager forest and a vectorised "is in the reporting line of" test.

Every person (participant or not) is a node whose parent is their manager. A depth-first
walk numbers each node on entry (`tin`) and after its subtree (`tout`), so `x` manages
`y` at some depth exactly when `tin[x] <= tin[y] < tout[x]`: one comparison per pair,
on whole arrays. Managers that are missing from the data make their reports roots.
Management cycles (bad HR data) are collapsed into a single node: everyone on a cycle is
in everyone else's chain, and the cycle's members share one interval.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from itertools import repeat
from typing import cast

import numpy as np

from tandem_matching.engine.arrays import BoolArray, IntArray


class ReportingLines:
    """Euler-tour intervals for the people named in `managers` (id -> manager id)."""

    def __init__(self, managers: Mapping[str, str | None]) -> None:
        ids = list(managers)
        n = len(ids)
        self.index = dict(zip(ids, range(n), strict=True))
        # Unknown managers (and no manager) give -1; being one's own manager makes a root.
        row_of = cast("Callable[[str | None, int], int]", self.index.get)
        parent = np.fromiter(map(row_of, managers.values(), repeat(-1)), dtype=np.int64, count=n)
        parent[parent == np.arange(n)] = -1
        node = np.arange(n, dtype=np.int64)
        if self._has_cycle(parent):
            self._collapse_cycles(parent, node)
        self.tin, self.tout = self._euler_tour(parent, node)
        self.node = node

    @staticmethod
    def _has_cycle(parent: IntArray) -> bool:
        """Pointer doubling: after k rounds `jump` is the 2^k-th manager up, or -1 past the top."""
        jump = parent.copy()
        for _ in range(max(parent.size, 1).bit_length()):
            up = np.flatnonzero(jump >= 0)
            if up.size == 0:
                return False
            jump[up] = jump[jump[up]]
        # 2^k > n steps up: only a chain that runs into a cycle has not reached the top.
        return bool((jump >= 0).any())

    @staticmethod
    def _collapse_cycles(parent: IntArray, node: IntArray) -> None:
        up = parent.tolist()
        representative_of = node.tolist()
        state = [0] * len(up)  # 0 new, 1 on current walk, 2 done
        for start in range(len(up)):
            if state[start]:
                continue
            walk = []
            current = start
            while current >= 0 and state[current] == 0:
                state[current] = 1
                walk.append(current)
                current = up[current]
            if current >= 0 and state[current] == 1:
                cycle = walk[walk.index(current) :]
                representative = cycle[0]
                for member in cycle:
                    representative_of[member] = representative
                up[representative] = -1
                for member in cycle[1:]:
                    up[member] = -2  # not a tree node of its own any more
            for member in walk:
                state[member] = 2
        parent[:] = up
        node[:] = representative_of

    @staticmethod
    def _euler_tour(parent: IntArray, node: IntArray) -> tuple[IntArray, IntArray]:
        """Depth-first from each root in id order, children in id order."""
        n = parent.size
        tree_parent = parent.copy()
        # Reports of a collapsed cycle member hang under the cycle's representative.
        attached = tree_parent >= 0
        tree_parent[attached] = node[tree_parent[attached]]
        reports = np.flatnonzero(tree_parent >= 0)
        by_manager = reports[np.argsort(tree_parent[reports], kind="stable")]
        first = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(np.bincount(tree_parent[reports], minlength=n), out=first[1:])
        children, first_child = by_manager.tolist(), first.tolist()
        order: list[int] = []
        for root in np.flatnonzero(tree_parent == -1).tolist():
            stack = [root]
            while stack:
                current = stack.pop()
                order.append(current)
                start, stop = first_child[current], first_child[current + 1]
                if start != stop:
                    stack.extend(reversed(children[start:stop]))
        up = tree_parent.tolist()
        size = [1] * n
        for current in reversed(order):
            above = up[current]
            if above >= 0:
                size[above] += size[current]
        visited = np.array(order, dtype=np.int64).reshape(len(order))
        tin = np.zeros(n, dtype=np.int64)
        tin[visited] = np.arange(visited.size, dtype=np.int64)
        tout = np.zeros(n, dtype=np.int64)
        tout[visited] = tin[visited] + np.array(size, dtype=np.int64).reshape(n)[visited]
        return tin[node], tout[node]

    def positions(self, people: Sequence[str]) -> tuple[IntArray, IntArray]:
        """`tin` and `tout` of each named person."""
        rows = np.fromiter((self.index[p] for p in people), dtype=np.int64, count=len(people))
        return self.tin[rows], self.tout[rows]


def in_reporting_line(tin: IntArray, tout: IntArray, a: IntArray, b: IntArray) -> BoolArray:
    """True where `a` and `b` are different people and one manages the other at any depth."""
    a_over_b = (tin[a] <= tin[b]) & (tin[b] < tout[a])
    b_over_a = (tin[b] <= tin[a]) & (tin[a] < tout[b])
    result: BoolArray = (a_over_b | b_over_a) & (a != b)
    return result
