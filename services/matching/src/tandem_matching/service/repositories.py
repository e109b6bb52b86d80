"""What the use cases need from storage: one protocol per repository.

``adapters/`` implements them with SQL, ``tests/fakes/matching.py`` in memory, and the
suite in ``tests/contract/test_matching_repositories.py`` holds both to the same
behaviour. Every method runs inside the unit of work's transaction. Lists come back
in a stable order (by id), so that locks are always taken in one order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Protocol

from tandem_matching.domain.enrolment import Enrolment, EnrolmentStatus
from tandem_matching.domain.lifecycle import Participant
from tandem_matching.domain.matches import Match, MatchStatus
from tandem_matching.domain.pool import PoolMember
from tandem_matching.domain.programs import Program, ProgramStatus
from tandem_matching.domain.rounds import EnrolledPerson, Round


class Programs(Protocol):
    async def get(self, program_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Program]:
        """The stored programs among ``program_ids``; ``for_update`` locks them until commit."""
        ...

    async def add(self, program: Program) -> None:
        """Store a new program."""
        ...

    async def save(self, program: Program) -> None:
        """Replace a stored program with ``program``."""
        ...

    async def page(self, *, after: str | None, limit: int, status: ProgramStatus | None) -> list[Program]:
        """Up to ``limit`` programs by id after ``after``, in ``status`` if given."""
        ...


class Enrolments(Protocol):
    async def get(
        self, program_id: str, employee_ids: Iterable[str], *, for_update: bool = False
    ) -> dict[str, Enrolment]:
        """The enrolments (withdrawn ones included) of these people in the program."""
        ...

    async def save(self, enrolments: Sequence[Enrolment]) -> None:
        """Insert or replace each enrolment."""
        ...

    async def of_employees(
        self, employee_ids: Iterable[str], *, status: EnrolmentStatus | None = None, for_update: bool = False
    ) -> list[Enrolment]:
        """Every enrolment of these people in any program, in ``status`` if given."""
        ...

    async def page(
        self, program_id: str, *, after: str | None, limit: int, status: EnrolmentStatus | None
    ) -> list[Enrolment]:
        """Up to ``limit`` enrolments of the program by employee id after ``after``."""
        ...


class Pool(Protocol):
    async def get(self, employee_ids: Iterable[str], *, for_update: bool = False) -> dict[str, PoolMember]:
        """The pool members among ``employee_ids``."""
        ...

    async def save(self, members: Sequence[PoolMember]) -> None:
        """Insert or replace each member (the caller decided the version is newer)."""
        ...


class Matches(Protocol):
    async def get(self, match_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Match]:
        """The stored matches among ``match_ids``, with their members."""
        ...

    async def add(self, matches: Sequence[Match]) -> None:
        """Store new matches and their members."""
        ...

    async def save(self, matches: Sequence[Match]) -> None:
        """Store the new state of stored matches (status, dates, reasons, responses, flag)."""
        ...

    async def of_members(
        self,
        employee_ids: Iterable[str],
        *,
        statuses: Sequence[MatchStatus] = (),
        program_id: str | None = None,
        for_update: bool = False,
    ) -> list[Match]:
        """Every match with any of these people as a member, in one of ``statuses``
        (any if empty), of ``program_id`` if given, by match id."""
        ...

    async def of_program(
        self,
        program_id: str,
        *,
        statuses: Sequence[MatchStatus] = (),
        after: str | None = None,
        limit: int | None = None,
        for_update: bool = False,
    ) -> list[Match]:
        """The program's matches in one of ``statuses`` (any if empty), by match id after
        ``after``, at most ``limit``."""
        ...

    async def expired_proposals(self, now: datetime, limit: int) -> list[Match]:
        """Up to ``limit`` proposed matches whose ``expires_at`` is at or before ``now``,
        locked; rows another transaction holds are skipped."""
        ...

    async def due_to_complete(self, today: date, limit: int) -> list[Match]:
        """Up to ``limit`` active matches whose ``ends_on`` is at or before ``today``,
        locked; rows another transaction holds are skipped."""
        ...

    async def previous_pairs(self, program_id: str) -> set[tuple[str, str]]:
        """Every unordered pair of people (``(a, b)`` with ``a < b``) who were together in
        a declined or ended match of the program: never to be proposed again there."""
        ...

    async def matched_in_program(self, program_id: str, employee_ids: Iterable[str]) -> set[str]:
        """Those of ``employee_ids`` who are in a proposed or active match of the program."""
        ...


class LifecycleRecords(Protocol):
    """What the HR lifecycle and the engagement signals read (``service/lifecycle.py``)."""

    async def participants(self, program_id: str, *, mentor_program: bool) -> list[Participant]:
        """The program's enrolled people whose pool status is active and who hold no open
        match there (with ``mentor_program``, also those enrolled as mentors), by employee
        id, with their open matches there as a mentor and whether they hold one in another
        role."""
        ...

    async def manager_chains(self, employee_ids: Iterable[str]) -> dict[str, str | None]:
        """The manager link of each of these people and of everyone above them."""
        ...

    async def reports_of(self, manager_ids: Iterable[str]) -> set[str]:
        """Everyone below these people in the manager tree, at any depth."""
        ...

    async def flagged_matches(
        self,
        program_id: str,
        *,
        at_risk: bool,
        statuses: Sequence[MatchStatus],
        after: str | None,
        limit: int,
    ) -> list[str]:
        """Ids of the program's matches whose ``at_risk`` flag is ``at_risk``, in one of
        ``statuses`` (any if empty), by id after ``after``, at most ``limit``."""
        ...


class Rounds(Protocol):
    async def get(self, round_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Round]:
        """The stored rounds among ``round_ids``."""
        ...

    async def add(self, round_: Round) -> None:
        """Store a new round."""
        ...

    async def save(self, round_: Round) -> None:
        """Store the new state of a stored round."""
        ...

    async def open_of_program(self, program_id: str) -> Round | None:
        """The program's queued or running round, if any (there is at most one)."""
        ...

    async def page(self, program_id: str, *, after: str | None, limit: int) -> list[Round]:
        """Up to ``limit`` rounds of the program by id after ``after`` (oldest first)."""
        ...

    async def next_claimable(self, now: datetime) -> Round | None:
        """The oldest round that is queued, or running with a lease due at ``now``,
        locked; rows another transaction holds are skipped."""
        ...

    async def enrolled_people(self, program_id: str) -> list[EnrolledPerson]:
        """The program's enrolled people who are active in the pool, by employee id."""
        ...

    async def manager_links(self) -> list[tuple[str, str | None]]:
        """``(employee_id, manager_id)`` of everyone in the pool with a snapshot."""
        ...

    async def available_people(self, program_id: str, employee_ids: Iterable[str]) -> set[str]:
        """Those of ``employee_ids`` still enrolled in the program and active in the pool."""
        ...
