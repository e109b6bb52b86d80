"""Check-ins: announcing the ones that have come due, and answering them.

**Announcing, exactly once.** The job claims active matches whose next check-in date
has come (``FOR UPDATE SKIP LOCKED``: two replicas never hold one match), stores one
check-in per member and date, and publishes ``checkin.due.v1`` for each in the same
transaction, then moves the match's bookmark past the dates it announced. The
check-in table's unique key on (match, member, due date) is the second guard: a row
that exists is never stored or published again, whichever process got there first,
and however often the job ran before a restart.

**Answering.** Only the person a check-in was sent to answers it, once; the answers
stay in the service (``checkin.submitted.v1`` says only that it was answered).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from tandem_common.user_errors import UserErrors, not_found
from tandem_engagement.domain import policy
from tandem_engagement.domain.checkins import Checkin, announce, check_answers, come_due, next_due
from tandem_engagement.domain.matches import CheckinSchedule
from tandem_engagement.domain.policy import Subject, Viewer
from tandem_engagement.service import events
from tandem_engagement.service.read_models import schedule_of
from tandem_engagement.service.unit_of_work import EngagementUnitOfWork


@dataclass(frozen=True, slots=True)
class AnnounceDueCheckins:
    today: date
    now: datetime
    limit: int


@dataclass(frozen=True, slots=True)
class Announced:
    # Matches claimed (the job repeats while a batch is full) and check-ins announced.
    matches: int
    checkins: int


async def announce_due_checkins(
    uow: EngagementUnitOfWork, command: AnnounceDueCheckins, *, defaults: CheckinSchedule, source: str
) -> Announced:
    claimed = await uow.matches.due_for_checkins(command.today, command.limit)
    programs = await uow.programs.get({m.program_id for m in claimed})
    stored: list[Checkin] = []
    moved = []
    for match in claimed:
        schedule = schedule_of(programs.get(match.program_id), defaults)
        dates = come_due(match, schedule, today=command.today)
        wanted = [checkin for day in dates for checkin in announce(match, day, now=command.now)]
        stored.extend(await uow.checkins.add_new(wanted))
        through = dates[-1] if dates else match.checkins_through
        moved.append(match.scheduled(next_due(match, schedule, after=through), through))
    await uow.matches.save(moved)
    await uow.publish([events.checkin_due(checkin, source=source) for checkin in stored])
    return Announced(len(claimed), len(stored))


@dataclass(frozen=True, slots=True)
class SubmitCheckin:
    viewer: Viewer
    checkin_id: str
    # The answers as the caller sent them (JSON): the four ratings and a comment.
    answers: Any


async def submit_checkin(
    uow: EngagementUnitOfWork, command: SubmitCheckin, *, now: datetime, source: str
) -> Checkin:
    errors, answers = check_answers(command.answers)
    checkin = (await uow.checkins.get([command.checkin_id], for_update=True)).get(command.checkin_id)
    if checkin is None:
        raise UserErrors([not_found("checkin_id", "no such check-in")])
    policy.require("submit_checkin", command.viewer, Subject(owner_id=checkin.employee_id))
    if errors or answers is None:
        raise UserErrors(errors)
    refused = checkin.refusal()
    if refused is not None:
        raise UserErrors([refused])
    submitted = checkin.submit(answers, today=now.date(), now=now)
    await uow.checkins.save([submitted])
    await uow.publish_one(events.checkin_submitted(submitted, source=source))
    return submitted
