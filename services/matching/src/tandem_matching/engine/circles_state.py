"""The circles being built: who sits where, what a person adds to a circle, and the
elementary changes (open, add, remove, dissolve), each remembered for an undo while a
ruin-and-recreate step runs."""

from __future__ import annotations

import time
from collections.abc import Iterable

import numpy as np

from tandem_matching.engine.circles_model import PLACEMENT_PREFERENCE, Circle, CircleProblem

NEIGHBOURS = 24
"""Peer circles: each person considers the circles of this many compatible people."""
WORK_BASE = 150_000
WORK_PER_PERSON = 25
"""The search stops after this many value evaluations (a clock that gives the same
circles on any machine): 1-3 s for 60 people, 5-10 s for 10,000 on one core."""
MOVE_MENTORS = 12
"""Moves and swaps look at the circles of a member's best-scoring mentors only."""
SEED = 0


class CircleState:
    """Who sits where, with the search's random generator and its work clock."""

    def __init__(self, problem: CircleProblem, *, seed: int = SEED) -> None:
        self.p = problem
        self.rng = np.random.default_rng(seed)
        n = problem.size
        self.circles: list[Circle | None] = []
        self.circle_of = [-1] * n  # the circle a person sits in, as member or leader
        self.lead_of = [-1] * n  # the circle a person leads (mentor circles)
        self.neighbours = self._neighbours() if problem.style == "peer" else []
        self._saved: dict[int, tuple[int, list[int]] | None] | None = None
        self.work = 0  # value evaluations so far: the search's deterministic clock
        self.work_limit = WORK_BASE + WORK_PER_PERSON * problem.size
        self.top_mentors = [sorted(row, key=lambda m: -row[m])[:MOVE_MENTORS] for row in problem.mentors_of]

    # --- set-up --------------------------------------------------------------------

    def _neighbours(self) -> list[list[int]]:
        """Peer circles: for each person, people it may sit with (all of them in small
        pools; otherwise a seeded sample from the groups of people it can meet)."""
        p = self.p
        n = p.size
        if n <= 4 * NEIGHBOURS:
            return [[k for k in range(n) if p.pair_ok(j, k)] for j in range(n)]
        key: dict[tuple[int, int], int] = {}
        group_of: list[int] = []
        for j in range(n):
            group_of.append(key.setdefault(p.meeting_key(j), len(key)))
        groups: list[list[int]] = [[] for _ in key]
        for j, g in enumerate(group_of):
            groups[g].append(j)
        heads = [g[0] for g in groups]
        compatible = [
            np.asarray(
                [k for h, g in zip(heads, groups, strict=True) if p.meets_by_place(head, h) for k in g]
            )
            for head in heads
        ]
        fitting: list[list[int]] = []
        for j in range(n):
            pool = compatible[group_of[j]]
            if pool.size == 0:
                fitting.append([])
                continue
            # Drawn with replacement (repeats dropped): O(1) per draw, unlike a permutation.
            picks = dict.fromkeys(pool[self.rng.integers(0, pool.size, 3 * NEIGHBOURS)].tolist())
            fitting.append([k for k in picks if k != j and p.pair_ok(j, k)])
        p.prefetch_affinity(
            [j for j, row in enumerate(fitting) for _ in row], [k for row in fitting for k in row]
        )
        result: list[list[int]] = []
        for j, row in enumerate(fitting):
            row.sort(key=lambda k: -p.affinity(j, k))
            result.append(row[:NEIGHBOURS])
        # Make the relation symmetric, so that a person is found by those it would fit.
        extra: list[list[int]] = [[] for _ in range(n)]
        for j, row in enumerate(result):
            for k in row:
                extra[k].append(j)
        return [sorted(set(row) | set(more)) for row, more in zip(result, extra, strict=True)]

    # --- values --------------------------------------------------------------------

    def gain(self, person: int, circle: Circle, without: int = -1) -> float:
        """Value `person` adds to `circle` (leaving out member `without`)."""
        p = self.p
        self.work += 1
        total = PLACEMENT_PREFERENCE
        if circle.leader >= 0:
            total += p.mentors_of[person][circle.leader]
        if p.alpha:
            affinity = p.affinity
            peers = 0.0
            for k in circle.members:
                if k not in (person, without):
                    peers += affinity(person, k)
            total += p.alpha * peers
        return total

    def can_join(self, person: int, circle: Circle, without: int = -1) -> bool:
        p = self.p
        if circle.leader >= 0 and circle.leader not in p.mentors_of[person]:
            return False
        ok = p.member_ok
        return all(k in (person, without) or ok(person, k) for k in circle.members)

    def candidate_circles(self, person: int, best_only: bool = False) -> list[int]:
        """Circles `person` may join: its eligible mentors' (the best-scoring
        `MOVE_MENTORS` only, with `best_only`), or its neighbours'."""
        found: list[int] = []
        if self.p.style == "mentor":
            mentors = self.top_mentors[person] if best_only else self.p.mentors_of[person]
            for m in mentors:
                c = self.lead_of[m]
                if c >= 0:
                    found.append(c)
        else:
            for k in self.neighbours[person]:
                c = self.circle_of[k]
                if c >= 0 and c not in found:
                    found.append(c)
        return found

    def _spent(self, deadline: float) -> bool:
        return self.work > self.work_limit or time.perf_counter() > deadline

    def objective(self) -> float:
        return self.p.objective(c for c in self.circles if c is not None)

    # --- elementary changes ----------------------------------------------------------

    def _open(self, leader: int, members: Iterable[int]) -> int:
        index = len(self.circles)
        self._touch(index)
        circle = Circle(leader, [])
        self.circles.append(circle)
        if leader >= 0:
            self.lead_of[leader] = index
            self.circle_of[leader] = index
        for j in members:
            self._add(j, index)
        return index

    def _add(self, person: int, index: int) -> None:
        self._touch(index)
        circle = self.circles[index]
        assert circle is not None
        circle.members.append(person)
        self.circle_of[person] = index

    def _remove(self, person: int) -> None:
        index = self.circle_of[person]
        self._touch(index)
        circle = self.circles[index]
        assert circle is not None
        circle.members.remove(person)
        self.circle_of[person] = -1

    def _dissolve(self, index: int) -> list[int]:
        self._touch(index)
        circle = self.circles[index]
        assert circle is not None
        people = circle.people()
        for j in people:
            self.circle_of[j] = -1
        if circle.leader >= 0:
            self.lead_of[circle.leader] = -1
        self.circles[index] = None
        return people

    def _free(self, person: int) -> bool:
        return self.circle_of[person] < 0

    def _touch(self, index: int) -> None:
        """Remember a circle's state before its first change in this ruin-and-recreate."""
        if self._saved is not None and index not in self._saved:
            circle = self.circles[index] if index < len(self.circles) else None
            self._saved[index] = None if circle is None else (circle.leader, list(circle.members))

    def result(self) -> list[Circle]:
        return [c for c in self.circles if c is not None]
