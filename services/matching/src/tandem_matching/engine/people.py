"""Participants as columns: one numpy array (or sparse matrix) per attribute.

Snapshots arrive in the `profiles.events` shape. Everything the rules and the score
need is turned into integer codes, bit masks and sparse people x skill matrices here,
once, so that candidate generation never loops over pairs in Python.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from itertools import repeat
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from tandem_matching.engine.arrays import BoolArray, FloatArray, IntArray
from tandem_matching.engine.errors import InvalidInput
from tandem_matching.engine.org import ReportingLines
from tandem_matching.engine.timezones import overlap_matrix, utc_offsets_hours

MAX_LEVEL = 5
_WORD = re.compile(r"[a-z][a-z0-9+#-]{3,}")
_STOPWORDS = frozenset(
    [
        "about",
        "after",
        "also",
        "and",
        "been",
        "being",
        "from",
        "have",
        "into",
        "more",
        "most",
        "much",
        "other",
        "over",
        "such",
        "than",
        "that",
        "their",
        "them",
        "then",
        "there",
        "these",
        "they",
        "this",
        "those",
        "through",
        "very",
        "want",
        "what",
        "when",
        "where",
        "which",
        "while",
        "will",
        "with",
        "would",
        "your",
    ]
)


def goal_terms(text: str) -> set[str]:
    """Words of four letters or more, lower-cased, without common filler words."""
    return {word for word in _WORD.findall(text.lower()) if word not in _STOPWORDS}


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


_STATUSES = ("active", "on_leave", "departed")


@dataclass
class _Columns:
    """What one pass over the snapshots collects: plain lists, and codes numbered in order met."""

    ids: list[str] = field(default_factory=list)
    index: dict[str, int] = field(default_factory=dict)
    managers: dict[str, str | None] = field(default_factory=dict)
    status: list[str] = field(default_factory=list)
    seniority: list[int] = field(default_factory=list)
    department: list[int] = field(default_factory=list)
    country: list[int] = field(default_factory=list)
    zone: list[int] = field(default_factory=list)
    language_mask: list[int] = field(default_factory=list)  # bit c set: speaks language c
    birth_year: list[int] = field(default_factory=list)
    can_mentor: list[bool] = field(default_factory=list)
    can_mentee: list[bool] = field(default_factory=list)
    capacity: list[int] = field(default_factory=list)
    generation_consent: list[bool] = field(default_factory=list)
    reporting_consent: list[bool] = field(default_factory=list)
    # Skill entries in order: each person's offered list, then wanted list (one count each).
    skill_list_length: list[int] = field(default_factory=list)
    skill_code: list[int] = field(default_factory=list)
    skill_level: list[int] = field(default_factory=list)
    goal_count: list[int] = field(default_factory=list)
    goal_code: list[int] = field(default_factory=list)
    departments: dict[str, int] = field(default_factory=dict)
    countries: dict[str, int] = field(default_factory=dict)
    zones: dict[str, int] = field(default_factory=dict)
    skills: dict[str, int] = field(default_factory=dict)
    languages: dict[str, int] = field(default_factory=dict)
    goal_words: dict[str, int] = field(default_factory=dict)


def _read_participants(participants: Sequence[Any]) -> _Columns:
    """Check each snapshot in file order, its fields in a fixed order; the first problem raises.

    One pass, one snapshot at a time while its objects are still in the CPU cache, with
    every list bound to a local name. Mappings are tested with `type(x) is dict` before
    the much slower `isinstance(x, Mapping)`, and codes are numbered with plain dicts.
    """
    columns = _Columns()
    ids, index, managers, status = columns.ids, columns.index, columns.managers, columns.status
    seniority, department, country = columns.seniority, columns.department, columns.country
    zone, language_mask, birth_year = columns.zone, columns.language_mask, columns.birth_year
    can_mentor, can_mentee, capacity = columns.can_mentor, columns.can_mentee, columns.capacity
    generation_consent, reporting_consent = columns.generation_consent, columns.reporting_consent
    skill_list_length, skill_code, skill_level = (
        columns.skill_list_length,
        columns.skill_code,
        columns.skill_level,
    )
    goal_count, goal_code = columns.goal_count, columns.goal_code
    departments, countries, zones = columns.departments, columns.countries, columns.zones
    skills, languages, goal_words = columns.skills, columns.languages, columns.goal_words
    tag_bits: dict[str, int] = {}  # language tag -> bit of its primary subtag
    find_words, filler, max_level = _WORD.findall, _STOPWORDS, MAX_LEVEL

    for position, snapshot in enumerate(participants):
        if type(snapshot) is not dict and not isinstance(snapshot, Mapping):
            raise InvalidInput(f"participants line {position + 1} is not a JSON object")
        who = snapshot.get("employee_id")
        if not isinstance(who, str) or not who:
            raise InvalidInput(f"participants line {position + 1} has no employee_id")
        if who in index:
            raise InvalidInput(f"participant {who} is listed twice")
        index[who] = position
        ids.append(who)

        state = snapshot.get("status", "active")
        if state not in _STATUSES:
            raise InvalidInput(f"participant {who}: unknown status {state!r}")
        status.append(state)
        level = snapshot.get("seniority_level")
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 10:
            raise InvalidInput(f"participant {who}: seniority_level must be an integer from 1 to 10")
        seniority.append(level)

        name = snapshot.get("department")
        if not isinstance(name, str) or not name:
            raise InvalidInput(f"participant {who}: 'department' must be a non-empty string")
        code = departments.get(name)
        if code is None:
            code = departments[name] = len(departments)
        department.append(code)

        location = snapshot.get("location") or {}
        is_mapping = type(location) is dict or isinstance(location, Mapping)
        name = location.get("country") if is_mapping else None
        if not isinstance(name, str):
            name = ""
        code = countries.get(name)
        if code is None:
            code = countries[name] = len(countries)
        country.append(code)

        name = snapshot.get("timezone")
        if not isinstance(name, str) or not name:
            raise InvalidInput(f"participant {who}: 'timezone' must be a non-empty string")
        code = zones.get(name)
        if code is None:
            code = zones[name] = len(zones)
        zone.append(code)

        tags = snapshot.get("languages") or []
        if not isinstance(tags, list):
            raise InvalidInput(f"participant {who}: languages must be a list of language tags")
        mask = 0
        for tag in tags:
            if not isinstance(tag, str):
                raise InvalidInput(f"participant {who}: languages must be a list of language tags")
            bit = tag_bits.get(tag)
            if bit is None:
                # Compare primary subtags, so that "en-GB" and "en" share a language.
                primary = tag.split("-")[0].lower()
                code = languages.get(primary)
                if code is None:
                    code = languages[primary] = len(languages)
                bit = tag_bits[tag] = 1 << code
            mask |= bit
        language_mask.append(mask)

        manager = snapshot.get("manager_id")
        managers[who] = manager if isinstance(manager, str) else None
        year = snapshot.get("birth_year")
        birth_year.append(year if isinstance(year, int) and not isinstance(year, bool) else 0)

        mentoring = snapshot.get("mentoring") or {}
        if type(mentoring) is not dict and not isinstance(mentoring, Mapping):
            raise InvalidInput(f"participant {who}: mentoring must be an object")
        roles = mentoring.get("roles", [])
        if not isinstance(roles, list):
            raise InvalidInput(f"participant {who}: mentoring.roles must be a list")
        can_mentor.append("mentor" in roles)
        can_mentee.append("mentee" in roles)
        cap = mentoring.get("capacity", 1)
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 0:
            raise InvalidInput(f"participant {who}: mentoring.capacity must be an integer of 0 or more")
        capacity.append(cap)
        consents = mentoring.get("consents") or {}
        if type(consents) is dict or isinstance(consents, Mapping):
            generation_consent.append(consents.get("generation_aware_pairing") is True)
            reporting_consent.append(consents.get("demographics_for_reporting") is True)
        else:
            generation_consent.append(False)
            reporting_consent.append(False)

        for key in ("skills_offered", "skills_wanted"):
            entries = mentoring.get(key, [])
            if not isinstance(entries, list):
                raise InvalidInput(f"participant {who}: mentoring.{key} must be a list")
            for item in entries:
                if type(item) is not dict and not isinstance(item, Mapping):
                    raise InvalidInput(f"participant {who}: mentoring.{key} entries must be objects")
                skill = item.get("skill")
                level = item.get("level")
                if not isinstance(skill, str) or not skill:
                    raise InvalidInput(f"participant {who}: mentoring.{key} entry without a skill id")
                if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= max_level:
                    raise InvalidInput(
                        f"participant {who}: level of {skill!r} in mentoring.{key} must be 1 to 5"
                    )
                code = skills.get(skill)
                if code is None:
                    code = skills[skill] = len(skills)
                skill_code.append(code)
                skill_level.append(level)
            skill_list_length.append(len(entries))

        goals = mentoring.get("goals", "")
        if isinstance(goals, str) and goals:
            words = set(find_words(goals.lower()))  # as `goal_terms`
            words.difference_update(filler)
            for word in sorted(words):
                code = goal_words.get(word)
                if code is None:
                    code = goal_words[word] = len(goal_words)
                goal_code.append(code)
            goal_count.append(len(words))
        else:
            goal_count.append(0)
    return columns


def _add_org_lines(managers: dict[str, str | None], org: Sequence[Any]) -> None:
    """People outside the program complete the manager tree; participants' own lines win."""
    for position, line in enumerate(org):
        is_mapping = type(line) is dict or isinstance(line, Mapping)
        if not is_mapping or not isinstance(line.get("employee_id"), str):
            raise InvalidInput(f"org line {position + 1} has no employee_id")
        person = line["employee_id"]
        if person not in managers:
            manager = line.get("manager_id")
            managers[person] = manager if isinstance(manager, str) else None


def _zone_overlap(columns: _Columns) -> FloatArray:
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


def _skill_matrices(columns: _Columns, people: int) -> tuple[sp.csr_matrix, sp.csr_matrix]:
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
    order `_read_participants` reads them), then the org lines, then unknown time zones.
    """
    columns = _read_participants(participants)
    _add_org_lines(columns.managers, org)
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
