"""Candidate pairs without forming all n^2 pairs.

Skills are spread over level slots: `offered_at_least[p, (t-1)*S + s] = 1` when person
`p` offers skill `s` at level t or more, and `wanted_exactly[p, (t-1)*S + s] = t` when
`p` wants `s` at exactly level t. Their sparse product is, for every pair at once, the
level-weighted amount of what one wants that the other offers at the wanted level, and
its non-zeros are exactly the pairs the skill rule allows. Rows are processed in blocks
sized to keep each block's product near a fixed number of entries, so peak memory
grows with n (the kept candidates), not n^2. In each block the hard rules are applied
on whole arrays, every rejection is tallied per person for the explanations, the pairs
are scored, and the best `top_k` per person are kept.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from tandem_matching.engine.arrays import FloatArray, IntArray
from tandem_matching.engine.people import MAX_LEVEL, Population
from tandem_matching.engine.program import Program
from tandem_matching.engine.rules import RULES, RuleChecker
from tandem_matching.engine.scoring import factor_values, weighted_score

BLOCK_TARGET_ENTRIES = 2_000_000
POOL_SIZE = 15_000
SEED = 0


@dataclass
class Candidates:
    """Kept pairs (`a` is the mentor in mentor programs) and per-person tallies."""

    a: IntArray
    b: IntArray
    cover_ab: FloatArray
    cover_ba: FloatArray
    skill_compatible: IntArray
    broken: IntArray  # people x len(RULES): partners removed by each rule
    eligible: IntArray  # partners that passed every rule


def level_slots(population: Population) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """(offered_at_least, wanted_exactly) as described in the module docs."""
    skills = population.offered.shape[1]

    def spread(matrix: sp.csr_matrix, at_least: bool) -> sp.csr_matrix:
        coo = matrix.tocoo()
        levels = coo.data.astype(np.int64)
        rows: list[IntArray] = []
        cols: list[IntArray] = []
        data: list[FloatArray] = []
        for level in range(1, MAX_LEVEL + 1):
            chosen = levels >= level if at_least else levels == level
            rows.append(coo.row[chosen].astype(np.int64))
            cols.append((level - 1) * skills + coo.col[chosen].astype(np.int64))
            data.append(np.full(int(chosen.sum()), 1.0 if at_least else float(level)))
        return sp.csr_matrix(
            (np.concatenate(data), (np.concatenate(rows), np.concatenate(cols))),
            shape=(population.size, MAX_LEVEL * skills),
        )

    return spread(population.offered, True), spread(population.wanted, False)


def _top_k(rows: IntArray, score: FloatArray, k: int) -> IntArray:
    order = np.lexsort((-score, rows))
    sorted_rows = rows[order]
    starts = np.flatnonzero(np.r_[True, sorted_rows[1:] != sorted_rows[:-1]])
    lengths = np.diff(np.r_[starts, sorted_rows.size])
    rank = np.arange(sorted_rows.size) - np.repeat(starts, lengths)
    kept: IntArray = order[rank < k]
    return kept


def generate(
    population: Population,
    program: Program,
    checker: RuleChecker,
    row_people: IntArray,
    column_people: IntArray,
    *,
    two_way: bool,
    top_k: int,
    pool_size: int = POOL_SIZE,
    progress: Callable[[str], None],
) -> Candidates:
    """Candidates between `row_people` and `column_people` (global indices).

    With `two_way`, rows and columns are the same people and both must teach each other
    (reciprocal) or either must teach the other (peer). Otherwise rows are mentees and
    columns mentors, and the mentor must teach the mentee. When there are more than
    `pool_size` columns, each block of rows is compared with a fresh seeded random pool
    of `pool_size` columns; rows left with no eligible partner are then compared with
    every column, so "no eligible partner" is always exact for them.
    """
    n = population.size
    scan = _Scan(population, program, checker, column_people, two_way=two_way, top_k=top_k)
    rng = np.random.default_rng(SEED)
    sampled = column_people.size > pool_size
    block = 256
    start = 0
    while start < row_people.size:
        stop = min(start + block, row_people.size)
        pool = np.sort(rng.choice(column_people.size, size=pool_size, replace=False)) if sampled else None
        entries = scan.block(row_people[start:stop], pool)
        per_row = entries / max(stop - start, 1)
        block = int(np.clip(BLOCK_TARGET_ENTRIES / max(per_row, 1.0), 16, 8192))
        start = stop
    if sampled:
        retry = row_people[scan.eligible[row_people] == 0]
        progress(f"candidates: {retry.size} people rechecked against every partner")
        scan.skill_compatible[retry] = 0
        scan.broken[retry] = 0
        start, block = 0, 64
        while start < retry.size:
            stop = min(start + block, retry.size)
            entries = scan.block(retry[start:stop], None, rows_only=True)
            block = int(np.clip(BLOCK_TARGET_ENTRIES / max(entries / (stop - start), 1.0), 16, 8192))
            start = stop
    progress(f"candidates: scanned {row_people.size} people")
    return scan.result(n)


class _Scan:
    """State of one candidate scan: level-slot matrices, tallies, kept pairs."""

    def __init__(
        self,
        population: Population,
        program: Program,
        checker: RuleChecker,
        column_people: IntArray,
        *,
        two_way: bool,
        top_k: int,
    ) -> None:
        n = population.size
        self.population, self.program, self.checker = population, program, checker
        self.column_people, self.two_way, self.top_k = column_people, two_way, top_k
        self.at_least, self.exactly = level_slots(population)
        self.all_offer_t = self.at_least[column_people].T.tocsr()
        self.all_want_t = self.exactly[column_people].T.tocsr()
        self.wanted_total = np.asarray(population.wanted.sum(axis=1)).ravel()
        self.skill_compatible = np.zeros(n, dtype=np.int64)
        self.broken = np.zeros((n, len(RULES)), dtype=np.int64)
        self.eligible = np.zeros(n, dtype=np.int64)
        self.kept_a: list[IntArray] = []
        self.kept_b: list[IntArray] = []
        self.kept_ab: list[FloatArray] = []
        self.kept_ba: list[FloatArray] = []

    def block(self, rows: IntArray, pool: IntArray | None, rows_only: bool = False) -> int:
        """Scan one block of rows against the pool (or all columns); return entries seen."""
        population, program, n = self.population, self.program, self.population.size
        if pool is None:
            columns, offer_t, want_t = self.column_people, self.all_offer_t, self.all_want_t
        else:
            columns = self.column_people[pool]
            offer_t = self.at_least[columns].T.tocsr()
            want_t = self.exactly[columns].T.tocsr() if self.two_way else offer_t
        width = max(columns.size, 1)
        # learn[i, j]: how much of what row i wants column j offers at level.
        learn = (self.exactly[rows] @ offer_t).tocoo()
        if self.two_way:
            teach = (self.at_least[rows] @ want_t).tocoo()
            learn_keys = learn.row.astype(np.int64) * width + learn.col
            teach_keys = teach.row.astype(np.int64) * width + teach.col
            if program.type == "reciprocal":
                keys, learn_at, teach_at = np.intersect1d(
                    learn_keys, teach_keys, assume_unique=True, return_indices=True
                )
                learn_value = learn.data[learn_at]
                teach_value = teach.data[teach_at]
            else:
                keys = np.union1d(learn_keys, teach_keys)
                learn_value = np.zeros(keys.size)
                teach_value = np.zeros(keys.size)
                learn_value[np.searchsorted(keys, learn_keys)] = learn.data
                teach_value[np.searchsorted(keys, teach_keys)] = teach.data
            local_row, local_col = keys // width, keys % width
        else:
            local_row = learn.row.astype(np.int64)
            local_col = learn.col.astype(np.int64)
            learn_value = learn.data
            teach_value = np.zeros(learn_value.size)
        entries = int(local_row.size)
        row = rows[local_row]
        column = columns[local_col]
        distinct = row != column
        row, column = row[distinct], column[distinct]
        learn_value, teach_value = learn_value[distinct], teach_value[distinct]
        count_columns = not self.two_way and not rows_only
        self.skill_compatible += np.bincount(row, minlength=n)
        if count_columns:
            self.skill_compatible += np.bincount(column, minlength=n)

        # In mentor programs the column is the mentor: rules read (mentor, mentee).
        mentor, mentee = (row, column) if self.two_way else (column, row)
        first_broken = self.checker.first_broken_rule(mentor, mentee)
        failing = first_broken >= 0
        flat = row[failing] * len(RULES) + first_broken[failing]
        self.broken += np.bincount(flat, minlength=n * len(RULES)).reshape(n, len(RULES))
        if count_columns:
            flat = column[failing] * len(RULES) + first_broken[failing]
            self.broken += np.bincount(flat, minlength=n * len(RULES)).reshape(n, len(RULES))

        ok = ~failing
        row, column = row[ok], column[ok]
        self.eligible += np.bincount(row, minlength=n)
        if count_columns:
            self.eligible += np.bincount(column, minlength=n)
        cover_row = learn_value[ok] / np.maximum(self.wanted_total[row], 1e-12)
        cover_column = teach_value[ok] / np.maximum(self.wanted_total[column], 1e-12)
        if self.two_way:
            a, b, cover_ab, cover_ba = row, column, cover_column, cover_row
        else:
            a, b, cover_ab, cover_ba = column, row, cover_row, np.zeros(row.size)
        values = factor_values(
            population, program, a, b, cover_ab=cover_ab, cover_ba=cover_ba, with_goals=False
        )
        keep = _top_k(row, weighted_score(program, values), self.top_k)
        self.kept_a.append(a[keep])
        self.kept_b.append(b[keep])
        self.kept_ab.append(cover_ab[keep])
        self.kept_ba.append(cover_ba[keep])
        return entries

    def result(self, n: int) -> Candidates:
        a = np.concatenate(self.kept_a) if self.kept_a else np.empty(0, dtype=np.int64)
        b = np.concatenate(self.kept_b) if self.kept_b else np.empty(0, dtype=np.int64)
        cover_ab = np.concatenate(self.kept_ab) if self.kept_ab else np.empty(0)
        cover_ba = np.concatenate(self.kept_ba) if self.kept_ba else np.empty(0)
        if a.size:
            # A pair can be kept twice (from both people's rows, or in two passes).
            if self.two_way:
                swap = a > b
                a, b = np.where(swap, b, a), np.where(swap, a, b)
                cover_ab, cover_ba = (
                    np.where(swap, cover_ba, cover_ab),
                    np.where(swap, cover_ab, cover_ba),
                )
            _, first = np.unique(a * n + b, return_index=True)
            a, b, cover_ab, cover_ba = a[first], b[first], cover_ab[first], cover_ba[first]
        return Candidates(a, b, cover_ab, cover_ba, self.skill_compatible, self.broken, self.eligible)
