"""The matching repositories and unit of work in memory.

They behave as ``adapters/`` does on PostgreSQL (ids sort byte by byte, as the "C"
collation does): the suite in ``tests/contract/test_matching_repositories.py`` runs
against both. Locks are not modelled (one test runs one transaction at a time).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar

import orjson

from tandem_matching.domain.enrolment import Enrolment, EnrolmentStatus
from tandem_matching.domain.matches import Match, MatchStatus
from tandem_matching.domain.pool import PoolMember
from tandem_matching.domain.programs import Program, ProgramStatus
from tandem_matching.domain.rounds import EnrolledPerson, Round
from tandem_matching.service.unit_of_work import MatchingUnitOfWork
from tests.fakes.unit_of_work import FakeDatabase, FakeUnitOfWork


@dataclass
class FakeMatchingDatabase(FakeDatabase):
    programs: dict[str, Program] = field(default_factory=dict)
    enrolments: dict[tuple[str, str], Enrolment] = field(default_factory=dict)
    pool: dict[str, PoolMember] = field(default_factory=dict)
    matches: dict[str, Match] = field(default_factory=dict)
    rounds: dict[str, Round] = field(default_factory=dict)


class FakePrograms:
    def __init__(self, database: FakeMatchingDatabase) -> None:
        self._db = database

    async def get(self, program_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Program]:
        return {i: self._db.programs[i] for i in sorted(set(program_ids)) if i in self._db.programs}

    async def add(self, program: Program) -> None:
        if program.program_id in self._db.programs:
            raise ValueError(f"program {program.program_id} exists")
        self._db.programs[program.program_id] = program

    async def save(self, program: Program) -> None:
        if program.program_id in self._db.programs:
            self._db.programs[program.program_id] = program

    async def page(self, *, after: str | None, limit: int, status: ProgramStatus | None) -> list[Program]:
        found = [
            p
            for i, p in sorted(self._db.programs.items())
            if (after is None or i > after) and (status is None or p.status == status)
        ]
        return found[:limit]


class FakeEnrolments:
    def __init__(self, database: FakeMatchingDatabase) -> None:
        self._db = database

    async def get(
        self, program_id: str, employee_ids: Iterable[str], *, for_update: bool = False
    ) -> dict[str, Enrolment]:
        held = self._db.enrolments
        return {i: held[(program_id, i)] for i in sorted(set(employee_ids)) if (program_id, i) in held}

    async def save(self, enrolments: Sequence[Enrolment]) -> None:
        for item in enrolments:
            self._db.enrolments[(item.program_id, item.employee_id)] = item

    async def of_employees(
        self, employee_ids: Iterable[str], *, status: EnrolmentStatus | None = None, for_update: bool = False
    ) -> list[Enrolment]:
        ids = set(employee_ids)
        return [
            e
            for _, e in sorted(self._db.enrolments.items())
            if e.employee_id in ids and (status is None or e.status == status)
        ]

    async def page(
        self, program_id: str, *, after: str | None, limit: int, status: EnrolmentStatus | None
    ) -> list[Enrolment]:
        found = [
            e
            for (p, i), e in sorted(self._db.enrolments.items())
            if p == program_id and (after is None or i > after) and (status is None or e.status == status)
        ]
        return found[:limit]


class FakePool:
    def __init__(self, database: FakeMatchingDatabase) -> None:
        self._db = database

    async def get(self, employee_ids: Iterable[str], *, for_update: bool = False) -> dict[str, PoolMember]:
        return {i: self._db.pool[i] for i in sorted(set(employee_ids)) if i in self._db.pool}

    async def save(self, members: Sequence[PoolMember]) -> None:
        for member in members:
            self._db.pool[member.employee_id] = member


class FakeMatches:
    def __init__(self, database: FakeMatchingDatabase) -> None:
        self._db = database

    def _sorted(self) -> list[Match]:
        return [m for _, m in sorted(self._db.matches.items())]

    async def get(self, match_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Match]:
        return {i: self._db.matches[i] for i in sorted(set(match_ids)) if i in self._db.matches}

    async def add(self, matches: Sequence[Match]) -> None:
        for match in matches:
            if match.match_id in self._db.matches:
                raise ValueError(f"match {match.match_id} exists")
            self._db.matches[match.match_id] = match

    async def save(self, matches: Sequence[Match]) -> None:
        for match in matches:
            if match.match_id in self._db.matches:
                self._db.matches[match.match_id] = match

    async def of_members(
        self,
        employee_ids: Iterable[str],
        *,
        statuses: Sequence[MatchStatus] = (),
        program_id: str | None = None,
        for_update: bool = False,
    ) -> list[Match]:
        ids = set(employee_ids)
        return [
            m
            for m in self._sorted()
            if ids & set(m.employee_ids)
            and (not statuses or m.status in statuses)
            and (program_id is None or m.program_id == program_id)
        ]

    async def of_program(
        self,
        program_id: str,
        *,
        statuses: Sequence[MatchStatus] = (),
        after: str | None = None,
        limit: int | None = None,
        for_update: bool = False,
    ) -> list[Match]:
        found = [
            m
            for m in self._sorted()
            if m.program_id == program_id
            and (not statuses or m.status in statuses)
            and (after is None or m.match_id > after)
        ]
        return found if limit is None else found[:limit]

    async def expired_proposals(self, now: datetime, limit: int) -> list[Match]:
        return [m for m in self._sorted() if m.status == "proposed" and m.expires_at <= now][:limit]

    async def due_to_complete(self, today: date, limit: int) -> list[Match]:
        return [
            m for m in self._sorted() if m.status == "active" and m.ends_on is not None and m.ends_on <= today
        ][:limit]

    async def previous_pairs(self, program_id: str) -> set[tuple[str, str]]:
        found: set[tuple[str, str]] = set()
        for match in self._sorted():
            if match.program_id == program_id and match.status in ("declined", "ended"):
                found |= match.pairs()
        return found

    async def matched_in_program(self, program_id: str, employee_ids: Iterable[str]) -> set[str]:
        ids = set(employee_ids)
        return {
            employee_id
            for m in self._sorted()
            if m.program_id == program_id and m.open
            for employee_id in m.employee_ids
            if employee_id in ids
        }


class FakeRounds:
    def __init__(self, database: FakeMatchingDatabase) -> None:
        self._db = database

    async def get(self, round_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Round]:
        return {i: self._db.rounds[i] for i in sorted(set(round_ids)) if i in self._db.rounds}

    async def add(self, round_: Round) -> None:
        if round_.round_id in self._db.rounds:
            raise ValueError(f"round {round_.round_id} exists")
        if round_.open and await self.open_of_program(round_.program_id) is not None:
            raise ValueError(f"program {round_.program_id} has an open round")
        self._db.rounds[round_.round_id] = round_

    async def save(self, round_: Round) -> None:
        if round_.round_id in self._db.rounds:
            self._db.rounds[round_.round_id] = round_

    async def open_of_program(self, program_id: str) -> Round | None:
        return next((r for r in self._db.rounds.values() if r.program_id == program_id and r.open), None)

    async def page(self, program_id: str, *, after: str | None, limit: int) -> list[Round]:
        found = [
            r
            for i, r in sorted(self._db.rounds.items())
            if r.program_id == program_id and (after is None or i > after)
        ]
        return found[:limit]

    async def next_claimable(self, now: datetime) -> Round | None:
        waiting = [r for r in self._db.rounds.values() if r.claimable(now)]
        return min(waiting, key=lambda r: (r.requested_at, r.round_id), default=None)

    async def enrolled_people(self, program_id: str) -> list[EnrolledPerson]:
        found = []
        for (p, employee_id), enrolment in sorted(self._db.enrolments.items()):
            member = self._db.pool.get(employee_id)
            if p != program_id or enrolment.status != "enrolled" or member is None:
                continue
            if member.status != "active" or member.snapshot is None:
                continue
            capacity = int((member.snapshot.get("mentoring") or {}).get("capacity") or 0)
            found.append(
                EnrolledPerson(employee_id, enrolment.roles, capacity, orjson.dumps(member.snapshot).decode())
            )
        return found

    async def manager_links(self) -> list[tuple[str, str | None]]:
        return [
            (i, m.snapshot.get("manager_id"))
            for i, m in sorted(self._db.pool.items())
            if m.snapshot is not None
        ]

    async def available_people(self, program_id: str, employee_ids: Iterable[str]) -> set[str]:
        found = set()
        for employee_id in set(employee_ids):
            enrolment = self._db.enrolments.get((program_id, employee_id))
            member = self._db.pool.get(employee_id)
            enrolled = enrolment is not None and enrolment.status == "enrolled"
            if enrolled and member is not None and member.active:
                found.add(employee_id)
        return found


class FakeMatchingUnitOfWork(FakeUnitOfWork, MatchingUnitOfWork):
    database_class: ClassVar[type[FakeDatabase]] = FakeMatchingDatabase
    database: FakeMatchingDatabase

    def _bind(self, working: FakeDatabase) -> None:
        assert isinstance(working, FakeMatchingDatabase)
        super()._bind(working)
        self.programs = FakePrograms(working)
        self.enrolments = FakeEnrolments(working)
        self.pool = FakePool(working)
        self.matches = FakeMatches(working)
        self.rounds = FakeRounds(working)
