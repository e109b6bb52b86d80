"""Candidate pairs without forming all n^2 pairs, at a cost that does not depend on the skills.

Skills are spread over level slots: `offered_at_least[p, (t-1)*S + s] = 1` when person
`p` offers skill `s` at level t or more, and `wanted_exactly[p, (t-1)*S + s] = t` when
`p` wants `s` at exactly level t. Their sparse product is, for every pair at once, the
level-weighted amount of what one wants that the other offers at the wanted level, and
its non-zeros are exactly the pairs the skill rule allows.

Rows are compared in blocks with a seeded random pool of columns, fresh for every block.
The pool is sized from the density measured so far (eligible pairs per row and column
compared), so that each row meets about `EXAMINED_PER_TOP_K * top_k` eligible partners
whatever the vocabulary: a small, concentrated vocabulary, where almost every two
people are skill-compatible, gets a small pool; a large one a big pool (at most
`POOL_SIZE`). The work is therefore close to linear in people x top_k. Blocks are sized
to keep each product near a fixed number of entries, so peak memory grows with n (the
kept candidates), not n^2. In each block the hard rules are applied on whole arrays,
every rejection is tallied per person for the explanations, the pairs are scored, and
the best `top_k` per person are kept.

"No eligible partner" stays exact: anyone left without an eligible partner is compared
again with a pool eight times larger, and so on until the pool is every column; their
tallies are then those of the last (complete) comparison. In mentor programs the same
is done for mentors (columns) that no row found eligible.
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
"""The largest random pool of columns compared with one block of rows."""
MIN_POOL = 512
EXAMINED_PER_TOP_K = 10
"""Eligible partners each row should meet in its pool, as a multiple of top_k."""
WIDENING = 8
"""Each exactness pass compares the people still without a partner with a pool this much larger."""
PROBE_ROWS = 32
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


_SCORE_BUCKETS = 256
_SPLIT = float(1 << 20)
"""Two products are merged into one sparse matrix as learn + teach * _SPLIT, or learn *
(teach * _SPLIT + 1): both are small sums of skill levels, far below it, and the
results stay exact in float64."""


def _top_k(group: IntArray, score: FloatArray, k: int, groups: int) -> IntArray:
    """Positions of the `k` best scores of each group (`group` in [0, groups))."""
    if group.size == 0:
        return np.empty(0, dtype=np.int64)
    # A histogram of each group's scores finds the bucket that holds its k-th best, so
    # only the entries from that bucket up are sorted (scores are in [0, 1]).
    bucket = np.minimum((score * _SCORE_BUCKETS).astype(np.int64), _SCORE_BUCKETS - 1)
    counts = np.bincount(group * _SCORE_BUCKETS + bucket, minlength=groups * _SCORE_BUCKETS)
    from_top = np.cumsum(counts.reshape(groups, _SCORE_BUCKETS)[:, ::-1], axis=1)
    reached = from_top >= k
    lowest = _SCORE_BUCKETS - 1 - np.where(reached.any(axis=1), reached.argmax(axis=1), _SCORE_BUCKETS - 1)
    near = np.flatnonzero(bucket >= lowest[group])
    near_group = group[near]
    # One float sort: the group decides the order, the score breaks ties within it.
    order = near[np.argsort(near_group * 2.0 + (1.0 - score[near]), kind="stable")]
    sorted_group = group[order]
    starts = np.flatnonzero(np.r_[True, sorted_group[1:] != sorted_group[:-1]])
    lengths = np.diff(np.r_[starts, sorted_group.size])
    rank = np.arange(sorted_group.size) - np.repeat(starts, lengths)
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
    columns mentors, and the mentor must teach the mentee. Pools are sized as the module
    docs say (never above `pool_size`), and people without an eligible partner are
    compared with wider pools up to every column, so that statement is always exact.
    """
    n = population.size
    scan = _Scan(population, program, checker, row_people, column_people, two_way=two_way, top_k=top_k)
    rng = np.random.default_rng(SEED)
    columns = column_people.size
    pool = min(columns, pool_size)
    smallest = pool
    block = PROBE_ROWS
    start = 0
    report_every = max(row_people.size // 10, 1)
    next_report = report_every
    while start < row_people.size:
        stop = min(start + block, row_people.size)
        rows = row_people[start:stop]
        entries = scan.block(rows, scan.pools(rng, pool, rows.size), count_columns=not two_way)
        smallest = min(smallest, pool)
        pool = _pool_size(scan, columns, pool_size, top_k)
        block = _block_rows(entries, rows.size)
        start = stop
        if start >= next_report and start < row_people.size:
            progress(
                f"candidates: {start}/{row_people.size} people scanned, pools of {pool} of {columns}, "
                f"{scan.kept_pairs} pairs kept"
            )
            next_report += report_every
    progress(
        f"candidates: scanned {row_people.size} people, {scan.compared / max(row_people.size, 1):.0f} "
        f"partners each on average, {scan.eligible_pairs} eligible pairs met"
    )

    # Exactness: whoever met no eligible partner gets tallies against every partner,
    # counted by classes (`_Scan.exact_tallies`); those the count finds eligible are
    # compared again with wider pools until they meet their partners.
    lonely_rows = row_people[scan.eligible[row_people] == 0]
    lonely_columns = (
        np.empty(0, dtype=np.int64) if two_way else column_people[scan.eligible[column_people] == 0]
    )
    if smallest < columns and lonely_rows.size + lonely_columns.size:
        progress(
            f"candidates: {lonely_rows.size + lonely_columns.size} people met no eligible partner; "
            "counting their partners exactly"
        )
        for lonely in (lonely_rows, lonely_columns):
            scan.skill_compatible[lonely] = 0
            scan.broken[lonely] = 0
            scan.eligible[lonely] = 0
        lonely_rows = scan.exact_tallies(lonely_rows, as_rows=True)
        if lonely_columns.size:
            lonely_columns = scan.exact_tallies(lonely_columns, as_rows=False)
    widest = smallest
    while widest < columns and lonely_rows.size + lonely_columns.size:
        widest = min(columns, widest * WIDENING)
        progress(
            f"candidates: {lonely_rows.size + lonely_columns.size} people with eligible partners "
            f"not yet met compared with {widest} of {columns}"
        )
        scan.rescan_rows(lonely_rows, rng, widest)
        if lonely_columns.size:
            scan.rescan_columns(lonely_columns, rng, widest)
        lonely_rows = lonely_rows[scan.eligible[lonely_rows] == 0]
        lonely_columns = lonely_columns[scan.eligible[lonely_columns] == 0]
    return scan.result(n)


def _pool_size(scan: _Scan, columns: int, pool_size: int, top_k: int) -> int:
    """The pool that meets about EXAMINED_PER_TOP_K * top_k eligible partners per row."""
    if scan.eligible_pairs == 0:
        return min(columns, pool_size)
    density = scan.eligible_pairs / scan.compared
    wanted = int(EXAMINED_PER_TOP_K * top_k / density)
    return min(columns, pool_size, max(MIN_POOL, wanted))


def _block_rows(entries: int, rows: int) -> int:
    per_row = entries / max(rows, 1)
    return int(np.clip(BLOCK_TARGET_ENTRIES / max(per_row, 1.0), 16, 8192))


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
class _Pool:
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


class _Scan:
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
        self._every_column: _Pool | None = None
        self._class_of: tuple[IntArray, IntArray] | None = None
        self._row_wants: sp.csr_matrix | None = None  # wanted_exactly of the rows, transposed
        self._parent: IntArray | None = None
        self._class_rule_cache: dict[tuple[int, bool], IntArray] = {}
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

    def _pool_of(self, people: IntArray, groups: int, rows_per_group: int) -> _Pool:
        size = people.size // groups
        group = np.repeat(np.arange(groups, dtype=np.int64), size)
        return _Pool(
            people=people,
            offer=_shifted(self.at_least, people, group, groups).T.tocsr(),
            want=_shifted(self.exactly, people, group, groups).T.tocsr() if self.two_way else None,
            groups=groups,
            rows_per_group=rows_per_group,
        )

    def pools(self, rng: np.random.Generator, size: int, rows: int) -> _Pool:
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

    def _classes(self) -> tuple[IntArray, IntArray]:
        """(class of each person, one person of each class): people alike for every rule
        that does not name particular people (department, zone, languages, seniority)."""
        if self._class_of is None:
            population = self.population
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

    def exact_tallies(self, people: IntArray, *, as_rows: bool) -> IntArray:
        """Add the tallies of `people` against every possible partner; return those with an eligible one.

        People with the same skills have the same skill-compatible partners, found with
        one product per skill signature. Among those partners the rules that name
        particular people (reporting line, previous pairs) are checked one by one; the
        others depend only on the partner's class, so each class is checked once and
        counted as many times as it has members. The cost is one product per signature
        plus, per person, a pass over their compatible partners' classes.
        """
        population, checker = self.population, self.checker
        class_of, representative = self._classes()
        classes = representative.size
        rules = len(RULES)
        reporting, previous = RULES.index("reporting_line"), RULES.index("previous_pair")
        partners_all = self.column_people if as_rows else self.row_people
        if as_rows:
            signature_parts = [self.exactly] + ([self.at_least] if self.two_way else [])
        else:
            signature_parts = [self.at_least]
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
                if self.program.exclude_reporting_line:
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
                self.skill_compatible[person] += compatible.size - int(is_partner)
                self.broken[person] += tally
                self.eligible[person] += found
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
            found = self.checker.first_broken_rule(mentor, mentee, individual=False)
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
            tin, tout = self.population.tin, self.population.tout
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
        if self.two_way:
            return person, partner
        return (partner, person) if as_rows else (person, partner)

    def _compatible(self, person: int, *, as_rows: bool) -> IntArray:
        """Sorted positions (among columns, or among rows) of everyone skill-compatible with `person`."""
        if as_rows:
            every = self.pools(np.random.default_rng(SEED), self.column_people.size, 1)
            # One-row products: each column index appears at most once.
            found: IntArray = np.sort((self.exactly[[person]] @ every.offer).indices).astype(np.int64)
            if self.two_way and every.want is not None:
                teach = np.sort((self.at_least[[person]] @ every.want).indices).astype(np.int64)
                if self.program.type == "reciprocal":
                    found = np.intersect1d(found, teach, assume_unique=True)
                else:
                    found = np.union1d(found, teach)
            return found
        if self._row_wants is None:
            self._row_wants = self.exactly[self.row_people].T.tocsr()
        mentees: IntArray = np.sort((self.at_least[[person]] @ self._row_wants).indices).astype(np.int64)
        return mentees

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
            block = _block_rows(entries, part.size)
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
        pool: _Pool,
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
            keep = _top_k(slot, score, self.top_k, pool.people.size)
        else:
            keep = _top_k(local_row, score, self.top_k, size)
        self.kept_a.append(a[keep])
        self.kept_b.append(b[keep])
        self.kept_ab.append(cover_ab[keep])
        self.kept_ba.append(cover_ba[keep])
        self.kept_pairs += int(keep.size)
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
