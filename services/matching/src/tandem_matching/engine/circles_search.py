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
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable

import numpy as np

from tandem_matching.engine.circles_model import PLACEMENT_PREFERENCE, Circle, CircleProblem

NEIGHBOURS = 24
"""Peer circles: each person considers the circles of this many compatible people."""
MAX_PASSES = 12
RUIN_ITERATIONS = 2000
WORK_BASE = 150_000
WORK_PER_PERSON = 25
"""The search stops after this many value evaluations (a clock that gives the same
circles on any machine): 1-3 s for 60 people, 5-10 s for 10,000 on one core."""
SAFETY_SECONDS = 120.0
"""A wall-clock cap, reached only on a machine far slower than expected."""
RUIN_CIRCLES = 4
MOVE_MENTORS = 12
"""Moves and swaps look at the circles of a member's best-scoring mentors only."""
OPEN_AT_RANDOM = 0.3
FILL_BONUS = 1e6
EPSILON = 1e-9
SEED = 0


class CircleSearch:
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

    # --- construction and repair -----------------------------------------------------

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

    # --- local search ----------------------------------------------------------------

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

    # --- ruin and recreate -----------------------------------------------------------

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

    def _touch(self, index: int) -> None:
        """Remember a circle's state before its first change in this ruin-and-recreate."""
        if self._saved is not None and index not in self._saved:
            circle = self.circles[index] if index < len(self.circles) else None
            self._saved[index] = None if circle is None else (circle.leader, list(circle.members))

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

    def result(self) -> list[Circle]:
        return [c for c in self.circles if c is not None]


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
