"""Circles built from free people: a greedy construction, and the repair of circles
below the minimum size (steps 1 and 2 of `circles_search`)."""

from __future__ import annotations

from collections.abc import Iterable

from tandem_matching.engine.circles_state import CircleState

OPEN_AT_RANDOM = 0.3
FILL_BONUS = 1e6


class CircleConstruction(CircleState):
    """Construction and repair on top of the circles' state."""

    def _best_insert(self, person: int, *, fill_first: bool = False) -> tuple[int, float]:
        """The circle where `person` adds most; with `fill_first`, circles still below
        the minimum size come first (more circles reach the minimum, more people sit)."""
        best, best_gain = -1, -1.0
        high, low = self.p.high, self.p.low
        for c in self.candidate_circles(person):
            circle = self.circles[c]
            assert circle is not None
            if circle.size >= high or not self.can_join(person, circle):
                continue
            value = self.gain(person, circle)
            if fill_first and circle.size < low:
                value += FILL_BONUS
            if value > best_gain:
                best, best_gain = c, value
        return best, best_gain

    def construct(self, people: Iterable[int], *, shuffled: bool = False, founder: int = -1) -> None:
        """Place `people` (who are free); `shuffled` draws the order and the mentors
        opened at random, which is how ruin-and-recreate explores other leader sets."""
        p = self.p
        touched: list[int] = []
        fill_first = shuffled and self.rng.random() < 0.5
        if founder >= 0 and self._free(founder):
            touched.append(self._open(founder, []))
        if shuffled:
            order = self.rng.permutation(list(people)).tolist()
            if p.style == "mentor":
                for m in order:
                    if self._free(m) and p.can_lead[m] and self.rng.random() < OPEN_AT_RANDOM:
                        touched.append(self._open(m, []))
                order = [j for j in order if p.can_join[j]]
        elif p.style == "mentor":
            order = sorted((j for j in people if p.can_join[j]), key=lambda j: (len(p.mentors_of[j]), j))
        else:
            order = sorted(people, key=lambda j: (len(self.neighbours[j]), j))
        for j in order:
            if not self._free(j):
                continue
            best, _ = self._best_insert(j, fill_first=fill_first)
            if best >= 0:
                self._add(j, best)
                continue
            if p.style == "mentor":
                leader = self._spare_mentor(j)
                if leader >= 0:
                    touched.append(self._open(leader, [j]))
            elif len(self.neighbours[j]) >= p.low - 1:
                touched.append(self._open(-1, [j]))
        self.repair(touched)

    def _spare_mentor(self, member: int) -> int:
        """The free eligible mentor of `member` that is needed least as a member."""
        p = self.p
        options = [m for m in p.mentors_of[member] if self._free(m) and len(p.members_of[m]) >= p.low - 1]
        if not options:
            return -1
        return min(options, key=lambda m: (p.can_join[m], -len(p.members_of[m]), m))

    def _recruits(self, index: int) -> list[int]:
        """People who might join circle `index`: its leader's members, or its members'
        neighbours."""
        circle = self.circles[index]
        assert circle is not None
        if circle.leader >= 0:
            return self.p.members_of[circle.leader]
        seen: dict[int, None] = {}
        for k in circle.members:
            for j in self.neighbours[k]:
                seen[j] = None
        return list(seen)

    def _fill(self, index: int, target: int) -> None:
        """Bring circle `index` up to `target` people: free people first, then members
        that circles above the minimum can spare."""
        circle = self.circles[index]
        assert circle is not None
        low = self.p.low
        for steal in (False, True):
            while circle.size < target:
                best, best_delta = -1, -float("inf")
                for j in self._recruits(index):
                    home = self.circle_of[j]
                    if home == index or self.lead_of[j] >= 0 or j == circle.leader:
                        continue
                    if not self.p.can_join[j]:
                        continue
                    if home >= 0:
                        source = self.circles[home]
                        assert source is not None
                        if not steal or source.size <= low:
                            continue
                        loss = self.gain(j, source, without=j)
                    else:
                        loss = 0.0
                    if not self.can_join(j, circle):
                        continue
                    delta = self.gain(j, circle) - loss
                    if delta > best_delta:
                        best, best_delta = j, delta
                if best < 0:
                    break
                if self.circle_of[best] >= 0:
                    self._remove(best)
                self._add(best, index)

    def repair(self, indices: Iterable[int]) -> None:
        low = self.p.low
        work = sorted(set(indices))
        while work:
            leftovers: list[int] = []
            for index in work:
                circle = self.circles[index]
                if circle is None or circle.size >= low:
                    continue
                self._fill(index, low)
                if circle.size < low:
                    leftovers.extend(self._dissolve(index))
            work = []
            for j in leftovers:
                if self._free(j) and self.p.can_join[j]:
                    best, _ = self._best_insert(j)
                    if best >= 0:
                        self._add(j, best)
