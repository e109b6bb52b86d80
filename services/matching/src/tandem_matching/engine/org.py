"""The manager forest and a vectorised "is in the reporting line of" test.

Every person (participant or not) is a node whose parent is their manager. A depth-first
walk numbers each node on entry (`tin`) and after its subtree (`tout`), so `x` manages
`y` at some depth exactly when `tin[x] <= tin[y] < tout[x]`: one comparison per pair,
on whole arrays. Managers that are missing from the data make their reports roots.
Management cycles (bad HR data) are collapsed into a single node: everyone on a cycle is
in everyone else's chain, and the cycle's members share one interval.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

from tandem_matching.engine.arrays import BoolArray, IntArray


class ReportingLines:
    """Euler-tour intervals for the people named in `managers` (id -> manager id)."""

    def __init__(self, managers: Mapping[str, str | None]) -> None:
        ids = list(managers)
        self.index = {person: i for i, person in enumerate(ids)}
        n = len(ids)
        parent = np.full(n, -1, dtype=np.int64)
        for person, manager in managers.items():
            if manager is not None and manager != person and manager in self.index:
                parent[self.index[person]] = self.index[manager]
        node = np.arange(n, dtype=np.int64)
        self._collapse_cycles(parent, node)
        self.tin, self.tout = self._euler_tour(parent, node)
        self.node = node

    @staticmethod
    def _collapse_cycles(parent: IntArray, node: IntArray) -> None:
        state = np.zeros(parent.size, dtype=np.int8)  # 0 new, 1 on current walk, 2 done
        for start in range(parent.size):
            if state[start]:
                continue
            walk = []
            current = start
            while current >= 0 and state[current] == 0:
                state[current] = 1
                walk.append(current)
                current = int(parent[current])
            if current >= 0 and state[current] == 1:
                cycle = walk[walk.index(current) :]
                representative = cycle[0]
                for member in cycle:
                    node[member] = representative
                parent[representative] = -1
                for member in cycle[1:]:
                    parent[member] = -2  # not a tree node of its own any more
            for member in walk:
                state[member] = 2

    @staticmethod
    def _euler_tour(parent: IntArray, node: IntArray) -> tuple[IntArray, IntArray]:
        n = parent.size
        tree_parent = parent.copy()
        # Reports of a collapsed cycle member hang under the cycle's representative.
        attached = tree_parent >= 0
        tree_parent[attached] = node[tree_parent[attached]]
        children: list[list[int]] = [[] for _ in range(n)]
        for child in np.flatnonzero(tree_parent >= 0).tolist():
            children[int(tree_parent[child])].append(child)
        tin = np.zeros(n, dtype=np.int64)
        tout = np.zeros(n, dtype=np.int64)
        clock = 0
        for root in np.flatnonzero(tree_parent == -1).tolist():
            stack = [(root, 0)]
            tin[root] = clock
            clock += 1
            while stack:
                current, position = stack[-1]
                if position < len(children[current]):
                    stack[-1] = (current, position + 1)
                    child = children[current][position]
                    tin[child] = clock
                    clock += 1
                    stack.append((child, 0))
                else:
                    tout[current] = clock
                    stack.pop()
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
