"""Reading participant snapshots: one pass that checks each snapshot (the first problem
raises `InvalidInput` naming the person) and collects its fields as plain lists and codes,
which `people.build_population` turns into columns."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from tandem_matching.engine.errors import InvalidInput

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


_STATUSES = ("active", "on_leave", "departed")


@dataclass
class Columns:
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


def read_participants(participants: Sequence[Any]) -> Columns:
    """Check each snapshot in file order, its fields in a fixed order; the first problem raises.

    One pass, one snapshot at a time while its objects are still in the CPU cache, with
    every list bound to a local name. Mappings are tested with `type(x) is dict` before
    the much slower `isinstance(x, Mapping)`, and codes are numbered with plain dicts.
    """
    columns = Columns()
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


def add_org_lines(managers: dict[str, str | None], org: Sequence[Any]) -> None:
    """People outside the program complete the manager tree; participants' own lines win."""
    for position, line in enumerate(org):
        is_mapping = type(line) is dict or isinstance(line, Mapping)
        if not is_mapping or not isinstance(line.get("employee_id"), str):
            raise InvalidInput(f"org line {position + 1} has no employee_id")
        person = line["employee_id"]
        if person not in managers:
            manager = line.get("manager_id")
            managers[person] = manager if isinstance(manager, str) else None
