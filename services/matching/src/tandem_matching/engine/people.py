"""Participants as columns: one numpy array (or sparse matrix) per attribute.

Snapshots arrive in the `profiles.events` shape. Everything the rules and the score
need is turned into integer codes, bit masks and sparse people x skill matrices here,
once, so that candidate generation never loops over pairs in Python.
"""

from __future__ import annotations

import operator
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from tandem_matching.engine.arrays import BoolArray, FloatArray, IntArray
from tandem_matching.engine.errors import InvalidInput
from tandem_matching.engine.org import ReportingLines
from tandem_matching.engine.snapshot_reader import (
    MAX_LEVEL,
    Columns,
    add_org_lines,
    goal_terms,
    read_participants,
)
from tandem_matching.engine.timezones import overlap_matrix, utc_offsets_hours

# Names this module has always offered, kept where their callers import them from.
__all__ = ["MAX_LEVEL", "Population", "build_population", "goal_terms"]


@dataclass
class Population:
    ids: list[str]
    index: dict[str, int]
    snapshots: list[Mapping[str, Any]]
    status: list[str]
    active: BoolArray
    can_mentor: BoolArray
    can_mentee: BoolArray
    capacity: IntArray
    seniority: IntArray
    department: IntArray
    department_names: list[str]
    country: IntArray
    country_names: list[str]
    zone: IntArray
    zone_names: list[str]
    zone_overlap: FloatArray
    languages: npt.NDArray[np.uint64]
    offered: sp.csr_matrix
    wanted: sp.csr_matrix
    skill_names: list[str]
    goals: sp.csr_matrix
    goal_words: list[str]
    birth_year: IntArray
    generation_consent: BoolArray
    reporting_consent: BoolArray
    tin: IntArray
    tout: IntArray

    @property
    def size(self) -> int:
        return len(self.ids)

    def skills(self, person: int, which: str) -> dict[str, int]:
        """Skill -> level offered or wanted by one person."""
        matrix = self.offered if which == "offered" else self.wanted
        start, stop = matrix.indptr[person], matrix.indptr[person + 1]
        return {
            self.skill_names[int(s)]: int(level)
            for s, level in zip(matrix.indices[start:stop], matrix.data[start:stop], strict=True)
        }

    def common_language(self, a: IntArray, b: IntArray) -> BoolArray:
        result: BoolArray = np.any((self.languages[a] & self.languages[b]) != 0, axis=1)
        return result


def _zone_overlap(columns: Columns) -> FloatArray:
    zone_offsets = []
    for name, code in columns.zones.items():
        try:
            zone_offsets.append(utc_offsets_hours(name))
        except KeyError:
            who = columns.ids[columns.zone.index(code)]
            raise InvalidInput(f"participant {who}: unknown timezone {name!r}") from None
    return overlap_matrix(zone_offsets) if zone_offsets else np.zeros((0, 0))


def _language_bits(masks: list[int], languages: int) -> npt.NDArray[np.uint64]:
    """One row of 64-bit words per person; bit `c % 64` of word `c // 64` is language `c`."""
    words = max(1, (languages + 63) // 64)
    if words == 1:
        return np.array(masks, dtype=np.uint64).reshape(len(masks), 1)
    low_bits = (1 << 64) - 1
    return np.array(
        [[(mask >> (64 * word)) & low_bits for word in range(words)] for mask in masks],
        dtype=np.uint64,
    ).reshape(len(masks), words)


def _csr(row_lengths: IntArray, columns: IntArray, values: FloatArray, width: int) -> sp.csr_matrix:
    indptr = np.zeros(row_lengths.size + 1, dtype=np.int64)
    np.cumsum(row_lengths, out=indptr[1:])
    matrix = sp.csr_matrix((values, columns, indptr), shape=(row_lengths.size, max(width, 1)))
    matrix.sort_indices()
    return matrix


def _skill_matrices(columns: Columns, people: int) -> tuple[sp.csr_matrix, sp.csr_matrix]:
    """People x skills, offered and wanted, with the level as value.

    A skill listed twice in one list keeps its highest level.
    """
    lengths = np.array(columns.skill_list_length, dtype=np.int64).reshape(people, 2)
    skill = np.array(columns.skill_code, dtype=np.int64).reshape(-1)
    level = np.array(columns.skill_level, dtype=np.int64).reshape(-1)
    wanted_entry = np.repeat(np.tile(np.array([False, True]), people), lengths.reshape(-1))
    width = len(columns.skills)
    matrices = []
    for column, side in ((0, ~wanted_entry), (1, wanted_entry)):
        matrix = _csr(lengths[:, column], skill[side], level[side].astype(np.float64), width)
        rows = np.repeat(np.arange(people), np.diff(matrix.indptr))
        repeated = (np.diff(matrix.indices) == 0) & (np.diff(rows) == 0)
        if repeated.any():
            matrix = _highest_levels(rows, matrix.indices, matrix.data, people, width)
        matrices.append(matrix)
    return matrices[0], matrices[1]


def _highest_levels(
    rows: IntArray, columns: npt.NDArray[np.integer[Any]], levels: FloatArray, people: int, width: int
) -> sp.csr_matrix:
    order = np.lexsort((levels, columns, rows))
    rows, columns, levels = rows[order], columns[order], levels[order]
    highest = np.ones(rows.size, dtype=bool)
    highest[:-1] = (rows[1:] != rows[:-1]) | (columns[1:] != columns[:-1])
    lengths = np.bincount(rows[highest], minlength=people).astype(np.int64)
    return _csr(lengths, columns[highest].astype(np.int64), levels[highest], width)


def build_population(participants: Sequence[Any], org: Sequence[Any] = ()) -> Population:
    """Validate the snapshots and build the columns; raises `InvalidInput` naming the person.

    Problems are reported in file order: the first snapshot with one (its fields in the
    order `read_participants` reads them), then the org lines, then unknown time zones.
    """
    columns = read_participants(participants)
    add_org_lines(columns.managers, org)
    zone_overlap = _zone_overlap(columns)
    n = len(columns.ids)
    lines = ReportingLines(columns.managers)
    # Participants are the first n entries of `managers`, in file order; org lines follow.
    tin, tout = lines.tin[:n].copy(), lines.tout[:n].copy()
    offered, wanted = _skill_matrices(columns, n)
    goal_count = np.array(columns.goal_count, dtype=np.int64).reshape(n)
    goal_code = np.array(columns.goal_code, dtype=np.int64).reshape(-1)
    return Population(
        ids=columns.ids,
        index=columns.index,
        snapshots=list(participants),
        status=columns.status,
        active=np.fromiter(map(operator.eq, columns.status, repeat("active")), dtype=bool, count=n),
        can_mentor=np.array(columns.can_mentor, dtype=bool).reshape(n),
        can_mentee=np.array(columns.can_mentee, dtype=bool).reshape(n),
        capacity=np.array(columns.capacity, dtype=np.int64).reshape(n),
        seniority=np.array(columns.seniority, dtype=np.int64).reshape(n),
        department=np.array(columns.department, dtype=np.int64).reshape(n),
        department_names=list(columns.departments),
        country=np.array(columns.country, dtype=np.int64).reshape(n),
        country_names=list(columns.countries),
        zone=np.array(columns.zone, dtype=np.int64).reshape(n),
        zone_names=list(columns.zones),
        zone_overlap=zone_overlap,
        languages=_language_bits(columns.language_mask, len(columns.languages)),
        offered=offered,
        wanted=wanted,
        skill_names=list(columns.skills),
        goals=_csr(goal_count, goal_code, np.ones(goal_code.size), len(columns.goal_words)),
        goal_words=list(columns.goal_words),
        birth_year=np.array(columns.birth_year, dtype=np.int64).reshape(n),
        generation_consent=np.array(columns.generation_consent, dtype=bool).reshape(n),
        reporting_consent=np.array(columns.reporting_consent, dtype=bool).reshape(n),
        tin=tin,
        tout=tout,
    )
