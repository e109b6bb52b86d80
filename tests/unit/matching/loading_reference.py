"""The participant loader as it was before the columnar rewrite, kept verbatim as a reference.

`test_loading.py` checks that today's `files.read_jsonl`/`read_json` and
`people.build_population` give exactly what this code gave: the same values, the same
columns, and the same error messages. Only names changed (a `reference_` prefix).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp

from tandem_common.cli import UsageError
from tandem_matching.engine.arrays import IntArray
from tandem_matching.engine.errors import InvalidInput
from tandem_matching.engine.people import MAX_LEVEL, Population, goal_terms
from tandem_matching.engine.timezones import overlap_matrix, utc_offsets_hours


def reference_read_json(path: str) -> Any:
    try:
        with open(path, encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise UsageError(f"malformed JSON in {path}: not UTF-8 ({error.reason})") from None
    except json.JSONDecodeError as error:
        raise UsageError(
            f"malformed JSON in {path}: {error.msg} at line {error.lineno} column {error.colno}"
        ) from None


def reference_read_jsonl(path: str) -> list[Any]:
    records: list[Any] = []
    try:
        with open(path, encoding="utf-8") as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                try:
                    records.append(json.loads(line))
                except json.JSONDecodeError as error:
                    raise UsageError(
                        f"malformed JSON in {path} line {number}: {error.msg} at column {error.colno}"
                    ) from None
    except OSError as error:
        raise UsageError(f"cannot read {path}: {error.strerror or error}") from None
    except UnicodeDecodeError as error:
        raise UsageError(f"malformed JSON in {path}: not UTF-8 ({error.reason})") from None
    return records


class ReferenceReportingLines:
    """Euler-tour intervals for the people named in `managers` (id -> manager id)."""

    def __init__(self, managers: Mapping[str, str | None]) -> None:
        ids = list(managers)
        self.index = {person: i for i, person in enumerate(ids)}
        n = len(ids)
        parent = np.full(n, -1, dtype=np.int64)
        for person, manager in managers.items():
            if manager is not None and manager != person and manager in self.index:
                parent[self.index[person]] = self.index[manager]
        node = np.arange(n, dtype=np.int64)
        self._collapse_cycles(parent, node)
        self.tin, self.tout = self._euler_tour(parent, node)
        self.node = node

    @staticmethod
    def _collapse_cycles(parent: IntArray, node: IntArray) -> None:
        state = np.zeros(parent.size, dtype=np.int8)  # 0 new, 1 on current walk, 2 done
        for start in range(parent.size):
            if state[start]:
                continue
            walk = []
            current = start
            while current >= 0 and state[current] == 0:
                state[current] = 1
                walk.append(current)
                current = int(parent[current])
            if current >= 0 and state[current] == 1:
                cycle = walk[walk.index(current) :]
                representative = cycle[0]
                for member in cycle:
                    node[member] = representative
                parent[representative] = -1
                for member in cycle[1:]:
                    parent[member] = -2  # not a tree node of its own any more
            for member in walk:
                state[member] = 2

    @staticmethod
    def _euler_tour(parent: IntArray, node: IntArray) -> tuple[IntArray, IntArray]:
        n = parent.size
        tree_parent = parent.copy()
        # Reports of a collapsed cycle member hang under the cycle's representative.
        attached = tree_parent >= 0
        tree_parent[attached] = node[tree_parent[attached]]
        children: list[list[int]] = [[] for _ in range(n)]
        for child in np.flatnonzero(tree_parent >= 0).tolist():
            children[int(tree_parent[child])].append(child)
        tin = np.zeros(n, dtype=np.int64)
        tout = np.zeros(n, dtype=np.int64)
        clock = 0
        for root in np.flatnonzero(tree_parent == -1).tolist():
            stack = [(root, 0)]
            tin[root] = clock
            clock += 1
            while stack:
                current, position = stack[-1]
                if position < len(children[current]):
                    stack[-1] = (current, position + 1)
                    child = children[current][position]
                    tin[child] = clock
                    clock += 1
                    stack.append((child, 0))
                else:
                    tout[current] = clock
                    stack.pop()
        return tin[node], tout[node]

    def positions(self, people: Sequence[str]) -> tuple[IntArray, IntArray]:
        """`tin` and `tout` of each named person."""
        rows = np.fromiter((self.index[p] for p in people), dtype=np.int64, count=len(people))
        return self.tin[rows], self.tout[rows]


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


def reference_build_population(participants: Sequence[Any], org: Sequence[Any] = ()) -> Population:
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

    lines = ReferenceReportingLines(managers)
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
