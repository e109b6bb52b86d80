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
from tandem_matching.domain.matches import Match, MatchStatus
from tandem_matching.domain.pool import PoolMember
from tandem_matching.domain.programs import Program, ProgramStatus


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
