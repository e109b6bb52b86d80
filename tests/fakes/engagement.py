"""The engagement repositories and unit of work in memory.

They behave as ``adapters/`` does on PostgreSQL (ids sort byte by byte, as the "C"
collation does): the suite in ``tests/contract/test_engagement_repositories.py`` runs
against both. Locks are not modelled (one test runs one transaction at a time).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date

from tandem_engagement.domain.checkins import Checkin
from tandem_engagement.domain.enrolments import Enrolment, EnrolmentKey
from tandem_engagement.domain.goals import Goal
from tandem_engagement.domain.ledger import RecordedEntry
from tandem_engagement.domain.matches import Match, Program
from tandem_engagement.domain.people import HistoryRow, Person
from tandem_engagement.domain.sessions import Session
from tandem_engagement.service.unit_of_work import EngagementUnitOfWork
from tests.fakes.unit_of_work import FakeDatabase, FakeUnitOfWork


@dataclass
class FakeEngagementDatabase(FakeDatabase):
    programs: dict[str, Program] = field(default_factory=dict)
    enrolments: dict[EnrolmentKey, Enrolment] = field(default_factory=dict)
    matches: dict[str, Match] = field(default_factory=dict)
    people: dict[str, Person] = field(default_factory=dict)
    history: dict[tuple[str, int], HistoryRow] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    goals: dict[str, Goal] = field(default_factory=dict)
    checkins: dict[str, Checkin] = field(default_factory=dict)


class FakePrograms:
    def __init__(self, database: FakeEngagementDatabase) -> None:
        self._db = database

    async def get(self, program_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Program]:
        return {i: self._db.programs[i] for i in sorted(set(program_ids)) if i in self._db.programs}

    async def save(self, programs: Sequence[Program]) -> None:
        for program in programs:
            self._db.programs[program.program_id] = program


class FakeEnrolments:
    def __init__(self, database: FakeEngagementDatabase) -> None:
        self._db = database

    async def get(
        self, keys: Iterable[EnrolmentKey], *, for_update: bool = False
    ) -> dict[EnrolmentKey, Enrolment]:
        return {k: self._db.enrolments[k] for k in sorted(set(keys)) if k in self._db.enrolments}

    async def save(self, enrolments: Sequence[Enrolment]) -> None:
        for enrolment in enrolments:
            self._db.enrolments[enrolment.key] = enrolment


class FakeMatches:
    def __init__(self, database: FakeEngagementDatabase) -> None:
        self._db = database

    async def get(self, match_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Match]:
        return {i: self._db.matches[i] for i in sorted(set(match_ids)) if i in self._db.matches}

    async def save(self, matches: Sequence[Match]) -> None:
        for match in matches:
            self._db.matches[match.match_id] = match

    async def active_of_program(self, program_id: str, *, for_update: bool = False) -> list[Match]:
        return [
            m
            for _, m in sorted(self._db.matches.items())
            if m.program_id == program_id and m.status == "active"
        ]

    async def due_for_checkins(self, today: date, limit: int) -> list[Match]:
        due = [
            m
            for _, m in sorted(self._db.matches.items())
            if m.status == "active" and m.next_checkin_on is not None and m.next_checkin_on <= today
        ]
        return due[:limit]


class FakePeople:
    def __init__(self, database: FakeEngagementDatabase) -> None:
        self._db = database

    async def get(self, employee_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Person]:
        return {i: self._db.people[i] for i in sorted(set(employee_ids)) if i in self._db.people}

    async def save(self, people: Sequence[Person]) -> None:
        for person in people:
            self._db.people[person.employee_id] = person

    async def add_history(self, rows: Sequence[HistoryRow]) -> None:
        for row in rows:
            self._db.history.setdefault((row.employee_id, row.profile_version), row)

    async def history(self, employee_ids: Iterable[str]) -> dict[str, list[HistoryRow]]:
        ids = set(employee_ids)
        found: dict[str, list[HistoryRow]] = {}
        for (employee_id, _), row in sorted(self._db.history.items()):
            if employee_id in ids:
                found.setdefault(employee_id, []).append(row)
        return found

    async def forget_history(self, employee_ids: Iterable[str]) -> None:
        ids = set(employee_ids)
        self._db.history = {k: r for k, r in self._db.history.items() if k[0] not in ids}


def _recorded(session: Session) -> list[RecordedEntry]:
    return [
        RecordedEntry(
            session.session_id,
            session.match_id,
            session.program_id,
            e.from_id,
            e.to_id,
            e.skill,
            session.held_on,
        )
        for e in session.learning
    ]


class FakeSessions:
    def __init__(self, database: FakeEngagementDatabase) -> None:
        self._db = database

    async def add(self, session: Session) -> None:
        if session.session_id in self._db.sessions:
            raise ValueError(f"session {session.session_id} exists")
        if session.client_request_id is not None and any(
            s.logged_by == session.logged_by and s.client_request_id == session.client_request_id
            for s in self._db.sessions.values()
        ):
            raise ValueError("a session with this client request id exists")
        self._db.sessions[session.session_id] = session

    async def by_request(self, logged_by: str, client_request_id: str) -> Session | None:
        return next(
            (
                s
                for s in self._db.sessions.values()
                if s.logged_by == logged_by and s.client_request_id == client_request_id
            ),
            None,
        )

    async def of_matches(self, match_ids: Iterable[str]) -> dict[str, list[Session]]:
        ids = sorted(set(match_ids))
        found: dict[str, list[Session]] = {i: [] for i in ids}
        ordered = sorted(self._db.sessions.values(), key=lambda s: s.session_id)
        for session in sorted(ordered, key=lambda s: s.held_on, reverse=True):
            if session.match_id in found:
                found[session.match_id].append(session)
        return found

    def _entries(self) -> list[RecordedEntry]:
        entries = [e for s in self._db.sessions.values() for e in _recorded(s)]
        # By date, session, then position in the session (sorted is stable).
        return sorted(entries, key=lambda e: (e.held_on, e.session_id))

    async def ledger_of_matches(self, match_ids: Iterable[str]) -> dict[str, list[RecordedEntry]]:
        found: dict[str, list[RecordedEntry]] = {i: [] for i in sorted(set(match_ids))}
        for entry in self._entries():
            if entry.match_id in found:
                found[entry.match_id].append(entry)
        return found

    async def ledger_of_people(self, employee_ids: Iterable[str]) -> dict[str, list[RecordedEntry]]:
        found: dict[str, list[RecordedEntry]] = {i: [] for i in sorted(set(employee_ids))}
        for entry in self._entries():
            for employee_id in {entry.from_id, entry.to_id}:
                if employee_id in found:
                    found[employee_id].append(entry)
        return found

    async def erase_notes(self, employee_ids: Iterable[str]) -> int:
        ids = set(employee_ids)
        erased = 0
        for session_id, session in list(self._db.sessions.items()):
            if session.logged_by in ids and session.notes is not None:
                self._db.sessions[session_id] = replace(session, notes=None)
                erased += 1
        return erased


class FakeGoals:
    def __init__(self, database: FakeEngagementDatabase) -> None:
        self._db = database

    async def get(self, goal_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Goal]:
        return {i: self._db.goals[i] for i in sorted(set(goal_ids)) if i in self._db.goals}

    async def add(self, goal: Goal) -> None:
        if goal.goal_id in self._db.goals:
            raise ValueError(f"goal {goal.goal_id} exists")
        self._db.goals[goal.goal_id] = goal

    async def save(self, goal: Goal) -> None:
        if goal.goal_id in self._db.goals:
            self._db.goals[goal.goal_id] = goal

    async def of_matches(self, match_ids: Iterable[str]) -> dict[str, list[Goal]]:
        found: dict[str, list[Goal]] = {i: [] for i in sorted(set(match_ids))}
        for goal in sorted(self._db.goals.values(), key=lambda g: (g.due_on, g.goal_id)):
            if goal.match_id in found:
                found[goal.match_id].append(goal)
        return found


class FakeCheckins:
    def __init__(self, database: FakeEngagementDatabase) -> None:
        self._db = database

    async def add_new(self, checkins: Sequence[Checkin]) -> list[Checkin]:
        held = {(c.match_id, c.employee_id, c.due_on) for c in self._db.checkins.values()}
        stored = []
        for checkin in checkins:
            key = (checkin.match_id, checkin.employee_id, checkin.due_on)
            if key in held or checkin.checkin_id in self._db.checkins:
                continue
            held.add(key)
            self._db.checkins[checkin.checkin_id] = checkin
            stored.append(checkin)
        return stored

    async def get(self, checkin_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Checkin]:
        return {i: self._db.checkins[i] for i in sorted(set(checkin_ids)) if i in self._db.checkins}

    async def save(self, checkins: Sequence[Checkin]) -> None:
        for checkin in checkins:
            if checkin.checkin_id in self._db.checkins:
                self._db.checkins[checkin.checkin_id] = checkin

    async def open_of_matches(self, match_ids: Iterable[str], *, for_update: bool = False) -> list[Checkin]:
        ids = set(match_ids)
        return [c for _, c in sorted(self._db.checkins.items()) if c.match_id in ids and c.status == "due"]

    async def of_matches(self, match_ids: Iterable[str]) -> dict[str, list[Checkin]]:
        found: dict[str, list[Checkin]] = {i: [] for i in sorted(set(match_ids))}
        for checkin in sorted(self._db.checkins.values(), key=lambda c: (c.due_on, c.employee_id)):
            if checkin.match_id in found:
                found[checkin.match_id].append(checkin)
        return found

    async def due_of_people(self, employee_ids: Iterable[str]) -> dict[str, list[Checkin]]:
        found: dict[str, list[Checkin]] = {i: [] for i in sorted(set(employee_ids))}
        for checkin in sorted(self._db.checkins.values(), key=lambda c: (c.due_on, c.match_id)):
            if checkin.employee_id in found and checkin.status == "due":
                found[checkin.employee_id].append(checkin)
        return found

    async def erase_comments(self, employee_ids: Iterable[str]) -> int:
        ids = set(employee_ids)
        erased = 0
        for checkin_id, checkin in list(self._db.checkins.items()):
            answers = checkin.answers
            if checkin.employee_id in ids and answers is not None and answers.comment:
                self._db.checkins[checkin_id] = replace(checkin, answers=replace(answers, comment=""))
                erased += 1
        return erased


class FakeEngagementUnitOfWork(FakeUnitOfWork, EngagementUnitOfWork):
    database_class = FakeEngagementDatabase

    def _bind(self, working: FakeDatabase) -> None:
        super()._bind(working)
        assert isinstance(working, FakeEngagementDatabase)
        self.programs = FakePrograms(working)
        self.enrolments = FakeEnrolments(working)
        self.matches = FakeMatches(working)
        self.people = FakePeople(working)
        self.sessions = FakeSessions(working)
        self.goals = FakeGoals(working)
        self.checkins = FakeCheckins(working)
