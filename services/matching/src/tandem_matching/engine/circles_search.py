"""Circles for large programs: a greedy construction, then local search and ruin-and-recreate.

1. Construction: people with the fewest options go first. Each joins the circle (of
   one of its eligible mentors, or of one of its neighbours in a peer program) where it
   adds the most value and fits (room, every pair rule); if none exists, it opens one
   (with the free eligible mentor who is needed least elsewhere, or on its own).
2. Repair: a circle below the minimum size takes free people who fit, then people from
   circles above the minimum; if it still cannot reach the minimum it is dissolved and
   its people join other circles where they fit.
3. Local search, first improvement, until a pass finds nothing: place a free person
   (directly, by moving one member of a full circle elsewhere, or in place of a member),
   move a member to another circle, swap two members of different circles, open a circle
   for a free mentor (or free peers) from free people and members that circles can spare.
4. Ruin and recreate: a seeded random circle and the circles around it are dissolved
   and rebuilt by steps 1-3 on those people only; the result is kept unless the
   objective fell.

Every move keeps every hard rule, so the search never leaves the feasible set. The work
per person is bounded (a fixed number of candidate circles, each of at most max_size
people), so the whole is linear in the number of people for a fixed number of passes.
Runs are deterministic: the random choices come from a seeded generator, and the time
limit only caps what the fixed iteration count would do on a very slow machine.

The work is split by step: `circles_state` (the circles and elementary changes),
`circles_construction` (steps 1-2), `circles_moves` (step 3) and this module (step 4,
and the whole search).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

from tandem_matching.engine.circles_construction import FILL_BONUS, OPEN_AT_RANDOM
from tandem_matching.engine.circles_model import Circle, CircleProblem
from tandem_matching.engine.circles_moves import EPSILON, MAX_PASSES, CircleMoves
from tandem_matching.engine.circles_state import (
    MOVE_MENTORS,
    NEIGHBOURS,
    SEED,
    WORK_BASE,
    WORK_PER_PERSON,
)

# Names this module has always offered, kept where their callers import them from.
__all__ = [
    "EPSILON",
    "FILL_BONUS",
    "MAX_PASSES",
    "MOVE_MENTORS",
    "NEIGHBOURS",
    "OPEN_AT_RANDOM",
    "RUIN_CIRCLES",
    "RUIN_ITERATIONS",
    "SAFETY_SECONDS",
    "SEED",
    "WORK_BASE",
    "WORK_PER_PERSON",
    "CircleSearch",
    "search_circles",
]

RUIN_ITERATIONS = 2000
SAFETY_SECONDS = 120.0
"""A wall-clock cap, reached only on a machine far slower than expected."""
RUIN_CIRCLES = 4


class CircleSearch(CircleMoves):
    """The whole search: the steps of the other circle modules, and ruin and recreate."""

    def ruin_and_recreate(self, iterations: int, deadline: float) -> None:
        for _ in range(iterations):
            if self._spent(deadline):
                break
            alive = [i for i, c in enumerate(self.circles) if c is not None]
            if not alive:
                return
            leaders = self.p.leaders
            founder = -1
            if leaders and self.rng.random() < 0.5:
                # Try another leader: dissolve the circles around one mentor, open its own.
                founder = leaders[int(self.rng.integers(len(leaders)))]
                region = self._region_of(founder)
            else:
                region = self._region(alive[int(self.rng.integers(len(alive)))])
            self._saved = {}
            people: set[int] = set()
            for i in region:
                people.update(self._dissolve(i))
            if founder >= 0:
                people.add(founder)
            touched = sorted(people | self._free_near(people))
            self.construct(touched, shuffled=True, founder=founder)
            self.improve(touched, passes=2)
            saved, self._saved = self._saved, None
            before = sum(self.p.value(lead, members) for lead, members in filter(None, saved.values()))
            after = 0.0
            for i in saved:
                circle = self.circles[i]
                if circle is not None:
                    after += self.p.value(circle.leader, circle.members)
            if after + EPSILON < before:
                self._restore(saved)

    def _restore(self, saved: dict[int, tuple[int, list[int]] | None]) -> None:
        for i in saved:
            circle = self.circles[i]
            if circle is not None:
                for j in circle.people():
                    self.circle_of[j] = -1
                if circle.leader >= 0:
                    self.lead_of[circle.leader] = -1
                self.circles[i] = None
        for i, state in saved.items():
            if state is None:
                continue
            leader, members = state
            self.circles[i] = Circle(leader, list(members))
            if leader >= 0:
                self.lead_of[leader] = i
                self.circle_of[leader] = i
            for j in members:
                self.circle_of[j] = i

    def _region(self, start: int) -> list[int]:
        circle = self.circles[start]
        assert circle is not None
        region = [start]
        for j in circle.people():
            for c in self.candidate_circles(j):
                if c not in region and len(region) < RUIN_CIRCLES:
                    region.append(c)
        return region

    def _region_of(self, mentor: int) -> list[int]:
        region: list[int] = []
        for j in [mentor, *self.p.members_of[mentor]]:
            c = self.circle_of[j]
            if c >= 0 and c not in region and len(region) < RUIN_CIRCLES:
                region.append(c)
        return region

    def _free_near(self, people: set[int]) -> set[int]:
        found: set[int] = set()
        p = self.p
        for j in people:
            if p.style == "mentor":
                near: Iterable[int] = [*p.members_of[j], *p.mentors_of[j]]
            else:
                near = self.neighbours[j]
            for k in near:
                if self._free(k):
                    found.add(k)
        return found


def search_circles(
    problem: CircleProblem,
    *,
    seed: int = SEED,
    ruin_iterations: int | None = None,
    passes: int = MAX_PASSES,
    time_limit: float | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[Circle]:
    """Circles by construction, repair, local search and ruin-and-recreate.

    The search stops after `RUIN_ITERATIONS` ruin-and-recreate steps or when its work
    budget (`WORK_BASE` + `WORK_PER_PERSON` per person) is spent."""
    started = time.perf_counter()
    deadline = started + (time_limit if time_limit is not None else SAFETY_SECONDS)
    search = CircleSearch(problem, seed=seed)
    everyone = list(range(problem.size))

    def report(phase: str) -> None:
        if progress is not None:
            placed = sum(c.size for c in search.circles if c is not None)
            progress(
                f"circles: {phase} after {time.perf_counter() - started:.2f}s, {placed} of "
                f"{problem.size} placed, objective {search.objective():.4f}, work {search.work}"
            )

    search.construct(everyone)
    report("construction")
    search.improve(everyone, passes=passes, deadline=deadline)
    report("local search")
    iterations = ruin_iterations if ruin_iterations is not None else RUIN_ITERATIONS
    search.ruin_and_recreate(iterations, deadline)
    report("ruin and recreate")
    search.improve(everyone, passes=passes, deadline=deadline)
    report("final local search")
    return search.result()
