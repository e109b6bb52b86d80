"""The exact count of partners for people the sampled scan left without an eligible one.

Who met no eligible partner in a random pool gets tallies against every possible
partner, so that "no eligible partner" is always a true statement; the counting goes by
classes of people alike for the rules, not by pairs (`ExactCount.tallies`).
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from tandem_matching.engine.arrays import IntArray
from tandem_matching.engine.candidate_scan import SEED, CandidateScan
from tandem_matching.engine.rules import RULES


def _members(people: IntArray, sorted_set: IntArray) -> IntArray:
    """The `people` found in `sorted_set` (binary search, no sorting of the set)."""
    at = np.minimum(np.searchsorted(sorted_set, people), max(sorted_set.size - 1, 0))
    if sorted_set.size == 0:
        return people[:0]
    found: IntArray = people[sorted_set[at] == people]
    return found


def _take_out(tally: IntArray, rules: IntArray) -> int:
    """Remove partners from a tally by the rule each breaks; return how many were eligible."""
    np.subtract.at(tally, rules[rules >= 0], 1)
    return int((rules < 0).sum())


class ExactCount:
    """Exact tallies added to a scan's; the classes, managers and class verdicts are kept
    for the next call on the same scan (rows, then mentor columns)."""

    def __init__(self, scan: CandidateScan) -> None:
        self.scan = scan
        self._class_of: tuple[IntArray, IntArray] | None = None
        self._row_wants: sp.csr_matrix | None = None  # wanted_exactly of the rows, transposed
        self._parent: IntArray | None = None
        self._class_rule_cache: dict[tuple[int, bool], IntArray] = {}

    def _classes(self) -> tuple[IntArray, IntArray]:
        """(class of each person, one person of each class): people alike for every rule
        that does not name particular people (department, zone, languages, seniority)."""
        if self._class_of is None:
            population = self.scan.population
            features = np.column_stack(
                [
                    population.department,
                    population.zone,
                    population.seniority,
                    population.languages.view(np.int64).reshape(population.size, -1),
                ]
            )
            _, first, class_of = np.unique(features, axis=0, return_index=True, return_inverse=True)
            self._class_of = (class_of.ravel().astype(np.int64), first.astype(np.int64))
        return self._class_of

    def tallies(self, people: IntArray, *, as_rows: bool) -> IntArray:
        """Add the tallies of `people` against every possible partner; return those with an eligible one.

        People with the same skills have the same skill-compatible partners, found with
        one product per skill signature. Among those partners the rules that name
        particular people (reporting line, previous pairs) are checked one by one; the
        others depend only on the partner's class, so each class is checked once and
        counted as many times as it has members. The cost is one product per signature
        plus, per person, a pass over their compatible partners' classes.
        """
        scan = self.scan
        population, checker = scan.population, scan.checker
        class_of, representative = self._classes()
        classes = representative.size
        rules = len(RULES)
        reporting, previous = RULES.index("reporting_line"), RULES.index("previous_pair")
        partners_all = scan.column_people if as_rows else scan.row_people
        if as_rows:
            signature_parts = [scan.exactly] + ([scan.at_least] if scan.two_way else [])
        else:
            signature_parts = [scan.at_least]
        groups: dict[bytes, list[int]] = {}
        for person in people.tolist():
            key = b"|".join(
                m.indices[m.indptr[person] : m.indptr[person + 1]].tobytes()
                + m.data[m.indptr[person] : m.indptr[person + 1]].tobytes()
                for m in signature_parts
            )
            groups.setdefault(key, []).append(person)
        eligible_found: list[int] = []
        tin, tout = population.tin, population.tout
        parent = self._parents()
        for members in groups.values():
            compatible = partners_all[self._compatible(members[0], as_rows=as_rows)]
            by_tin = compatible[np.argsort(tin[compatible], kind="stable")]
            sorted_tin = tin[by_tin]
            counts = np.bincount(class_of[compatible], minlength=classes)
            present = np.flatnonzero(counts)
            verdicts: dict[int, tuple[IntArray, IntArray, int]] = {}
            for person in members:
                own_class = int(class_of[person])
                if own_class not in verdicts:
                    rule_of_class = self._class_rules(own_class, as_rows=as_rows)
                    first = rule_of_class[present]
                    failing = first >= 0
                    base = np.bincount(first[failing], weights=counts[present][failing], minlength=rules)
                    verdicts[own_class] = (
                        rule_of_class,
                        base.astype(np.int64),
                        int(counts[present][~failing].sum()),
                    )
                rule_of_class, base, eligible = verdicts[own_class]
                tally = base.copy()
                removed: list[IntArray] = []
                found = eligible

                at = np.searchsorted(compatible, person)
                is_partner = at < compatible.size and compatible[at] == person
                if is_partner:
                    found -= _take_out(tally, rule_of_class[class_of[[person]]])
                if scan.program.exclude_reporting_line:
                    # Below: a range of the tin order; above: the chain of managers.
                    low, high = np.searchsorted(sorted_tin, [tin[person], tout[person]])
                    below = by_tin[low:high]
                    chain = []
                    boss = int(parent[person])
                    while boss >= 0:
                        chain.append(boss)
                        boss = int(parent[boss])
                    line = np.union1d(below, _members(np.asarray(chain, dtype=np.int64), compatible))
                    line = line[line != person]
                    if line.size:
                        found -= _take_out(tally, rule_of_class[class_of[line]])
                        tally[reporting] += line.size
                        removed.append(line)
                former = checker.previous_partners.get(person, [])
                if former:
                    known = np.unique(_members(np.asarray(former, dtype=np.int64), compatible))
                    if removed:
                        known = np.setdiff1d(known, removed[0])
                    rule = rule_of_class[class_of[known]]
                    # A previous partner counts under an earlier rule it breaks, else here.
                    here = known[(rule < 0) | (rule > previous)]
                    if here.size:
                        found -= _take_out(tally, rule_of_class[class_of[here]])
                        tally[previous] += here.size
                scan.skill_compatible[person] += compatible.size - int(is_partner)
                scan.broken[person] += tally
                scan.eligible[person] += found
                if found > 0:
                    eligible_found.append(person)
        return np.asarray(eligible_found, dtype=np.int64)

    def _class_rules(self, own_class: int, *, as_rows: bool) -> IntArray:
        """The first rule (or -1) that a person of `own_class` breaks with each class."""
        key = (own_class, as_rows)
        found = self._class_rule_cache.get(key)
        if found is None:
            _, representative = self._classes()
            mentor, mentee = self._orient(
                np.full(representative.size, representative[own_class]), representative, as_rows=as_rows
            )
            found = self.scan.checker.first_broken_rule(mentor, mentee, individual=False)
            self._class_rule_cache[key] = found
        return found

    def _parents(self) -> IntArray:
        """Each participant's nearest manager among the participants (-1 for none).

        Reporting lines are nested intervals of the tin order, so one sweep with a stack
        of open intervals finds them; people sharing an interval (a collapsed
        management cycle) are each other's managers, and the one met first stands for
        the others.
        """
        if self._parent is None:
            tin, tout = self.scan.population.tin, self.scan.population.tout
            parent = np.full(tin.size, -1, dtype=np.int64)
            stack: list[int] = []
            for person in np.lexsort((-tout, tin)).tolist():
                while stack and not (tin[stack[-1]] <= tin[person] < tout[stack[-1]]):
                    stack.pop()
                if stack:
                    parent[person] = stack[-1]
                stack.append(person)
            self._parent = parent
        return self._parent

    def _orient(self, person: IntArray, partner: IntArray, *, as_rows: bool) -> tuple[IntArray, IntArray]:
        """(mentor, mentee), or (row, column) in two-way programs."""
        if self.scan.two_way:
            return person, partner
        return (partner, person) if as_rows else (person, partner)

    def _compatible(self, person: int, *, as_rows: bool) -> IntArray:
        """Sorted positions (among columns, or among rows) of everyone skill-compatible with `person`."""
        scan = self.scan
        if as_rows:
            every = scan.pools(np.random.default_rng(SEED), scan.column_people.size, 1)
            # One-row products: each column index appears at most once.
            found: IntArray = np.sort((scan.exactly[[person]] @ every.offer).indices).astype(np.int64)
            if scan.two_way and every.want is not None:
                teach = np.sort((scan.at_least[[person]] @ every.want).indices).astype(np.int64)
                if scan.program.type == "reciprocal":
                    found = np.intersect1d(found, teach, assume_unique=True)
                else:
                    found = np.union1d(found, teach)
            return found
        if self._row_wants is None:
            self._row_wants = scan.exactly[scan.row_people].T.tocsr()
        mentees: IntArray = np.sort((scan.at_least[[person]] @ self._row_wants).indices).astype(np.int64)
        return mentees
