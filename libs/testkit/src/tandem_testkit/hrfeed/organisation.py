"""The synthetic organisation: a manager tree and everyone's HR attributes, as arrays.

The tree is laid out breadth first: managers are the first nodes in that order and each
takes the next 5 to 10 nodes as direct reports. Every manager therefore has 5 to 10
reports, except in an organisation of 2 to 5 people, where the one manager has all
the others. Managers' seniority falls with depth; individual contributors draw theirs
below their manager's, most often at the entry levels, which gives the pyramid.
After the tree is built, people are renumbered in hire-date order, so employee ids
grow with hire dates as they do in real HR systems.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

import numpy as np

from tandem_testkit.hrfeed.arrays import BoolArray, IntArray
from tandem_testkit.hrfeed.languages import draw_language_variants
from tandem_testkit.hrfeed.reference_data import (
    COUNTRIES,
    DEPARTMENTS,
    HIRE_HISTORY_YEARS,
    REFERENCE_DATE,
)

MIN_SPAN = 5
MAX_SPAN = 10
TOP_SENIORITY = 10
# Deep enough for 10 million people; deeper trees would push managers' seniority
# down to the entry level.
MAX_EMPLOYEES = 10_000_000
BIRTH_YEAR_SHARE = 0.3
SAME_COUNTRY_AS_MANAGER = 0.75
EXECUTIVE_DEPARTMENT = len(DEPARTMENTS)
_DAYS_PER_YEAR = 365.25


@dataclass(frozen=True, slots=True)
class Organisation:
    """Column arrays indexed by hire order: row ``i`` is employee number ``i + 1``."""

    reference_date: date
    manager: IntArray  # row of the manager, -1 at the top
    is_manager: BoolArray
    depth: IntArray
    seniority: IntArray
    department: IntArray  # index into DEPARTMENTS; EXECUTIVE_DEPARTMENT at the top
    role: IntArray  # index into the department's roles
    country: IntArray  # index into COUNTRIES
    city: IntArray  # index into the country's cities
    language_variant: IntArray  # index into languages.LANGUAGE_TABLE[country]
    first_name: IntArray
    last_name: IntArray
    hire_day: IntArray  # days since the reference date, all <= 0
    age: IntArray  # latent age at the reference date, for everyone
    has_birth_year: BoolArray

    @property
    def size(self) -> int:
        return int(self.manager.shape[0])


def build_organisation(
    size: int, rng: np.random.Generator, reference_date: date = REFERENCE_DATE
) -> Organisation:
    if not 1 <= size <= MAX_EMPLOYEES:
        raise ValueError(f"the organisation needs 1 to {MAX_EMPLOYEES} employees, not {size}")
    spans = _spans(size, rng)
    parent = _parents(size, spans)
    levels = _levels(size, spans)
    depth = np.zeros(size, dtype=np.int64)
    for level, (start, stop) in enumerate(levels):
        depth[start:stop] = level
    is_manager = np.zeros(size, dtype=np.bool_)
    is_manager[: spans.shape[0]] = True
    seniority = _seniority(parent, depth, is_manager, rng)
    department = _departments(parent, levels, rng)
    role = (
        rng.integers(0, 1 << 16, size=size) % np.array([len(d.roles) for d in DEPARTMENTS] + [1])[department]
    )
    country = _countries(parent, levels, rng)
    hire_day = _hire_days(seniority, rng)
    age = _ages(seniority, hire_day, rng)
    has_birth_year = rng.random(size) < BIRTH_YEAR_SHARE
    city = _pick_within(country, [len(c.cities) for c in COUNTRIES], rng)
    first_name = _pick_within(country, [len(c.first_names) for c in COUNTRIES], rng)
    last_name = _pick_within(country, [len(c.last_names) for c in COUNTRIES], rng)
    language_variant = draw_language_variants(country, rng.random(size))

    # Renumber in hire order; ties on one day are broken at random but reproducibly.
    order = np.lexsort((rng.random(size), hire_day))
    rank = np.empty(size, dtype=np.int64)
    rank[order] = np.arange(size, dtype=np.int64)
    manager = np.where(parent >= 0, rank[np.maximum(parent, 0)], -1)[order]
    return Organisation(
        reference_date=reference_date,
        manager=manager,
        is_manager=is_manager[order],
        depth=depth[order],
        seniority=seniority[order],
        department=department[order],
        role=role[order].astype(np.int64),
        country=country[order],
        city=city[order],
        language_variant=language_variant[order],
        first_name=first_name[order],
        last_name=last_name[order],
        hire_day=hire_day[order],
        age=age[order],
        has_birth_year=has_birth_year[order],
    )


def _spans(size: int, rng: np.random.Generator) -> IntArray:
    """Direct-report counts of the managers, in breadth-first order."""
    reports = size - 1
    if reports == 0:
        return np.zeros(0, dtype=np.int64)
    if reports < MIN_SPAN:
        return np.array([reports], dtype=np.int64)
    drawn = rng.integers(MIN_SPAN, MAX_SPAN + 1, size=reports // MIN_SPAN + 1)
    total = np.cumsum(drawn)
    count = int(np.searchsorted(total, reports)) + 1
    spans = drawn[:count].copy()
    spans[-1] -= int(total[count - 1]) - reports
    if spans[-1] < MIN_SPAN:
        spans = _rebalance_last(spans)
    return spans.astype(np.int64)


def _rebalance_last(spans: IntArray) -> IntArray:
    """Fold a last manager with fewer than MIN_SPAN reports into the others.

    Its reports go to earlier managers that have room; if there is not enough room
    (only in very small organisations), earlier managers give reports to it instead.
    """
    short = int(spans[-1])
    rest = spans[:-1].copy()
    room = MAX_SPAN - rest
    if int(room.sum()) >= short:
        for index in range(rest.shape[0] - 1, -1, -1):
            take = min(short, int(room[index]))
            rest[index] += take
            short -= take
            if short == 0:
                return rest
    spans = spans.copy()
    for index in range(spans.shape[0] - 2, -1, -1):
        give = min(MIN_SPAN - int(spans[-1]), int(spans[index]) - MIN_SPAN)
        spans[index] -= give
        spans[-1] += give
        if spans[-1] == MIN_SPAN:
            break
    return spans


def _parents(size: int, spans: IntArray) -> IntArray:
    parent = np.full(size, -1, dtype=np.int64)
    parent[1:] = np.repeat(np.arange(spans.shape[0], dtype=np.int64), spans)
    return parent


def _levels(size: int, spans: IntArray) -> list[tuple[int, int]]:
    """[start, stop) of each depth; breadth-first order keeps every level contiguous."""
    first_child = 1 + np.concatenate(([0], np.cumsum(spans)[:-1])).astype(np.int64)
    levels = [(0, 1)]
    managers = spans.shape[0]
    while True:
        start, stop = levels[-1]
        if start >= managers:
            return levels
        last = min(stop, managers) - 1
        child_stop = int(first_child[last] + spans[last])
        levels.append((int(first_child[start]), min(child_stop, size)))


def _seniority(
    parent: IntArray, depth: IntArray, is_manager: BoolArray, rng: np.random.Generator
) -> IntArray:
    deepest_manager = int(depth[is_manager].max()) if is_manager.any() else 0
    step = max(1.0, min(2.0, 6.0 / deepest_manager)) if deepest_manager else 2.0
    seniority = TOP_SENIORITY - np.floor(depth * step + 0.5).astype(np.int64)
    seniority = np.where(is_manager, seniority, 0)
    seniority[0] = TOP_SENIORITY
    leaves = np.flatnonzero(~is_manager)
    leaves = leaves[leaves > 0]
    boss = seniority[parent[leaves]]
    for ceiling in np.unique(boss):
        group = leaves[boss == ceiling]
        levels = np.arange(1, int(ceiling), dtype=np.int64)
        weights = 0.7 ** (levels - 1)
        seniority[group] = rng.choice(levels, size=group.shape[0], p=weights / weights.sum())
    return seniority


def _departments(parent: IntArray, levels: list[tuple[int, int]], rng: np.random.Generator) -> IntArray:
    department = np.full(parent.shape[0], EXECUTIVE_DEPARTMENT, dtype=np.int64)
    if len(levels) < 2:
        return department
    start, stop = levels[1]
    weights = np.array([d.weight for d in DEPARTMENTS])
    count = min(stop - start, len(DEPARTMENTS))
    chosen = rng.choice(len(DEPARTMENTS), size=count, replace=False, p=weights / weights.sum())
    # The earliest heads get the largest subtrees, so they run the largest departments.
    chosen = chosen[np.argsort(-weights[chosen], kind="stable")]
    department[start:stop] = np.resize(chosen, stop - start)
    for start, stop in levels[2:]:
        department[start:stop] = department[parent[start:stop]]
    return department


def _countries(parent: IntArray, levels: list[tuple[int, int]], rng: np.random.Generator) -> IntArray:
    weights = np.array([c.weight for c in COUNTRIES])
    drawn: IntArray = np.asarray(
        rng.choice(len(COUNTRIES), size=parent.shape[0], p=weights / weights.sum()), np.int64
    )
    stays: BoolArray = rng.random((parent.shape[0],)) < SAME_COUNTRY_AS_MANAGER
    country = drawn.copy()
    for start, stop in levels[1:]:
        inherited = country[parent[start:stop]]
        country[start:stop] = np.where(stays[start:stop], inherited, drawn[start:stop])
    return country


def _hire_days(seniority: IntArray, rng: np.random.Generator) -> IntArray:
    """Days before the reference date; senior people have longer tenure on average."""
    tenure_share = rng.beta(1.0 + 0.25 * (seniority - 1), 2.5)
    history_days = int(HIRE_HISTORY_YEARS * _DAYS_PER_YEAR)
    days: IntArray = -np.floor(tenure_share * history_days).astype(np.int64)
    return days


def _ages(seniority: IntArray, hire_day: IntArray, rng: np.random.Generator) -> IntArray:
    """Age at the reference date: rises with seniority; nobody was hired before 18."""
    age = np.rint(22 + 3.6 * (seniority - 1) + rng.normal(0.0, 5.0, seniority.shape[0]))
    tenure_years = np.ceil(-hire_day / _DAYS_PER_YEAR)
    ages: IntArray = np.clip(np.maximum(age, 18 + tenure_years), 19, 70).astype(np.int64)
    return ages


def _pick_within(country: IntArray, counts: list[int], rng: np.random.Generator) -> IntArray:
    sizes = np.array(counts, dtype=np.int64)[country]
    picked: IntArray = np.floor(rng.random(country.shape[0]) * sizes).astype(np.int64)
    return picked
