"""What the learning ledger says: per match, per person.

**Reciprocity index of a match.** Count the ledger entries each member gave (taught to
someone else in the match). The index is the smallest count over the largest: for a
pair, the weaker direction's count over the stronger's. It is 1.0 for a perfectly
even exchange, 0.0 when one side only ever taught, and **0.0 when nothing was taught
at all** (0/0): no exchange yet is not a balanced one. The counts themselves travel
beside the index, so a reader can tell 0/0 from 0/5.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True, slots=True)
class RecordedEntry:
    """A ledger entry as stored: who taught whom what, in which session of which match."""

    session_id: str
    match_id: str
    program_id: str
    from_id: str
    to_id: str
    skill: str
    held_on: date


@dataclass(frozen=True, slots=True)
class SkillCount:
    skill: str
    count: int


@dataclass(frozen=True, slots=True)
class Direction:
    from_id: str
    to_id: str
    count: int
    skills: tuple[SkillCount, ...]


@dataclass(frozen=True, slots=True)
class Reciprocity:
    index: float
    # Entries each member gave, by employee id (every member listed, zeros included).
    given: tuple[tuple[str, int], ...]


@dataclass(frozen=True, slots=True)
class MatchLedger:
    match_id: str
    entries: tuple[RecordedEntry, ...]
    reciprocity: Reciprocity
    directions: tuple[Direction, ...]


def _skills(entries: Iterable[RecordedEntry]) -> tuple[SkillCount, ...]:
    counts = Counter(entry.skill for entry in entries)
    return tuple(SkillCount(skill, count) for skill, count in sorted(counts.items()))


def reciprocity(members: Sequence[str], entries: Iterable[RecordedEntry]) -> Reciprocity:
    """The index of the module docstring over ``members`` (entries by others are ignored)."""
    given = dict.fromkeys(members, 0)
    for entry in entries:
        if entry.from_id in given and entry.to_id in given:
            given[entry.from_id] += 1
    counts = list(given.values())
    strongest = max(counts, default=0)
    index = min(counts) / strongest if strongest else 0.0
    return Reciprocity(index, tuple(given.items()))


def match_ledger(match_id: str, members: Sequence[str], entries: Sequence[RecordedEntry]) -> MatchLedger:
    # Stable: entries of one session keep the order they were recorded in.
    ordered = tuple(sorted(entries, key=lambda e: (e.held_on, e.session_id)))
    by_direction: dict[tuple[str, str], list[RecordedEntry]] = {}
    for entry in ordered:
        by_direction.setdefault((entry.from_id, entry.to_id), []).append(entry)
    directions = tuple(
        Direction(from_id, to_id, len(found), _skills(found))
        for (from_id, to_id), found in sorted(by_direction.items())
    )
    return MatchLedger(match_id, ordered, reciprocity(members, ordered), directions)


@dataclass(frozen=True, slots=True)
class PersonLedger:
    """What one person taught and learned across every program."""

    employee_id: str
    taught: tuple[SkillCount, ...]
    learned: tuple[SkillCount, ...]
    # Distinct people they taught and learned from, and the programs it happened in.
    taught_people: int
    learned_from_people: int
    programs: tuple[str, ...]


def person_ledger(employee_id: str, entries: Sequence[RecordedEntry]) -> PersonLedger:
    taught = [e for e in entries if e.from_id == employee_id]
    learned = [e for e in entries if e.to_id == employee_id]
    return PersonLedger(
        employee_id,
        _skills(taught),
        _skills(learned),
        len({e.to_id for e in taught}),
        len({e.from_id for e in learned}),
        tuple(sorted({e.program_id for e in (*taught, *learned)})),
    )
