"""The circle problem: who may lead, who may sit together, and what a circle is worth.

Both solvers (`circles_exact`, `circles_search`) work on this one description, with
people numbered locally 0..P-1, so their objectives are the same function.

A circle is a leader (the mentor of a mentor circle; none in a peer circle, whose
facilitator is chosen afterwards) and its members. Its value is

    sum over members j of  s(leader, j)                 (mentor circles only)
  + alpha * sum over pairs of members j < k of  q(j, k)
  + PLACEMENT_PREFERENCE * (number of people in the circle)

`s` is the program's pair score with the leader as mentor (as in traditional
mentoring: the mentor's coverage of what the member wants, and the other factors), `q`
the same score between two peers with the skill factor taken in the better direction,
and alpha is 1 / (max_size - 2) in mentor circles (so that a member's share of the peer
term weighs at most half of its mentor score) and 1 in peer circles.

Hard rules (see docs/matching.md): in a mentor circle the leader and every member pass
every pair rule and the skill rule (the mentor teaches each member a wanted skill at
the wanted level), and every two members can meet (reporting line, working hours,
language). In a peer circle every two members pass every pair rule. Sizes, leader
included, lie in [min_size, max_size]; a person is in at most one circle.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from tandem_matching.engine.arrays import FloatArray, IntArray
from tandem_matching.engine.people import Population
from tandem_matching.engine.program import Program
from tandem_matching.engine.scoring import GENERATION_SPAN_YEARS, coverage, factor_values, weighted_score
from tandem_matching.engine.timezones import WORKDAY_HOURS

PLACEMENT_PREFERENCE = 1e-4
"""Added per placed person, so that among equal scores more people are placed."""


@dataclass
class Circle:
    """Local indices: `leader` is -1 in a peer circle."""

    leader: int
    members: list[int] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.members) + (1 if self.leader >= 0 else 0)

    def people(self) -> list[int]:
        return ([self.leader] if self.leader >= 0 else []) + self.members


class CircleProblem:
    """Scalar rules and scores for the pool of people who may form circles."""

    def __init__(
        self,
        population: Population,
        program: Program,
        people: IntArray,
        *,
        mentor_edges: tuple[IntArray, IntArray, FloatArray] | None = None,
        previous_pairs: Iterable[tuple[int, int]] = (),
    ) -> None:
        """`people` are global indices; `mentor_edges` are (global mentor, member, score)
        for pairs that passed every pair rule and the skill rule (mentor circles only),
        the score being s(mentor, member) (`pair_score`, computed on whole arrays)."""
        self.style = "mentor" if mentor_edges is not None else "peer"
        self.low, self.high = program.circle_min, program.circle_max
        self.alpha = 1.0 / (self.high - 2) if self.style == "mentor" else 1.0
        self.people = np.asarray(people, dtype=np.int64)
        size = int(self.people.size)
        self.size = size
        local = {int(g): i for i, g in enumerate(self.people.tolist())}
        self.local = local
        g = self.people
        self._tin = population.tin[g].tolist()
        self._tout = population.tout[g].tolist()
        self._zone = population.zone[g].tolist()
        self._department = population.department[g].tolist()
        self._birth = population.birth_year[g].tolist()
        self._consent = (population.generation_consent[g] & (population.birth_year[g] > 0)).tolist()
        words = population.languages[g]
        self._language = [sum(int(word) << (64 * w) for w, word in enumerate(row)) for row in words.tolist()]
        hours = program.min_timezone_overlap_hours
        overlap = population.zone_overlap
        self._overlap = overlap.tolist()
        self._zone_ok = (overlap >= hours).tolist() if hours > 0 else None
        self._reporting = program.exclude_reporting_line
        self._language_rule = program.require_common_language
        self._department_rule = program.exclude_same_department
        self._previous = {
            (min(local[a], local[b]), max(local[a], local[b]))
            for a, b in previous_pairs
            if a in local and b in local
        }
        self._offered = _skill_rows(population.offered, g)
        self._wanted = _skill_rows(population.wanted, g)
        self._wanted_total = [float(sum(row.values())) for row in self._wanted]
        goals = population.goals
        self._goals = [
            frozenset(goals.indices[goals.indptr[p] : goals.indptr[p + 1]].tolist()) for p in g.tolist()
        ]
        factors = program.factors
        weights = {f: program.weights.get(f, 0.0) for f in factors}
        self._total_weight = sum(weights.values())
        self._w_skill = weights.get("skill_complementarity", 0.0)
        self._w_department = weights.get("cross_department", 0.0)
        self._w_generation = weights.get("cross_generation", 0.0)
        self._w_zone = weights.get("timezone_overlap", 0.0)
        self._w_goals = weights.get("common_goals", 0.0)
        self._affinity: dict[int, float] = {}
        self._population, self._program = population, program
        self._member_ok: dict[int, bool] = {}

        # Mentor circles: who may lead, who may join, and the mentor scores.
        self.mentors_of: list[dict[int, float]] = [{} for _ in range(size)]
        self.members_of: list[list[int]] = [[] for _ in range(size)]
        if mentor_edges is not None:
            edges = zip(
                mentor_edges[0].tolist(), mentor_edges[1].tolist(), mentor_edges[2].tolist(), strict=True
            )
            for a, b, score in edges:
                m, j = local[a], local[b]
                if m == j or m in self.mentors_of[j]:
                    continue
                self.mentors_of[j][m] = score
                self.members_of[m].append(j)
        self.can_lead = [len(self.members_of[p]) >= self.low - 1 for p in range(size)]
        self.leaders = [p for p in range(size) if self.can_lead[p]]
        self.can_join = (
            [bool(self.mentors_of[p]) for p in range(size)] if mentor_edges is not None else [True] * size
        )

    # --- rules -----------------------------------------------------------------------

    def meets(self, a: int, b: int) -> bool:
        """Reporting line, working hours and language: can these two share a circle."""
        if a == b:
            return False
        if self._reporting:
            tin, tout = self._tin, self._tout
            if tin[a] <= tin[b] < tout[a] or tin[b] <= tin[a] < tout[b]:
                return False
        if self._zone_ok is not None and not self._zone_ok[self._zone[a]][self._zone[b]]:
            return False
        return not (self._language_rule and not self._language[a] & self._language[b])

    def meeting_key(self, person: int) -> tuple[int, int]:
        """People with the same key meet everyone the other meets, reporting line aside."""
        return (self._zone[person], self._language[person])

    def meets_by_place(self, a: int, b: int) -> bool:
        """The working-hours and language rules only."""
        if self._zone_ok is not None and not self._zone_ok[self._zone[a]][self._zone[b]]:
            return False
        return not (self._language_rule and not self._language[a] & self._language[b])

    def pair_ok(self, a: int, b: int) -> bool:
        """Every pair rule (department and previous pairs too)."""
        if not self.meets(a, b):
            return False
        if self._department_rule and self._department[a] == self._department[b]:
            return False
        return not (self._previous and (min(a, b), max(a, b)) in self._previous)

    def member_ok(self, a: int, b: int) -> bool:
        """The rule between two members of one circle of this problem's style (cached:
        the search asks about the same pairs many times)."""
        key = a * self.size + b if a < b else b * self.size + a
        found = self._member_ok.get(key)
        if found is None:
            found = self.meets(a, b) if self.style == "mentor" else self.pair_ok(a, b)
            self._member_ok[key] = found
        return found

    def fits(self, person: int, members: Sequence[int]) -> bool:
        ok = self.member_ok
        return all(ok(person, other) for other in members)

    # --- scores ----------------------------------------------------------------------

    def _cover(self, teacher: int, learner: int) -> float:
        total = self._wanted_total[learner]
        if total <= 0:
            return 0.0
        offered = self._offered[teacher]
        covered = 0.0
        for skill, level in self._wanted[learner].items():
            if offered.get(skill, 0) >= level:
                covered += level
        return covered / total

    def _score(self, a: int, b: int, skill: float) -> float:
        if self._total_weight <= 0:
            return 0.0
        total = self._w_skill * skill
        if self._w_department and self._department[a] != self._department[b]:
            total += self._w_department
        if self._w_generation and self._consent[a] and self._consent[b]:
            total += self._w_generation * min(
                abs(self._birth[a] - self._birth[b]) / GENERATION_SPAN_YEARS, 1.0
            )
        if self._w_zone:
            total += self._w_zone * self._overlap[self._zone[a]][self._zone[b]] / WORKDAY_HOURS
        if self._w_goals:
            left, right = self._goals[a], self._goals[b]
            if left and right:
                shared = len(left & right)
                total += self._w_goals * shared / (len(left) + len(right) - shared)
        return min(max(total / self._total_weight, 0.0), 1.0)

    def pair_score(self, mentor: int, member: int) -> float:
        """s(mentor, member): the program's score with `mentor` teaching."""
        return self._score(mentor, member, self._cover(mentor, member))

    def affinity(self, a: int, b: int) -> float:
        """q(a, b): the peer score of two members, skill factor in the better direction."""
        key = a * self.size + b if a < b else b * self.size + a
        found = self._affinity.get(key)
        if found is None:
            found = self._score(a, b, max(self._cover(a, b), self._cover(b, a)))
            self._affinity[key] = found
        return found

    def prefetch_affinity(self, a: list[int], b: list[int]) -> None:
        """q for many pairs at once, on whole arrays (the same formula as `affinity`)."""
        if not a:
            return
        ga = self.people[np.asarray(a, dtype=np.int64)]
        gb = self.people[np.asarray(b, dtype=np.int64)]
        population, program = self._population, self._program
        better = np.maximum(coverage(population, ga, gb), coverage(population, gb, ga))
        values = factor_values(population, program, ga, gb, cover_ab=better, cover_ba=np.zeros(ga.size))
        scores = weighted_score(program, values).tolist()
        size, cache = self.size, self._affinity
        for x, y, score in zip(a, b, scores, strict=True):
            cache[x * size + y if x < y else y * size + x] = score

    def mentor_score(self, leader: int, member: int) -> float:
        return self.mentors_of[member].get(leader, 0.0) if leader >= 0 else 0.0

    def value(self, leader: int, members: Sequence[int]) -> float:
        total = PLACEMENT_PREFERENCE * (len(members) + (1 if leader >= 0 else 0))
        if leader >= 0:
            total += sum(self.mentors_of[j][leader] for j in members)
        peers = 0.0
        for i, j in enumerate(members):
            for k in members[i + 1 :]:
                peers += self.affinity(j, k)
        return total + self.alpha * peers

    def objective(self, circles: Iterable[Circle]) -> float:
        return sum(self.value(c.leader, c.members) for c in circles)

    def broken(self, circle: Circle) -> str | None:
        """The first hard rule the circle breaks (by this problem's own checks), or None."""
        if not self.low <= circle.size <= self.high:
            return f"size {circle.size}"
        if circle.leader >= 0 and any(circle.leader not in self.mentors_of[j] for j in circle.members):
            return "leader is not an eligible mentor of every member"
        for i, j in enumerate(circle.members):
            for k in circle.members[i + 1 :]:
                if not self.member_ok(j, k):
                    return "two members cannot meet"
        return None


def _skill_rows(matrix: sp.csr_matrix, people: IntArray) -> list[dict[int, float]]:
    """Skill code -> level, one dict per person."""
    indptr, indices, data = matrix.indptr, matrix.indices.tolist(), matrix.data.tolist()
    rows: list[dict[int, float]] = []
    for p in people.tolist():
        start, stop = int(indptr[p]), int(indptr[p + 1])
        rows.append(dict(zip(indices[start:stop], data[start:stop], strict=True)))
    return rows
