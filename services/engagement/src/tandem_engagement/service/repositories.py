"""What the use cases need from storage: one protocol per repository.

``adapters/`` implements them with SQL, ``tests/fakes/engagement.py`` in memory, and
the suite in ``tests/contract/test_engagement_repositories.py`` holds both to the same
behaviour. Every method runs inside the unit of work's transaction. Lists come back
in a stable order, so that locks are always taken in one order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date
from typing import Protocol

from tandem_engagement.domain.analytics import (
    CohortPerson,
    EnrolmentFact,
    MatchFacts,
    Membership,
    PersonSession,
    PersonTraits,
    PromotionStep,
    Rating,
)
from tandem_engagement.domain.checkins import Checkin
from tandem_engagement.domain.enrolments import Enrolment, EnrolmentKey
from tandem_engagement.domain.goals import Goal
from tandem_engagement.domain.health import HealthInputs, StoredHealth
from tandem_engagement.domain.ledger import RecordedEntry
from tandem_engagement.domain.matches import Match, Program
from tandem_engagement.domain.people import HistoryRow, Person
from tandem_engagement.domain.sessions import Session


class Programs(Protocol):
    async def get(self, program_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Program]:
        """The stored programs among ``program_ids``."""
        ...

    async def save(self, programs: Sequence[Program]) -> None:
        """Insert or replace each program (the caller decided the version is newer)."""
        ...


class Enrolments(Protocol):
    async def get(
        self, keys: Iterable[EnrolmentKey], *, for_update: bool = False
    ) -> dict[EnrolmentKey, Enrolment]:
        """The stored enrolments among these (program id, employee id) keys."""
        ...

    async def save(self, enrolments: Sequence[Enrolment]) -> None:
        """Insert or replace each enrolment (the caller decided the change is newer)."""
        ...


class Matches(Protocol):
    async def get(self, match_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Match]:
        """The stored matches among ``match_ids``, with their members."""
        ...

    async def save(self, matches: Sequence[Match]) -> None:
        """Insert or replace each match and its members."""
        ...

    async def active_of_program(self, program_id: str, *, for_update: bool = False) -> list[Match]:
        """The program's active matches, by match id."""
        ...

    async def due_for_checkins(self, today: date, limit: int) -> list[Match]:
        """Up to ``limit`` active matches whose ``next_checkin_on`` is at or before
        ``today``, by match id, locked; rows another transaction holds are skipped."""
        ...


class People(Protocol):
    async def get(self, employee_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Person]:
        """The stored people among ``employee_ids``."""
        ...

    async def save(self, people: Sequence[Person]) -> None:
        """Insert or replace each person (the caller decided the version is newer)."""
        ...

    async def add_history(self, rows: Sequence[HistoryRow]) -> None:
        """Store history rows; a row of a version already stored is left as it is."""
        ...

    async def history(self, employee_ids: Iterable[str]) -> dict[str, list[HistoryRow]]:
        """Each person's history rows by profile version (people without rows left out)."""
        ...

    async def forget_history(self, employee_ids: Iterable[str]) -> None:
        """Delete every history row of these people."""
        ...


class Sessions(Protocol):
    async def add(self, session: Session) -> None:
        """Store a new session and its ledger entries."""
        ...

    async def by_request(self, logged_by: str, client_request_id: str) -> Session | None:
        """The session ``logged_by`` logged with ``client_request_id``, if any."""
        ...

    async def of_matches(self, match_ids: Iterable[str]) -> dict[str, list[Session]]:
        """Each match's sessions, newest ``held_on`` first (then by session id); every
        asked id is a key."""
        ...

    async def ledger_of_matches(self, match_ids: Iterable[str]) -> dict[str, list[RecordedEntry]]:
        """Each match's ledger entries; every asked id is a key."""
        ...

    async def ledger_of_people(self, employee_ids: Iterable[str]) -> dict[str, list[RecordedEntry]]:
        """Every entry each person taught or learned, in any program; every asked id is a key."""
        ...

    async def erase_notes(self, employee_ids: Iterable[str]) -> int:
        """Drop the notes of every session these people logged; how many sessions had some."""
        ...


class Goals(Protocol):
    async def get(self, goal_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Goal]:
        """The stored goals among ``goal_ids``."""
        ...

    async def add(self, goal: Goal) -> None:
        """Store a new goal."""
        ...

    async def save(self, goal: Goal) -> None:
        """Replace a stored goal."""
        ...

    async def of_matches(self, match_ids: Iterable[str]) -> dict[str, list[Goal]]:
        """Each match's goals by due date, then id; every asked id is a key."""
        ...


class Checkins(Protocol):
    async def add_new(self, checkins: Sequence[Checkin]) -> list[Checkin]:
        """Store those of ``checkins`` whose (match, member, due date) is not stored
        yet, and return them: the others were announced before, here or by another
        replica, and are left as they are."""
        ...

    async def get(self, checkin_ids: Iterable[str], *, for_update: bool = False) -> dict[str, Checkin]:
        """The stored check-ins among ``checkin_ids``."""
        ...

    async def save(self, checkins: Sequence[Checkin]) -> None:
        """Store the new state of stored check-ins."""
        ...

    async def open_of_matches(self, match_ids: Iterable[str], *, for_update: bool = False) -> list[Checkin]:
        """The check-ins of these matches still waiting for an answer, by id."""
        ...

    async def of_matches(self, match_ids: Iterable[str]) -> dict[str, list[Checkin]]:
        """Each match's check-ins by due date, then member; every asked id is a key."""
        ...

    async def due_of_people(self, employee_ids: Iterable[str]) -> dict[str, list[Checkin]]:
        """Each person's check-ins waiting for their answer, by due date; every asked
        id is a key."""
        ...

    async def erase_comments(self, employee_ids: Iterable[str]) -> int:
        """Drop the comment of every check-in these people answered; how many had one."""
        ...


class AnalyticsReads(Protocol):
    """Read-only sums and rows for analytics, outcomes and exports; never free text.
    ``program_id`` None means every program."""

    async def match_facts(self, program_id: str | None) -> list[MatchFacts]:
        """Every started (active or ended) match, by match id, reduced to numbers."""
        ...

    async def ratings(self, program_id: str | None) -> list[Rating]:
        """The satisfaction of every answered check-in of those matches."""
        ...

    async def enrolment_facts(self, program_id: str | None) -> list[EnrolmentFact]:
        """Every enrolment that is ``enrolled`` now, by program and employee id, with
        whether the person is or was in a started match of that program."""
        ...

    async def traits(self, employee_ids: list[str]) -> dict[str, PersonTraits]:
        """Department, country and seniority of the stored people among ``employee_ids``."""
        ...

    async def cohort_people(self) -> list[CohortPerson]:
        """Every stored person, by employee id."""
        ...

    async def seniority_steps(self) -> list[PromotionStep]:
        """Every history row with a seniority, by person and profile version."""
        ...

    async def memberships(self) -> list[Membership]:
        """Each member of each started match, by employee id and start."""
        ...

    async def sessions_of_person(self, employee_id: str) -> list[PersonSession]:
        """The sessions of the person's matches, by date and id."""
        ...

    async def goals_met_of_person(self, employee_id: str) -> list[tuple[str, str, date]]:
        """(goal id, match id, due date) of the done goals the person owns, by due date."""
        ...


class HealthScores(Protocol):
    async def lock(self, match_ids: Iterable[str]) -> list[str]:
        """Lock these matches' rows (in id order) so one transaction at a time scores
        each; the ids that exist."""
        ...

    async def active_of_programs(self, program_ids: Iterable[str]) -> list[str]:
        """The ids of these programs' active matches."""
        ...

    async def stale(self, today: date, after: str, limit: int) -> list[str]:
        """Up to ``limit`` active matches after ``after`` (by id) last scored before
        ``today``, by id, their health rows locked; rows another transaction holds are
        skipped."""
        ...

    async def unscored(self, after: str, limit: int) -> list[str]:
        """Up to ``limit`` active, started matches after ``after`` (by id) never scored,
        by id, their match rows locked; rows another transaction holds are skipped."""
        ...

    async def inputs_of(self, match_ids: Iterable[str]) -> dict[str, HealthInputs]:
        """The formula's inputs of those of these matches that are active and started."""
        ...

    async def get(self, match_ids: Iterable[str], *, for_update: bool = False) -> dict[str, StoredHealth]:
        """The stored health among ``match_ids``."""
        ...

    async def save(self, scores: Sequence[StoredHealth]) -> None:
        """Insert or replace each match's health."""
        ...
