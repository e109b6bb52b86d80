"""Candidate pairs without forming all n^2 pairs, at a cost that does not depend on the skills.

This module decides how much to compare and assembles the result; the work is done by
`candidate_scan` (the sampled scan, and the level-slot products it runs on),
`candidate_exact` (the exact count) and `candidate_top_k` (the top-k selection).

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

from tandem_matching.engine.arrays import FloatArray, IntArray
from tandem_matching.engine.candidate_exact import ExactCount
from tandem_matching.engine.candidate_scan import (
    BLOCK_TARGET_ENTRIES,
    SEED,
    CandidateScan,
    block_rows,
    level_slots,
)
from tandem_matching.engine.candidate_top_k import top_k_per_group as _top_k
from tandem_matching.engine.people import Population
from tandem_matching.engine.program import Program
from tandem_matching.engine.rules import RuleChecker

# Names this module has always offered, kept where their callers import them from.
__all__ = [
    "BLOCK_TARGET_ENTRIES",
    "EXAMINED_PER_TOP_K",
    "MIN_POOL",
    "POOL_SIZE",
    "PROBE_ROWS",
    "SEED",
    "WIDENING",
    "Candidates",
    "_top_k",
    "generate",
    "level_slots",
]

POOL_SIZE = 15_000
"""The largest random pool of columns compared with one block of rows."""
MIN_POOL = 512
EXAMINED_PER_TOP_K = 10
"""Eligible partners each row should meet in its pool, as a multiple of top_k."""
WIDENING = 8
"""Each exactness pass compares the people still without a partner with a pool this much larger."""
PROBE_ROWS = 32


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
    scan = CandidateScan(
        population, program, checker, row_people, column_people, two_way=two_way, top_k=top_k
    )
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
        block = block_rows(entries, rows.size)
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
    # counted by classes (`ExactCount.tallies`); those the count finds eligible are
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
        exact = ExactCount(scan)
        lonely_rows = exact.tallies(lonely_rows, as_rows=True)
        if lonely_columns.size:
            lonely_columns = exact.tallies(lonely_columns, as_rows=False)
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
    return _result(scan, n)


def _pool_size(scan: CandidateScan, columns: int, pool_size: int, top_k: int) -> int:
    """The pool that meets about EXAMINED_PER_TOP_K * top_k eligible partners per row."""
    if scan.eligible_pairs == 0:
        return min(columns, pool_size)
    density = scan.eligible_pairs / scan.compared
    wanted = int(EXAMINED_PER_TOP_K * top_k / density)
    return min(columns, pool_size, max(MIN_POOL, wanted))


def _result(scan: CandidateScan, n: int) -> Candidates:
    """The kept pairs, each once, with the tallies of every person."""
    a = np.concatenate(scan.kept_a) if scan.kept_a else np.empty(0, dtype=np.int64)
    b = np.concatenate(scan.kept_b) if scan.kept_b else np.empty(0, dtype=np.int64)
    cover_ab = np.concatenate(scan.kept_ab) if scan.kept_ab else np.empty(0)
    cover_ba = np.concatenate(scan.kept_ba) if scan.kept_ba else np.empty(0)
    if a.size:
        # A pair can be kept twice (from both people's rows, or in two passes).
        if scan.two_way:
            swap = a > b
            a, b = np.where(swap, b, a), np.where(swap, a, b)
            cover_ab, cover_ba = (
                np.where(swap, cover_ba, cover_ab),
                np.where(swap, cover_ab, cover_ba),
            )
        _, first = np.unique(a * n + b, return_index=True)
        a, b, cover_ab, cover_ba = a[first], b[first], cover_ab[first], cover_ba[first]
    return Candidates(a, b, cover_ab, cover_ba, scan.skill_compatible, scan.broken, scan.eligible)
