"""Recommendations: the best eligible partners of one person in one program.

A `RecommendationIndex` is built once per program from its pool (the `Population`, the
`Program` and its `RuleChecker`, the current matches and any further previous pairs).
`recommend(employee_id, first)` then scores that one person against everybody on whole
arrays, with no loop over candidates in Python:

- skill fit: for each skill the person wants (a handful), one column of the people x
  skills matrix of offers says who teaches it at the wanted level; for each skill the
  person offers, one column of the wants matrix says who wants it at or below that
  level. Summing the wanted levels gives the same level-weighted coverage as the
  planner's sparse product, so the same pairs are skill-compatible;
- role direction: reciprocal pairs teach each other, peers either way round; in
  reverse and traditional programs a free mentee is offered mentors with room left
  and a mentor with room left is offered free mentees (both, for someone with both
  roles);
- the program's hard rules through `RuleChecker.first_broken_rule` (reporting line
  at any depth, department, working-hours overlap, common language, the program's
  previous pairs, seniority), then the extra previous pairs given to the index;
- the score through `scoring.factor_values` and `weighted_score` on the planner's
  arguments, so a recommended pair scores exactly what `plan` gives that pair;
- only the top `first` are explained, with `explain.pair_explanation`, in the same
  member order as `plan` (mentor first; the lower pool position first in two-way
  programs), so the factor list is the one a proposal would carry.

Ranking is by the score as shown (6 decimals), highest first, ties broken by
employee id. When nobody is
eligible the result is empty and carries the reason `plan` would give (the rule names
and sentences of `rules.py`, through `explain.unmatched_reason`).

The index holds no incremental update: it reads the pool as it was at build time. The
service rebuilds it (in a worker, then swaps it in) when the program's pool changes: an
enrolment, a profile or status change, a match that starts or ends, a decline. Building
the `Population` dominates the rebuild (1 to 3 s at 100,000 people on a 2-core machine);
the index itself adds about 0.1 s and a few MiB (`python -m bench.matching.recommend`
prints both).
Group programs form circles in rounds and have no one-to-one recommendations.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, TypedDict

import numpy as np
import scipy.sparse as sp

from tandem_matching.engine.arrays import BoolArray, FloatArray, IntArray
from tandem_matching.engine.errors import InvalidInput
from tandem_matching.engine.explain import pair_explanation, role_problem, unmatched_reason
from tandem_matching.engine.people import Population
from tandem_matching.engine.program import MENTOR_TYPES, Program
from tandem_matching.engine.rules import RULES, RuleChecker
from tandem_matching.engine.scoring import factor_values, weighted_score

MAX_FIRST = 100
_PREVIOUS_PAIR = RULES.index("previous_pair")


class Recommendation(TypedDict):
    employee_id: str
    role: str  # the partner's role in the proposed pair: mentor, mentee or partner
    score: float  # the program's score of the pair, as `plan` gives it (6 decimals)
    explanation: list[dict[str, Any]]  # [{factor, value, detail}], as in `plan`


@dataclass(frozen=True)
class Recommendations:
    partners: list[Recommendation]
    eligible: int  # every partner that passes the rules, not only the `first` shown
    reason: str | None  # why `partners` is empty; None when it is not


@dataclass
class _Pairs:
    """Skill-compatible pairs of the viewer; `a` is the mentor (or the lower position)."""

    partner: IntArray
    a: IntArray
    b: IntArray
    cover_ab: FloatArray
    cover_ba: FloatArray
    role: list[str]  # partner's role per side, indexed by `side`
    side: IntArray


class RecommendationIndex:
    """Everything `recommend` needs that does not depend on the viewer, built once."""

    def __init__(
        self,
        population: Population,
        program: Program,
        checker: RuleChecker | None = None,
        *,
        matches: Iterable[Sequence[str]] = (),
        previous_pairs: Iterable[tuple[str, str]] = (),
    ) -> None:
        """`matches` are the members of the program's current matches (mentor first in
        mentor programs); `previous_pairs` are pairs never to propose again, on top of
        the program's `exclude_previous_pairs`. Ids outside the pool are ignored."""
        if program.type == "group":
            raise InvalidInput(
                "a group program forms circles in rounds; it has no one-to-one recommendations"
            )
        n = population.size
        self.population, self.program = population, program
        self.checker = checker if checker is not None else RuleChecker(population, program)
        self.mentor_program = program.type in MENTOR_TYPES

        busy = np.zeros(n, dtype=bool)
        load = np.zeros(n, dtype=np.int64)
        for members in matches:
            if self.mentor_program:
                if members and members[0] in population.index:
                    load[population.index[members[0]]] += 1
                busy[[population.index[m] for m in members[1:] if m in population.index]] = True
            else:
                busy[[population.index[m] for m in members if m in population.index]] = True
        self.busy, self.load = busy, load

        offers: BoolArray = np.diff(population.offered.indptr) > 0
        wants: BoolArray = np.diff(population.wanted.indptr) > 0
        active = population.active
        if self.mentor_program:
            # The same pools as the planner's: free mentees, mentors with room left.
            self.as_mentee = active & population.can_mentee & wants & ~busy
            self.as_mentor = active & population.can_mentor & offers & (population.capacity - load > 0)
            self.as_partner = np.zeros(n, dtype=bool)
        else:
            if program.type == "reciprocal":
                able = population.can_mentor & population.can_mentee & offers & wants
            else:
                able = (population.can_mentor | population.can_mentee) & (offers | wants)
            self.as_partner = active & able & ~busy
            self.as_mentee = np.zeros(n, dtype=bool)
            self.as_mentor = np.zeros(n, dtype=bool)

        # Column access: who offers skill s (and at which level), who wants it.
        self.offered_by_skill = sp.csc_matrix(population.offered)
        self.wanted_by_skill = sp.csc_matrix(population.wanted)
        self.wanted_total = np.asarray(population.wanted.sum(axis=1)).ravel()
        self.goal_sizes = np.diff(population.goals.indptr)
        rank = np.empty(n, dtype=np.int64)
        rank[np.argsort(np.asarray(population.ids, dtype=str), kind="stable")] = np.arange(n)
        self.id_rank = rank
        self.extra_previous = self._previous_lists(previous_pairs)

    def _previous_lists(self, pairs: Iterable[tuple[str, str]]) -> sp.csr_matrix:
        """Extra previous partners as a people x people adjacency (rows are sorted)."""
        index, n = self.population.index, self.population.size
        known = [(index[x], index[y]) for x, y in pairs if x in index and y in index and x != y]
        rows = np.asarray([p for x, y in known for p in (x, y)], dtype=np.int64)
        cols = np.asarray([p for x, y in known for p in (y, x)], dtype=np.int64)
        adjacency = sp.csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n, n))
        adjacency.sum_duplicates()
        return adjacency

    def recommend(self, employee_id: str, first: int = 10) -> Recommendations:
        """The best `first` (1 to `MAX_FIRST`) eligible partners of one person."""
        if isinstance(first, bool) or not isinstance(first, int) or not 1 <= first <= MAX_FIRST:
            raise InvalidInput(f"first must be an integer from 1 to {MAX_FIRST}")
        population, program = self.population, self.program
        person = population.index.get(employee_id)
        if person is None:
            return Recommendations([], 0, f"not eligible: {employee_id} is not enrolled in this program")
        problem = role_problem(population, program, person)
        if problem is not None:
            return Recommendations([], 0, f"not eligible: {problem}")
        taken = self._taken_reason(person)
        if taken is not None:
            return Recommendations([], 0, f"not eligible: {taken}")

        pairs = self._compatible(person)
        broken = self.checker.first_broken_rule(pairs.a, pairs.b)
        if self.extra_previous.nnz:
            start, stop = self.extra_previous.indptr[person], self.extra_previous.indptr[person + 1]
            before = np.isin(pairs.partner, self.extra_previous.indices[start:stop])
            # Keep the first broken rule in RULES order: a later one yields to this one.
            broken = np.where(before & ((broken < 0) | (broken > _PREVIOUS_PAIR)), _PREVIOUS_PAIR, broken)
        ok = broken < 0
        eligible = int(ok.sum())
        if eligible == 0:
            tallies = np.bincount(broken[~ok], minlength=len(RULES))
            reason = unmatched_reason(
                population,
                program,
                person,
                skill_compatible=int(pairs.partner.size),
                broken=tallies,
                eligible=0,
            )
            return Recommendations([], 0, reason)

        partner, a, b, side = pairs.partner[ok], pairs.a[ok], pairs.b[ok], pairs.side[ok]
        values = factor_values(
            population,
            program,
            a,
            b,
            cover_ab=pairs.cover_ab[ok],
            cover_ba=pairs.cover_ba[ok],
            with_goals=False,
        )
        values["common_goals"] = self._goal_similarity(person, partner)
        score = weighted_score(program, values)

        chosen = self._top(score, partner, first)
        partners: list[Recommendation] = []
        for i in chosen.tolist():
            pair_values = {factor: float(column[i]) for factor, column in values.items()}
            partners.append(
                {
                    "employee_id": population.ids[int(partner[i])],
                    "role": pairs.role[int(side[i])],
                    "score": round(float(score[i]), 6),
                    "explanation": pair_explanation(population, program, int(a[i]), int(b[i]), pair_values),
                }
            )
        return Recommendations(partners, eligible, None)

    def _taken_reason(self, person: int) -> str | None:
        """Why a person who could take part is not free for a new match, or None."""
        population = self.population
        who = population.ids[person]
        if not self.mentor_program:
            return None if self.as_partner[person] else f"{who} is already matched in this program"
        if self.as_mentee[person] or self.as_mentor[person]:
            return None
        reasons = []
        if population.can_mentee[person] and self.busy[person]:
            reasons.append(f"{who} already has a mentor in this program")
        if population.can_mentor[person] and self.load[person] >= population.capacity[person] > 0:
            reasons.append(
                f"mentoring capacity is full ({self.load[person]} of {population.capacity[person]})"
            )
        return "; ".join(reasons) or f"{who} is already matched in this program"

    def _teaching(self, teacher: int) -> FloatArray:
        """For everybody: the wanted level points that `teacher` offers at level."""
        result = np.zeros(self.population.size, dtype=np.float64)
        offered, wanted = self.population.offered, self.wanted_by_skill
        for skill, level in zip(
            offered.indices[offered.indptr[teacher] : offered.indptr[teacher + 1]].tolist(),
            offered.data[offered.indptr[teacher] : offered.indptr[teacher + 1]].tolist(),
            strict=True,
        ):
            start, stop = wanted.indptr[skill], wanted.indptr[skill + 1]
            wanted_level = wanted.data[start:stop]
            fits = wanted_level <= level
            result[wanted.indices[start:stop][fits]] += wanted_level[fits]
        return result

    def _learning(self, learner: int) -> FloatArray:
        """For everybody: the level points of what `learner` wants that they offer at level."""
        result = np.zeros(self.population.size, dtype=np.float64)
        wanted, offered = self.population.wanted, self.offered_by_skill
        for skill, level in zip(
            wanted.indices[wanted.indptr[learner] : wanted.indptr[learner + 1]].tolist(),
            wanted.data[wanted.indptr[learner] : wanted.indptr[learner + 1]].tolist(),
            strict=True,
        ):
            start, stop = offered.indptr[skill], offered.indptr[skill + 1]
            fits = offered.data[start:stop] >= level
            result[offered.indices[start:stop][fits]] += level
        return result

    def _compatible(self, person: int) -> _Pairs:
        """Every free partner whose skills fit, with coverage in the planner's form."""
        total = np.maximum(self.wanted_total, 1e-12)
        empty = np.empty(0, dtype=np.int64)
        if not self.mentor_program:
            learn, teach = self._learning(person), self._teaching(person)
            fit = (
                (learn > 0) & (teach > 0) if self.program.type == "reciprocal" else (learn > 0) | (teach > 0)
            )
            fit &= self.as_partner
            fit[person] = False
            partner = np.flatnonzero(fit)
            viewer_first = person < partner
            # The viewer teaches the partner `teach`, and learns `learn` from them.
            teaches, learns = teach[partner] / total[partner], learn[partner] / total[person]
            return _Pairs(
                partner=partner,
                a=np.where(viewer_first, person, partner),
                b=np.where(viewer_first, partner, person),
                cover_ab=np.where(viewer_first, teaches, learns),
                cover_ba=np.where(viewer_first, learns, teaches),
                role=["partner"],
                side=np.zeros(partner.size, dtype=np.int64),
            )
        mentors, mentees = empty, empty
        cover_mentors, cover_mentees = np.empty(0), np.empty(0)
        if self.as_mentee[person]:
            learn = self._learning(person)
            fit = (learn > 0) & self.as_mentor
            fit[person] = False
            mentors = np.flatnonzero(fit)
            cover_mentors = learn[mentors] / total[person]
        if self.as_mentor[person]:
            teach = self._teaching(person)
            fit = (teach > 0) & self.as_mentee
            fit[person] = False
            mentees = np.flatnonzero(fit)
            cover_mentees = teach[mentees] / total[mentees]
        viewer_m = np.full(mentors.size, person, dtype=np.int64)
        viewer_e = np.full(mentees.size, person, dtype=np.int64)
        return _Pairs(
            partner=np.concatenate([mentors, mentees]),
            a=np.concatenate([mentors, viewer_e]),
            b=np.concatenate([viewer_m, mentees]),
            cover_ab=np.concatenate([cover_mentors, cover_mentees]),
            cover_ba=np.zeros(mentors.size + mentees.size),
            role=["mentor", "mentee"],
            side=np.repeat(np.arange(2, dtype=np.int64), [mentors.size, mentees.size]),
        )

    def _goal_similarity(self, person: int, partner: IntArray) -> FloatArray:
        """Jaccard similarity of goal words, in the very arithmetic of `scoring`."""
        goals = self.population.goals
        mine = np.zeros(goals.shape[1], dtype=np.float64)
        mine[goals.indices[goals.indptr[person] : goals.indptr[person + 1]]] = 1.0
        shared = (goals @ mine)[partner]
        union = self.goal_sizes[person] + self.goal_sizes[partner] - shared
        result: FloatArray = np.where(union > 0, shared / np.maximum(union, 1), 0.0)
        return result

    def _top(self, exact: FloatArray, partner: IntArray, first: int) -> IntArray:
        """Positions of the best `first`: score descending, then employee id.

        Ranking reads the score as shown (6 decimals), so that two partners whose scores
        differ only by rounding noise are ordered by id, as the reader would expect.
        """
        score = np.round(exact, 6)
        if score.size > first:
            # Everything tied with the `first`-th score stays in, so the id decides ties.
            threshold = np.partition(score, score.size - first)[score.size - first]
            among = np.flatnonzero(score >= threshold)
        else:
            among = np.arange(score.size)
        order = np.lexsort((self.id_rank[partner[among]], -score[among]))
        chosen: IntArray = among[order[:first]]
        return chosen
