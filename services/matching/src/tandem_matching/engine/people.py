"""Participants as columns: one numpy array (or sparse matrix) per attribute.

Snapshots arrive in the `profiles.events` shape. Everything the rules and the score
need is turned into integer codes, bit masks and sparse people x skill matrices here,
once, so that candidate generation never loops over pairs in Python.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
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


class _Codes:
    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.names: list[str] = []

    def code(self, name: str) -> int:
        found = self.index.get(name)
        if found is None:
            found = len(self.names)
            self.index[name] = found
            self.names.append(name)
        return found


def _require_string(snapshot: Mapping[str, Any], key: str, who: str) -> str:
    value = snapshot.get(key)
    if not isinstance(value, str) or not value:
        raise InvalidInput(f"participant {who}: {key!r} must be a non-empty string")
    return value


def _skill_list(mentoring: Mapping[str, Any], key: str, who: str, skills: _Codes) -> list[tuple[int, int]]:
    raw = mentoring.get(key, [])
    if not isinstance(raw, list):
        raise InvalidInput(f"participant {who}: mentoring.{key} must be a list")
    entries: dict[int, int] = {}
    for item in raw:
        if not isinstance(item, Mapping):
            raise InvalidInput(f"participant {who}: mentoring.{key} entries must be objects")
        skill = item.get("skill")
        level = item.get("level")
        if not isinstance(skill, str) or not skill:
            raise InvalidInput(f"participant {who}: mentoring.{key} entry without a skill id")
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= MAX_LEVEL:
            raise InvalidInput(f"participant {who}: level of {skill!r} in mentoring.{key} must be 1 to 5")
        code = skills.code(skill)
        entries[code] = max(level, entries.get(code, 0))
    return list(entries.items())


def build_population(participants: Sequence[Any], org: Sequence[Any] = ()) -> Population:
    """Validate the snapshots and build the columns; raises `InvalidInput` naming the person."""
    ids: list[str] = []
    index: dict[str, int] = {}
    departments, countries, zones, skills, languages = (
        _Codes(),
        _Codes(),
        _Codes(),
        _Codes(),
        _Codes(),
    )
    n = len(participants)
    status: list[str] = []
    active = np.zeros(n, dtype=bool)
    can_mentor = np.zeros(n, dtype=bool)
    can_mentee = np.zeros(n, dtype=bool)
    capacity = np.zeros(n, dtype=np.int64)
    seniority = np.zeros(n, dtype=np.int64)
    department = np.zeros(n, dtype=np.int64)
    country = np.zeros(n, dtype=np.int64)
    zone = np.zeros(n, dtype=np.int64)
    birth_year = np.zeros(n, dtype=np.int64)
    generation_consent = np.zeros(n, dtype=bool)
    reporting_consent = np.zeros(n, dtype=bool)
    person_languages: list[list[int]] = []
    offered_rows: list[list[tuple[int, int]]] = []
    wanted_rows: list[list[tuple[int, int]]] = []
    goal_rows: list[set[str]] = []
    managers: dict[str, str | None] = {}
    snapshots: list[Mapping[str, Any]] = []

    for position, snapshot in enumerate(participants):
        if not isinstance(snapshot, Mapping):
            raise InvalidInput(f"participants line {position + 1} is not a JSON object")
        who_raw = snapshot.get("employee_id")
        if not isinstance(who_raw, str) or not who_raw:
            raise InvalidInput(f"participants line {position + 1} has no employee_id")
        who = who_raw
        if who in index:
            raise InvalidInput(f"participant {who} is listed twice")
        index[who] = position
        ids.append(who)
        snapshots.append(snapshot)
        state = snapshot.get("status", "active")
        if state not in ("active", "on_leave", "departed"):
            raise InvalidInput(f"participant {who}: unknown status {state!r}")
        status.append(state)
        active[position] = state == "active"
        level = snapshot.get("seniority_level")
        if isinstance(level, bool) or not isinstance(level, int) or not 1 <= level <= 10:
            raise InvalidInput(f"participant {who}: seniority_level must be an integer from 1 to 10")
        seniority[position] = level
        department[position] = departments.code(_require_string(snapshot, "department", who))
        location = snapshot.get("location") or {}
        country_code = location.get("country") if isinstance(location, Mapping) else None
        country[position] = countries.code(country_code if isinstance(country_code, str) else "")
        zone[position] = zones.code(_require_string(snapshot, "timezone", who))
        raw_languages = snapshot.get("languages") or []
        if not isinstance(raw_languages, list) or not all(isinstance(x, str) for x in raw_languages):
            raise InvalidInput(f"participant {who}: languages must be a list of language tags")
        # Compare primary subtags, so that "en-GB" and "en" share a language.
        person_languages.append([languages.code(tag.split("-")[0].lower()) for tag in raw_languages])
        manager = snapshot.get("manager_id")
        managers[who] = manager if isinstance(manager, str) else None
        year = snapshot.get("birth_year")
        if isinstance(year, int) and not isinstance(year, bool):
            birth_year[position] = year
        mentoring = snapshot.get("mentoring") or {}
        if not isinstance(mentoring, Mapping):
            raise InvalidInput(f"participant {who}: mentoring must be an object")
        roles = mentoring.get("roles", [])
        if not isinstance(roles, list):
            raise InvalidInput(f"participant {who}: mentoring.roles must be a list")
        can_mentor[position] = "mentor" in roles
        can_mentee[position] = "mentee" in roles
        cap = mentoring.get("capacity", 1)
        if isinstance(cap, bool) or not isinstance(cap, int) or cap < 0:
            raise InvalidInput(f"participant {who}: mentoring.capacity must be an integer of 0 or more")
        capacity[position] = cap
        consents = mentoring.get("consents") or {}
        if isinstance(consents, Mapping):
            generation_consent[position] = consents.get("generation_aware_pairing") is True
            reporting_consent[position] = consents.get("demographics_for_reporting") is True
        offered_rows.append(_skill_list(mentoring, "skills_offered", who, skills))
        wanted_rows.append(_skill_list(mentoring, "skills_wanted", who, skills))
        goals = mentoring.get("goals", "")
        goal_rows.append(goal_terms(goals) if isinstance(goals, str) else set())

    for position, line in enumerate(org):
        if not isinstance(line, Mapping) or not isinstance(line.get("employee_id"), str):
            raise InvalidInput(f"org line {position + 1} has no employee_id")
        person = line["employee_id"]
        if person not in managers:
            manager = line.get("manager_id")
            managers[person] = manager if isinstance(manager, str) else None

    zone_offsets = []
    for name in zones.names:
        try:
            zone_offsets.append(utc_offsets_hours(name))
        except KeyError:
            who = ids[int(np.flatnonzero(zone == zones.index[name])[0])]
            raise InvalidInput(f"participant {who}: unknown timezone {name!r}") from None

    words = max(1, (len(languages.names) + 63) // 64)
    language_bits = np.zeros((n, words), dtype=np.uint64)
    for person, codes in enumerate(person_languages):
        for code in codes:
            language_bits[person, code // 64] |= np.uint64(1 << (code % 64))

    lines = ReportingLines(managers)
    tin, tout = lines.positions(ids)
    terms = _Codes()
    goal_indices = [[terms.code(t) for t in sorted(row)] for row in goal_rows]
    return Population(
        ids=ids,
        index=index,
        snapshots=snapshots,
        status=status,
        active=active,
        can_mentor=can_mentor,
        can_mentee=can_mentee,
        capacity=capacity,
        seniority=seniority,
        department=department,
        department_names=departments.names,
        country=country,
        country_names=countries.names,
        zone=zone,
        zone_names=zones.names,
        zone_overlap=overlap_matrix(zone_offsets) if zone_offsets else np.zeros((0, 0)),
        languages=language_bits,
        offered=_sparse(offered_rows, len(skills.names)),
        wanted=_sparse(wanted_rows, len(skills.names)),
        skill_names=skills.names,
        goals=_sparse([[(c, 1) for c in row] for row in goal_indices], len(terms.names)),
        goal_words=terms.names,
        birth_year=birth_year,
        generation_consent=generation_consent,
        reporting_consent=reporting_consent,
        tin=tin,
        tout=tout,
    )


def _sparse(rows: list[list[tuple[int, int]]], columns: int) -> sp.csr_matrix:
    lengths = np.fromiter((len(r) for r in rows), dtype=np.int64, count=len(rows))
    indptr = np.zeros(len(rows) + 1, dtype=np.int64)
    np.cumsum(lengths, out=indptr[1:])
    flat = [entry for row in rows for entry in row]
    indices = np.fromiter((c for c, _ in flat), dtype=np.int64, count=len(flat))
    data = np.fromiter((value for _, value in flat), dtype=np.float64, count=len(flat))
    matrix = sp.csr_matrix((data, indices, indptr), shape=(len(rows), max(columns, 1)))
    matrix.sort_indices()
    return matrix
