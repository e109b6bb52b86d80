"""The sampled scan of candidate pairs: blocks of rows compared with random pools of columns.

Skills are spread over level slots: `offered_at_least[p, (t-1)*S + s] = 1` when person
`p` offers skill `s` at level t or more, and `wanted_exactly[p, (t-1)*S + s] = t` when
`p` wants `s` at exactly level t. Their sparse product is, for every pair at once, the
level-weighted amount of what one wants that the other offers at the wanted level, and
its non-zeros are exactly the pairs the skill rule allows.

In each block the hard rules are applied on whole arrays, every rejection is tallied per
person for the explanations, the pairs are scored, and the best `top_k` per person are
kept (`candidate_top_k`). Blocks keep each product near a fixed number of entries; pool
sizes and who is scanned again are `candidates.generate`'s to decide.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

from tandem_matching.engine.arrays import FloatArray, IntArray
from tandem_matching.engine.candidate_top_k import top_k_per_group
from tandem_matching.engine.people import MAX_LEVEL, Population
from tandem_matching.engine.program import Program
from tandem_matching.engine.rules import RULES, RuleChecker
from tandem_matching.engine.scoring import factor_values, weighted_score

BLOCK_TARGET_ENTRIES = 2_000_000
SEED = 0
_SPLIT = float(1 << 20)
"""Two products are merged into one sparse matrix as learn + teach * _SPLIT, or learn *
(teach * _SPLIT + 1): both are small sums of skill levels, far below it, and the
results stay exact in float64."""


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


def block_rows(entries: int, rows: int) -> int:
    """Rows for the next block, from the skill-compatible entries per row of the last one."""
    per_row = entries / max(rows, 1)
    return int(np.clip(BLOCK_TARGET_ENTRIES / max(per_row, 1.0), 16, 8192))


def _shifted(matrix: sp.csr_matrix, people: IntArray, group: IntArray, groups: int) -> sp.csr_matrix:
    """Rows `people` of `matrix`; the columns of row i move to block `group[i]` of `groups`."""
    part = matrix[people]
    if groups == 1:
        return part
    width = matrix.shape[1]
    shift = np.repeat(group.astype(np.int64) * width, np.diff(part.indptr))
    return sp.csr_matrix(
        (part.data, part.indices.astype(np.int64) + shift, part.indptr),
        shape=(people.size, groups * width),
    )


@dataclass
class Pool:
    """The columns one block of rows meets: `groups` random pools side by side.

    Rows `g * rows_per_group` to `(g + 1) * rows_per_group - 1` of the block meet only
    pool `g`. The skill slots of group g are moved to block g of the slot axis, so one
    sparse product compares every group of rows with its own pool and nothing else.
    """

    people: IntArray  # global index of each pool slot, group after group
    offer: sp.csr_matrix  # shifted level slots x pool slots: offered_at_least, transposed
    want: sp.csr_matrix | None  # the same for wanted_exactly (two-way programs)
    groups: int
    rows_per_group: int

    def row_groups(self, rows: int) -> IntArray:
        group: IntArray = np.minimum(np.arange(rows, dtype=np.int64) // self.rows_per_group, self.groups - 1)
        return group


class CandidateScan:
    """State of one candidate scan: level-slot matrices, tallies, kept pairs."""

    def __init__(
        self,
        population: Population,
        program: Program,
        checker: RuleChecker,
        row_people: IntArray,
        column_people: IntArray,
        *,
        two_way: bool,
        top_k: int,
    ) -> None:
        n = population.size
        self.population, self.program, self.checker = population, program, checker
        self.row_people, self.column_people = row_people, column_people
        self.two_way, self.top_k = two_way, top_k
        self.at_least, self.exactly = level_slots(population)
        self._every_column: Pool | None = None
        self.wanted_total = np.asarray(population.wanted.sum(axis=1)).ravel()
        self.skill_compatible = np.zeros(n, dtype=np.int64)
        self.broken = np.zeros((n, len(RULES)), dtype=np.int64)
        self.eligible = np.zeros(n, dtype=np.int64)
        self.compared = 0  # row x column comparisons of the main pass
        self.eligible_pairs = 0  # of which eligible
        self.kept_pairs = 0
        self.kept_a: list[IntArray] = []
        self.kept_b: list[IntArray] = []
        self.kept_ab: list[FloatArray] = []
        self.kept_ba: list[FloatArray] = []

    def _pool_of(self, people: IntArray, groups: int, rows_per_group: int) -> Pool:
        size = people.size // groups
        group = np.repeat(np.arange(groups, dtype=np.int64), size)
        return Pool(
            people=people,
            offer=_shifted(self.at_least, people, group, groups).T.tocsr(),
            want=_shifted(self.exactly, people, group, groups).T.tocsr() if self.two_way else None,
            groups=groups,
            rows_per_group=rows_per_group,
        )

    def pools(self, rng: np.random.Generator, size: int, rows: int) -> Pool:
        """Random pools of `size` columns for a block of `rows` rows (every column if size allows).

        Each pool is shared by about size / (2 top_k) rows, so that a column of a pool
        enters the kept lists of at most a few of the rows that meet it: the rows of
        one block do not all crowd onto the same few columns.
        """
        columns = self.column_people.size
        if size >= columns:
            if self._every_column is None:
                self._every_column = self._pool_of(self.column_people, 1, 1 << 62)
            return self._every_column
        rows_per_group = max(1, size // (2 * self.top_k))
        groups = -(-rows // rows_per_group)
        # Windows of one random permutation: no column twice in a pool.
        order = rng.permutation(columns)
        offsets = rng.integers(0, columns, size=groups)
        positions = order[(offsets[:, None] + np.arange(size)[None, :]) % columns]
        return self._pool_of(self.column_people[positions.ravel()], groups, rows_per_group)

    def rescan_rows(self, rows: IntArray, rng: np.random.Generator, pool: int) -> None:
        """Compare `rows` again with pools of `pool` columns; their tallies restart."""
        if rows.size == 0:
            return
        self.skill_compatible[rows] = 0
        self.broken[rows] = 0
        self.eligible[rows] = 0
        start, block = 0, 16
        while start < rows.size:
            stop = min(start + block, rows.size)
            part = rows[start:stop]
            entries = self.block(part, self.pools(rng, pool, part.size), main=False)
            block = block_rows(entries, part.size)
            start = stop

    def rescan_columns(self, columns: IntArray, rng: np.random.Generator, pool: int) -> None:
        """Compare mentor `columns` with `pool` rows (mentees); their tallies restart."""
        self.skill_compatible[columns] = 0
        self.broken[columns] = 0
        self.eligible[columns] = 0
        lonely = self._pool_of(columns, 1, 1 << 62)
        rows = self.row_people
        if pool < rows.size:
            rows = rows[np.sort(rng.choice(rows.size, size=pool, replace=False))]
        start, block = 0, 256
        while start < rows.size:
            stop = min(start + block, rows.size)
            entries = self.block(
                rows[start:stop], lonely, count_rows=False, count_columns=True, main=False, keep_columns=True
            )
            block = int(np.clip(BLOCK_TARGET_ENTRIES / max(entries / (stop - start), 1.0), 16, 65536))
            start = stop

    def block(
        self,
        rows: IntArray,
        pool: Pool,
        *,
        count_rows: bool = True,
        count_columns: bool = False,
        main: bool = True,
        keep_columns: bool = False,
    ) -> int:
        """Scan one block of rows against its pools; return the skill-compatible entries seen.

        `count_rows` and `count_columns` choose whose tallies the block adds to; the
        best `top_k` are kept per row (per column with `keep_columns`).
        """
        population, program = self.population, self.program
        size = rows.size
        group = pool.row_groups(size)
        # learn[i, j]: how much of what row i wants pool slot j offers at level.
        learn = _shifted(self.exactly, rows, group, pool.groups) @ pool.offer
        if self.two_way and pool.want is not None:
            # teach[i, j]: how much of what pool slot j wants row i offers at level.
            teach = _shifted(self.at_least, rows, group, pool.groups) @ pool.want
            if program.type == "reciprocal":
                # Both directions: the pairs where both products are non-zero. One
                # element-wise product holds both values: learn * (teach * _SPLIT + 1).
                encoded = sp.csr_matrix(
                    (teach.data * _SPLIT + 1.0, teach.indices, teach.indptr), shape=teach.shape
                )
                product = learn.multiply(encoded).tocsr()
                merged_indptr, merged_indices = product.indptr, product.indices
                learn_value = np.mod(product.data, _SPLIT)
                teach_value = (product.data - learn_value) / (learn_value * _SPLIT)
            else:
                # Either direction: one sparse sum holds both (module constant _SPLIT).
                merged = (learn + teach * _SPLIT).tocsr()
                merged_indptr, merged_indices = merged.indptr, merged.indices
                teach_value = np.floor(merged.data / _SPLIT)
                learn_value = merged.data - teach_value * _SPLIT
            local_row = np.repeat(np.arange(size, dtype=np.int64), np.diff(merged_indptr))
            slot = merged_indices.astype(np.int64)
        else:
            local_row = np.repeat(np.arange(size, dtype=np.int64), np.diff(learn.indptr))
            slot = learn.indices.astype(np.int64)
            learn_value = learn.data
            teach_value = np.zeros(learn_value.size)
        entries = int(local_row.size)
        row, column = rows[local_row], pool.people[slot]
        distinct = row != column
        if not distinct.all():
            slot, local_row = slot[distinct], local_row[distinct]
            row, column = row[distinct], column[distinct]
            learn_value, teach_value = learn_value[distinct], teach_value[distinct]
        if count_columns:
            # A column can sit in several pools of the block: tally it once per person.
            column_people, column_id = np.unique(pool.people, return_inverse=True)
            local_column = column_id.ravel()[slot]
        if count_rows:
            self.skill_compatible[rows] += np.bincount(local_row, minlength=size)
        if count_columns:
            self.skill_compatible[column_people] += np.bincount(local_column, minlength=column_people.size)

        # In mentor programs the column is the mentor: rules read (mentor, mentee).
        mentor, mentee = (row, column) if self.two_way else (column, row)
        first_broken = self.checker.first_broken_rule(mentor, mentee)
        failing = first_broken >= 0
        rules = len(RULES)
        if count_rows:
            flat = local_row[failing] * rules + first_broken[failing]
            self.broken[rows] += np.bincount(flat, minlength=size * rules).reshape(size, rules)
        if count_columns:
            flat = local_column[failing] * rules + first_broken[failing]
            self.broken[column_people] += np.bincount(flat, minlength=column_people.size * rules).reshape(
                column_people.size, rules
            )

        ok = ~failing
        local_row, slot, row, column = local_row[ok], slot[ok], row[ok], column[ok]
        if count_rows:
            self.eligible[rows] += np.bincount(local_row, minlength=size)
        if count_columns:
            self.eligible[column_people] += np.bincount(local_column[ok], minlength=column_people.size)
        if main:
            self.compared += size * (pool.people.size // pool.groups)
            self.eligible_pairs += int(row.size)
        cover_row = learn_value[ok] / np.maximum(self.wanted_total[row], 1e-12)
        cover_column = teach_value[ok] / np.maximum(self.wanted_total[column], 1e-12)
        if self.two_way:
            a, b, cover_ab, cover_ba = row, column, cover_column, cover_row
        else:
            a, b, cover_ab, cover_ba = column, row, cover_row, np.zeros(row.size)
        values = factor_values(
            population, program, a, b, cover_ab=cover_ab, cover_ba=cover_ba, with_goals=False
        )
        score = weighted_score(program, values)
        if keep_columns:
            keep = top_k_per_group(slot, score, self.top_k, pool.people.size)
        else:
            keep = top_k_per_group(local_row, score, self.top_k, size)
        self.kept_a.append(a[keep])
        self.kept_b.append(b[keep])
        self.kept_ab.append(cover_ab[keep])
        self.kept_ba.append(cover_ba[keep])
        self.kept_pairs += int(keep.size)
        return entries
