"""All SQL of analytics, exports and the service's outcome analysis: read-only sums.

Sums are taken in the database (one grouped query per table), so a program of many
matches costs a handful of round trips. No query reads a free-text column (notes,
comments, goal titles or criteria).
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date

from sqlalchemy import Select, and_, any_, exists, func, literal, select
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_engagement.adapters.tables import (
    Id,
    checkins,
    enrolments,
    goals,
    ledger_entries,
    match_health,
    match_members,
    matches,
    people,
    person_history,
    sessions,
)
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

_STARTED = ("active", "ended")


class AnalyticsRepository:
    """``service.repositories.AnalyticsReads`` on PostgreSQL."""

    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    def _started(self, program_id: str | None) -> Select[tuple[str, str]]:
        query = select(matches.c.match_id, matches.c.status).where(
            matches.c.status.in_(_STARTED), matches.c.started_on.is_not(None)
        )
        if program_id is not None:
            query = query.where(matches.c.program_id == program_id)
        return query

    async def match_facts(self, program_id: str | None) -> list[MatchFacts]:
        started = self._started(program_id).subquery()
        status = {row.match_id: row.status for row in await self._session.execute(select(started))}
        if not status:
            return []
        ids = select(started.c.match_id)
        members: dict[str, list[str]] = defaultdict(list)
        for row in await self._session.execute(
            select(match_members.c.match_id, match_members.c.employee_id)
            .where(match_members.c.match_id.in_(ids))
            .order_by(match_members.c.match_id, match_members.c.position)
        ):
            members[row.match_id].append(row.employee_id)
        logged = {
            row.match_id: (row.n, row.minutes)
            for row in await self._session.execute(
                select(
                    sessions.c.match_id,
                    func.count().label("n"),
                    func.sum(sessions.c.minutes).label("minutes"),
                )
                .where(sessions.c.match_id.in_(ids))
                .group_by(sessions.c.match_id)
            )
        }
        given: dict[str, dict[str, int]] = defaultdict(dict)
        for row in await self._session.execute(
            select(ledger_entries.c.match_id, ledger_entries.c.from_id, func.count().label("n"))
            .where(ledger_entries.c.match_id.in_(ids))
            .group_by(ledger_entries.c.match_id, ledger_entries.c.from_id)
        ):
            given[row.match_id][row.from_id] = row.n
        goal_counts = {
            row.match_id: (row.n, row.met)
            for row in await self._session.execute(
                select(
                    goals.c.match_id,
                    func.count().label("n"),
                    func.count().filter(goals.c.status == "done").label("met"),
                )
                .where(goals.c.match_id.in_(ids))
                .group_by(goals.c.match_id)
            )
        }
        bands = {
            row.match_id: row.band
            for row in await self._session.execute(
                select(match_health.c.match_id, match_health.c.band).where(match_health.c.match_id.in_(ids))
            )
        }
        facts: list[MatchFacts] = []
        for match_id in sorted(status):
            n_sessions, minutes = logged.get(match_id, (0, 0))
            n_goals, met = goal_counts.get(match_id, (0, 0))
            facts.append(
                MatchFacts(
                    match_id=match_id,
                    status=status[match_id],
                    members=tuple(members[match_id]),
                    sessions=int(n_sessions),
                    minutes=int(minutes or 0),
                    given=dict(given[match_id]),
                    goals=int(n_goals),
                    goals_met=int(met),
                    health_band=bands.get(match_id),
                )
            )
        return facts

    async def ratings(self, program_id: str | None) -> list[Rating]:
        ids = select(self._started(program_id).subquery().c.match_id)
        rows = await self._session.execute(
            select(checkins.c.employee_id, checkins.c.satisfaction)
            .where(
                checkins.c.match_id.in_(ids),
                checkins.c.status == "submitted",
                checkins.c.satisfaction.is_not(None),
            )
            .order_by(checkins.c.checkin_id)
        )
        return [Rating(row.employee_id, int(row.satisfaction)) for row in rows]

    async def enrolment_facts(self, program_id: str | None) -> list[EnrolmentFact]:
        matched = exists().where(
            match_members.c.employee_id == enrolments.c.employee_id,
            matches.c.match_id == match_members.c.match_id,
            matches.c.program_id == enrolments.c.program_id,
            matches.c.status.in_(_STARTED),
            matches.c.started_on.is_not(None),
        )
        query = (
            select(enrolments.c.program_id, enrolments.c.employee_id, matched.label("matched"))
            .where(enrolments.c.status == "enrolled")
            .order_by(enrolments.c.program_id, enrolments.c.employee_id)
        )
        if program_id is not None:
            query = query.where(enrolments.c.program_id == program_id)
        rows = await self._session.execute(query)
        return [EnrolmentFact(row.program_id, row.employee_id, bool(row.matched)) for row in rows]

    async def traits(self, employee_ids: list[str]) -> dict[str, PersonTraits]:
        if not employee_ids:
            return {}
        rows = await self._session.execute(
            select(
                people.c.employee_id, people.c.department, people.c.country, people.c.seniority_level
            ).where(people.c.employee_id.in_(sorted(set(employee_ids))))
        )
        return {
            row.employee_id: PersonTraits(row.employee_id, row.department, row.country, row.seniority_level)
            for row in rows
        }

    # -- the outcome analysis ------------------------------------------------------------

    async def cohort_people(self) -> list[CohortPerson]:
        rows = await self._session.execute(
            select(
                people.c.employee_id,
                people.c.department,
                people.c.country,
                people.c.seniority_level,
                people.c.hire_date,
                people.c.exit_date,
                people.c.exit_reason,
            ).order_by(people.c.employee_id)
        )
        return [
            CohortPerson(
                row.employee_id,
                row.department,
                row.country,
                row.seniority_level,
                row.hire_date,
                row.exit_date,
                row.exit_reason,
            )
            for row in rows
        ]

    async def seniority_steps(self) -> list[PromotionStep]:
        rows = await self._session.execute(
            select(
                person_history.c.employee_id, person_history.c.valid_from, person_history.c.seniority_level
            )
            .where(person_history.c.seniority_level.is_not(None))
            .order_by(person_history.c.employee_id, person_history.c.profile_version)
        )
        return [PromotionStep(row.employee_id, row.valid_from, int(row.seniority_level)) for row in rows]

    async def memberships(self) -> list[Membership]:
        rows = await self._session.execute(
            select(
                match_members.c.employee_id, matches.c.program_id, matches.c.started_on, matches.c.ended_on
            )
            .join(matches, matches.c.match_id == match_members.c.match_id)
            .where(matches.c.status.in_(_STARTED), matches.c.started_on.is_not(None))
            .order_by(match_members.c.employee_id, matches.c.started_on, matches.c.match_id)
        )
        return [Membership(row.employee_id, row.program_id, row.started_on, row.ended_on) for row in rows]

    # -- exports -------------------------------------------------------------------------

    async def sessions_of_person(self, employee_id: str) -> list[PersonSession]:
        """Every session of every match the person is in, whoever logged it; no notes."""
        theirs = select(match_members.c.match_id).where(match_members.c.employee_id == employee_id)
        rows = await self._session.execute(
            select(
                sessions.c.session_id,
                sessions.c.match_id,
                sessions.c.program_id,
                sessions.c.held_on,
                sessions.c.minutes,
                sessions.c.mode,
            )
            .where(sessions.c.match_id.in_(theirs))
            .order_by(sessions.c.held_on, sessions.c.session_id)
        )
        return [
            PersonSession(row.session_id, row.match_id, row.program_id, row.held_on, row.minutes, row.mode)
            for row in rows
        ]

    async def goals_met_of_person(self, employee_id: str) -> list[tuple[str, str, date]]:
        """(goal id, match id, due date) of the person's goals that are done; no texts."""
        theirs = select(match_members.c.match_id).where(match_members.c.employee_id == employee_id)
        rows = await self._session.execute(
            select(goals.c.goal_id, goals.c.match_id, goals.c.due_on)
            .where(
                and_(
                    goals.c.match_id.in_(theirs),
                    goals.c.status == "done",
                    literal(employee_id, Id) == any_(goals.c.owners),
                )
            )
            .order_by(goals.c.due_on, goals.c.goal_id)
        )
        return [(row.goal_id, row.match_id, row.due_on) for row in rows]
