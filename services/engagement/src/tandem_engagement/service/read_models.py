"""The read models follow ``matching.events`` and ``profiles.events``: the consumers' handlers.

The consumer opens the unit of work, claims the batch's inbox rows (a redelivered
event never gets here), calls the handler and commits both together.

- **Enrolments** keep each person's latest change in each program (``domain/enrolments.py``).
- **Programs** keep their highest ``program_version``; a changed check-in schedule
  moves the next check-in of the program's active matches.
- **Matches** keep the furthest state they have heard of (``domain/matches.py``), in
  whatever order their events arrive. A match that becomes active gets its first
  check-in date; a match that ends or is declined cancels the check-ins still waiting
  for an answer.
- **People** keep their highest ``profile_version``, and a history row for each change
  of department, country, seniority or status. An erased person's history, notes and
  check-in comments go.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from tandem_common.events.matching import (
    EnrolmentChanged,
    MatchDeclined,
    MatchEnded,
    MatchProposed,
    MatchStarted,
    ProgramChanged,
)
from tandem_common.events.matching import MatchMember as MemberData
from tandem_common.events.profiles import ProfileErasedV1, ProfileSnapshot
from tandem_common.messaging.received import ReceivedEvent
from tandem_engagement.domain.checkins import rescheduled
from tandem_engagement.domain.enrolments import Enrolment, latest
from tandem_engagement.domain.matches import CheckinSchedule, Match, Member, Program, new_match
from tandem_engagement.domain.people import Person, erased_person, person_from_snapshot
from tandem_engagement.service.clock import Clock, utc_now
from tandem_engagement.service.unit_of_work import EngagementUnitOfWork


def program_from_event(data: ProgramChanged) -> Program:
    return Program(
        program_id=data.program_id,
        version=data.program_version,
        type=data.type,
        status=data.status,
        sessions_per_month=data.cadence.sessions_per_month,
        minutes_per_session=data.cadence.minutes_per_session,
        duration_days=data.duration_days,
        checkins=CheckinSchedule(data.checkins.first_after_days, data.checkins.every_days),
        admins=tuple(data.admins),
    )


def _members(members: Iterable[MemberData]) -> list[Member]:
    return [Member(m.employee_id, m.role) for m in members]


def schedule_of(program: Program | None, defaults: CheckinSchedule) -> CheckinSchedule:
    """The program's check-in schedule, or ``defaults`` while the program is not known."""
    return program.checkins if program is not None else defaults


async def apply_matching_events(
    uow: EngagementUnitOfWork,
    events: Sequence[ReceivedEvent],
    *,
    defaults: CheckinSchedule,
    clock: Clock = utc_now,
) -> None:
    now = clock()
    # Programs: the newest version of each wins.
    incoming: dict[str, Program] = {}
    for event in events:
        if isinstance(event.data, ProgramChanged):
            program = program_from_event(event.data)
            if program.supersedes(incoming.get(program.program_id)):
                incoming[program.program_id] = program
    held_programs = await uow.programs.get(incoming, for_update=True)
    changed_programs = [p for p in incoming.values() if p.supersedes(held_programs.get(p.program_id))]
    await uow.programs.save(changed_programs)
    # Matches of a program not known until now were scheduled on the defaults.
    new_schedules = [
        p for p in changed_programs if schedule_of(held_programs.get(p.program_id), defaults) != p.checkins
    ]

    await _apply_enrolments(uow, [e.data for e in events if isinstance(e.data, EnrolmentChanged)])

    # Matches, in delivery order (one match's events share a partition).
    match_ids = {
        event.data.match_id
        for event in events
        if isinstance(event.data, MatchProposed | MatchStarted | MatchDeclined | MatchEnded)
    }
    held = await uow.matches.get(match_ids, for_update=True)
    working = dict(held)
    for event in events:
        data = event.data
        if isinstance(data, MatchProposed):
            found = working.get(data.match_id) or new_match(data.match_id, data.program_id, [], now=now)
            working[data.match_id] = found.proposed(_members(data.members), now=now)
        elif isinstance(data, MatchStarted):
            found = working.get(data.match_id) or new_match(data.match_id, data.program_id, [], now=now)
            working[data.match_id] = found.started(
                program_type=data.program_type,
                members=_members(data.members),
                started_on=data.started_on,
                ends_on=data.ends_on,
                now=now,
            )
        elif isinstance(data, MatchDeclined):
            found = working.get(data.match_id) or new_match(data.match_id, data.program_id, [], now=now)
            working[data.match_id] = found.declined(now=now)
        elif isinstance(data, MatchEnded):
            found = working.get(data.match_id) or new_match(data.match_id, data.program_id, [], now=now)
            working[data.match_id] = found.ended(
                members=_members(data.members), ended_on=data.ended_on, reason=data.reason, now=now
            )
    programs = await uow.programs.get({m.program_id for m in working.values()})
    changed: list[Match] = []
    for match_id, match in sorted(working.items()):
        after = match
        if match.status == "active":
            after = rescheduled(match, schedule_of(programs.get(match.program_id), defaults))
        if after != held.get(match_id):
            changed.append(after)
    # A program whose schedule changed moves the next check-in of its other active matches.
    for program in new_schedules:
        for match in await uow.matches.active_of_program(program.program_id, for_update=True):
            if match.match_id in working:
                continue
            moved = rescheduled(match, program.checkins)
            if moved != match:
                changed.append(moved)
    await uow.matches.save(changed)
    closed = [m.match_id for m in changed if m.status in ("ended", "declined")]
    if closed:
        pending = await uow.checkins.open_of_matches(closed, for_update=True)
        await uow.checkins.save([checkin.cancel(now=now) for checkin in pending])


def enrolment_from_event(data: EnrolmentChanged) -> Enrolment:
    return Enrolment(
        program_id=data.program_id,
        employee_id=data.employee_id,
        roles=tuple(data.roles),
        status=data.status,
        changed_at=data.changed_at,
    )


async def _apply_enrolments(uow: EngagementUnitOfWork, changes: Sequence[EnrolmentChanged]) -> None:
    if not changes:
        return
    incoming = latest(enrolment_from_event(data) for data in changes)
    held = await uow.enrolments.get(incoming, for_update=True)
    await uow.enrolments.save([e for key, e in sorted(incoming.items()) if e.supersedes(held.get(key))])


def _person(event: ReceivedEvent, held: dict[str, Person]) -> Person:
    data = event.data
    if isinstance(data, ProfileErasedV1):
        return erased_person(data.employee_id, data.profile_version, held.get(data.employee_id))
    if isinstance(data, ProfileSnapshot):
        return person_from_snapshot(data.model_dump(mode="json"))
    raise TypeError(f"not a profile event: {type(data).__name__}")


async def apply_profile_events(uow: EngagementUnitOfWork, events: Sequence[ReceivedEvent]) -> None:
    ids = {
        event.data.employee_id
        for event in events
        if isinstance(event.data, ProfileSnapshot | ProfileErasedV1)
    }
    held = await uow.people.get(ids, for_update=True)
    current = dict(held)
    history = []
    erased: list[str] = []
    for event in events:
        person = _person(event, current)
        before = current.get(person.employee_id)
        if not person.supersedes(before):
            continue
        row = person.history_row(before, published_on=event.envelope.time.date())
        if row is not None:
            history.append(row)
        if person.erased:
            erased.append(person.employee_id)
        current[person.employee_id] = person
    changed = [p for i, p in sorted(current.items()) if held.get(i) != p]
    await uow.people.save(changed)
    await uow.people.add_history([row for row in history if row.employee_id not in erased])
    if erased:
        await uow.people.forget_history(erased)
        await uow.sessions.erase_notes(erased)
        await uow.checkins.erase_comments(erased)
