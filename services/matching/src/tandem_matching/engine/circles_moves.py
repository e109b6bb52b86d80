"""Local search over circles (step 3 of `circles_search`): place, move and swap people,
and open new circles, first improvement, every move keeping every hard rule."""

from __future__ import annotations

from collections.abc import Iterable

from tandem_matching.engine.circles_construction import CircleConstruction
from tandem_matching.engine.circles_model import Circle

MAX_PASSES = 12
EPSILON = 1e-9


class CircleMoves(CircleConstruction):
    """Local search moves on top of construction and repair."""

    def improve(
        self, people: Iterable[int], passes: int = MAX_PASSES, deadline: float = float("inf")
    ) -> None:
        order = list(people)
        for _ in range(passes):
            if self._spent(deadline):
                break
            changed = False
            for position, j in enumerate(order):
                if position % 256 == 255 and self._spent(deadline):
                    break
                if self.lead_of[j] >= 0:
                    continue
                if self._free(j):
                    changed |= self._place(j)
                else:
                    changed |= self._move(j)
            if self.p.style == "mentor":
                for m in order:
                    if self._free(m) and self.p.can_lead[m]:
                        changed |= self._open_for(m)
            else:
                for j in order:
                    if self._free(j):
                        changed |= self._open_around(j)
            if not changed:
                break

    def _place(self, j: int) -> bool:
        p = self.p
        if not p.can_join[j]:
            return False
        best, _ = self._best_insert(j)
        if best >= 0:
            self._add(j, best)
            return True
        # A full circle takes j if one of its members moves elsewhere, or gives j its seat.
        best_delta, best_move = EPSILON, None
        for c in self.candidate_circles(j, best_only=True):
            circle = self.circles[c]
            assert circle is not None
            for k in circle.members:
                if not self.can_join(j, circle, without=k):
                    continue
                swap_in = self.gain(j, circle, without=k) - self.gain(k, circle, without=k)
                if swap_in > best_delta:
                    best_delta, best_move = swap_in, (c, k, -1)
                for c2 in self.candidate_circles(k, best_only=True):
                    target = self.circles[c2]
                    assert target is not None
                    if c2 == c or target.size >= p.high or not self.can_join(k, target):
                        continue
                    delta = swap_in + self.gain(k, target)
                    if delta > best_delta:
                        best_delta, best_move = delta, (c, k, c2)
        if best_move is None:
            return False
        c, k, c2 = best_move
        self._remove(k)
        self._add(j, c)
        if c2 >= 0:
            self._add(k, c2)
        return True

    def _move(self, j: int) -> bool:
        """Move member j to another circle, or swap it with one of that circle's members."""
        p = self.p
        ok, affinity, alpha = p.member_ok, p.affinity, p.alpha
        home = self.circle_of[j]
        circle = self.circles[home]
        assert circle is not None
        loss = self.gain(j, circle, without=j)
        best_delta, best_move = EPSILON, None
        for c2 in self.candidate_circles(j, best_only=True):
            if c2 == home:
                continue
            target = self.circles[c2]
            assert target is not None
            clash = [k for k in target.members if not ok(j, k)]
            if len(clash) > 1:
                continue
            into = self.gain(j, target)
            if not clash and circle.size > p.low and target.size < p.high:
                delta = into - loss
                if delta > best_delta:
                    best_delta, best_move = delta, (c2, -1)
            for k in clash or target.members:
                if not self.can_join(k, circle, without=j):
                    continue
                delta = (
                    into
                    - alpha * affinity(j, k)
                    - self.gain(k, target, without=k)
                    + self.gain(k, circle, without=j)
                    - loss
                )
                if delta > best_delta:
                    best_delta, best_move = delta, (c2, k)
        if best_move is None:
            return False
        c2, k = best_move
        self._remove(j)
        if k >= 0:
            self._remove(k)
            self._add(k, home)
        self._add(j, c2)
        return True

    def _gather(self, seed_circle: Circle, pool: Iterable[int]) -> list[tuple[int, float]] | None:
        """Free people and spare members who would fill a new circle to the minimum,
        each with its loss where it sits now; None when there are too few."""
        p = self.p
        chosen: list[tuple[int, float]] = []
        spare: dict[int, int] = {}
        for j in pool:
            if len(chosen) + seed_circle.size >= p.high:
                break
            if j in seed_circle.members or j == seed_circle.leader or self.lead_of[j] >= 0:
                continue
            if not p.can_join[j] or not self.can_join(j, seed_circle):
                continue
            home = self.circle_of[j]
            loss = 0.0
            if home >= 0:
                source = self.circles[home]
                assert source is not None
                if source.size - spare.get(home, 0) <= p.low:
                    continue
                loss = self.gain(j, source, without=j)
                spare[home] = spare.get(home, 0) + 1
            seed_circle.members.append(j)
            chosen.append((j, loss))
        del seed_circle.members[len(seed_circle.members) - len(chosen) :]
        return chosen if seed_circle.size + len(chosen) >= p.low else None

    def _commit_open(self, leader: int, founders: list[int], chosen: list[tuple[int, float]]) -> bool:
        circle = Circle(leader, list(founders))
        loss = sum(given_up for _, given_up in chosen)
        for j, _ in chosen:
            circle.members.append(j)
        # The value of the new circle against what its people gave up elsewhere.
        if self.p.value(leader, circle.members) - loss <= EPSILON:
            return False
        for j, _ in chosen:
            if self.circle_of[j] >= 0:
                self._remove(j)
        self._open(leader, circle.members)
        return True

    def _open_for(self, m: int) -> bool:
        p = self.p
        pool = sorted(p.members_of[m], key=lambda j: (self.circle_of[j] >= 0, -p.mentors_of[j][m], j))
        chosen = self._gather(Circle(m, []), pool)
        return chosen is not None and self._commit_open(m, [], chosen)

    def _open_around(self, j: int) -> bool:
        p = self.p
        pool = sorted(self.neighbours[j], key=lambda k: (self.circle_of[k] >= 0, -p.affinity(j, k), k))
        chosen = self._gather(Circle(-1, [j]), pool)
        return chosen is not None and self._commit_open(-1, [j], chosen)
