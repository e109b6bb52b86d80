"""Hard rules on arrays of candidate pairs.

`first_broken_rule` returns, for every pair, the index of the first rule it breaks in
`RULES` order, or -1 when it breaks none. Roles, status and skills are not here: the
candidate generator never forms pairs that fail them. The seniority rule reads `a` as
the mentor and `b` as the mentee.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import numpy.typing as npt

from tandem_matching.engine.arrays import BoolArray, IntArray
from tandem_matching.engine.people import Population
from tandem_matching.engine.program import Program

COMPACT_BELOW = 0.75
"""Share of pairs still passing below which they are gathered into smaller arrays."""

RULES = (
    "reporting_line",
    "same_department",
    "timezone_overlap",
    "common_language",
    "previous_pair",
    "seniority",
)


class RuleChecker:
    def __init__(self, population: Population, program: Program) -> None:
        self.population = population
        self.program = program
        previous = [
            (population.index[a], population.index[b])
            for a, b in program.previous_pairs
            if a in population.index and b in population.index
        ]
        n = max(population.size, 1)
        self.previous_keys = np.unique(
            np.asarray([min(a, b) * n + max(a, b) for a, b in previous], dtype=np.int64)
        )
        self.previous_partners: dict[int, list[int]] = {}
        self._short_overlap: BoolArray | None = None
        for a, b in previous:
            if a != b:
                self.previous_partners.setdefault(a, []).append(b)
                self.previous_partners.setdefault(b, []).append(a)

    def overlap(self, a: IntArray, b: IntArray) -> npt.NDArray[np.float64]:
        population = self.population
        result: npt.NDArray[np.float64] = population.zone_overlap[population.zone[a], population.zone[b]]
        return result

    def first_broken_rule(self, a: IntArray, b: IntArray, *, individual: bool = True) -> IntArray:
        """Rules run in order; each pair takes the first rule it breaks.

        The pairs still passing are gathered into smaller arrays only once a rule has
        removed a good share of them (COMPACT_BELOW): gathering every array after a rule
        that removes few pairs costs more than checking those pairs again.

        With `individual=False` the two rules about particular people (reporting line,
        previous pairs) are left out: what remains depends only on each person's
        department, zone, languages and seniority, so it holds for anyone alike.
        """
        population, program = self.population, self.program
        broken = np.full(a.size, -1, dtype=np.int64)
        alive = np.arange(a.size, dtype=np.int64)
        undecided = np.ones(a.size, dtype=bool)
        x, y = a, b
        n = max(population.size, 1)
        checks: list[tuple[str, Callable[[IntArray, IntArray], BoolArray]]] = []
        if program.exclude_reporting_line and individual:
            checks.append(("reporting_line", self._in_reporting_line))
        if program.exclude_same_department:
            department = population.department
            checks.append(("same_department", lambda p, q: department[p] == department[q]))
        if program.min_timezone_overlap_hours > 0:
            too_short = self._too_short_overlap()
            zones = too_short.shape[0]
            zone = np.asarray(population.zone, dtype=np.int64)
            checks.append(("timezone_overlap", lambda p, q: too_short.ravel()[zone[p] * zones + zone[q]]))
        if program.require_common_language:
            checks.append(("common_language", lambda p, q: ~population.common_language(p, q)))
        if self.previous_keys.size and individual:
            keys = self.previous_keys
            checks.append(
                (
                    "previous_pair",
                    lambda p, q: np.isin(np.minimum(p, q) * n + np.maximum(p, q), keys),
                )
            )
        seniority = population.seniority
        if program.type == "reverse":
            checks.append(("seniority", lambda p, q: seniority[p] >= seniority[q]))
        elif program.type == "traditional":
            checks.append(("seniority", lambda p, q: seniority[p] <= seniority[q]))
        for rule, failing_of in checks:
            if alive.size == 0:
                break
            failing = failing_of(x, y) & undecided
            broken[alive[failing]] = RULES.index(rule)
            undecided &= ~failing
            passing = int(np.count_nonzero(undecided))
            if passing < COMPACT_BELOW * alive.size:
                alive, x, y = alive[undecided], x[undecided], y[undecided]
                undecided = np.ones(passing, dtype=bool)
        return broken

    def _in_reporting_line(self, a: IntArray, b: IntArray) -> BoolArray:
        """org.in_reporting_line, reading each person's interval once."""
        tin, tout = self.population.tin, self.population.tout
        tin_a, tin_b = tin[a], tin[b]
        a_over_b = (tin_a <= tin_b) & (tin_b < tout[a])
        b_over_a = (tin_b <= tin_a) & (tin_a < tout[b])
        result: BoolArray = (a_over_b | b_over_a) & (a != b)
        return result

    def _too_short_overlap(self) -> BoolArray:
        """Zone x zone: True where the shared working hours fall below the program's minimum."""
        if self._short_overlap is None:
            overlap = self.population.zone_overlap
            self._short_overlap = np.ascontiguousarray(overlap < self.program.min_timezone_overlap_hours)
        return self._short_overlap


def rule_sentence(rule: str, person: str, count: int, program: Program) -> str:
    """How many potential partners one rule removed, as a phrase."""
    noun = "person" if count == 1 else "people"
    if rule == "reporting_line":
        return f"{count} {noun} in {person}'s reporting line"
    if rule == "same_department":
        return f"{count} {noun} in the same department"
    if rule == "timezone_overlap":
        hours = f"{program.min_timezone_overlap_hours:g}"
        return f"{count} {noun} with fewer than {hours} working hours of overlap"
    if rule == "common_language":
        return f"{count} {noun} without a common language"
    if rule == "previous_pair":
        return f"{count} previous partner{'s' if count != 1 else ''}"
    direction = "below" if program.type == "reverse" else "above"
    return f"{count} {noun} on the wrong side of the seniority rule (mentor {direction} mentee)"
