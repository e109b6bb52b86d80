"""The events of ``engagement.events``, built from the aggregates (events.md, to the letter).

Each event's ``ce_id`` is derived from what it records (``<session>.logged``,
``<goal>.v3``, ``<checkin>.due``), so one change can never be published under two ids.
No field carries free text: notes, goal titles and criteria, and check-in answers stay
in the service.
"""

from __future__ import annotations

from tandem_common.events.engagement import (
    CheckinDue,
    CheckinSubmitted,
    GoalChanged,
    LearningEntry,
    SessionLogged,
)
from tandem_common.outbox.writer import OutgoingEvent
from tandem_engagement.domain.checkins import Checkin
from tandem_engagement.domain.goals import Goal
from tandem_engagement.domain.sessions import Session


def _outgoing(
    data: SessionLogged | GoalChanged | CheckinDue | CheckinSubmitted, event_id: str, *, source: str
) -> OutgoingEvent:
    return OutgoingEvent(data=data, source=source, id=event_id, subject=data.key())


def session_logged(session: Session, *, source: str) -> OutgoingEvent:
    data = SessionLogged(
        session_id=session.session_id,
        match_id=session.match_id,
        program_id=session.program_id,
        held_on=session.held_on,
        minutes=session.minutes,
        mode=session.mode,
        logged_by=session.logged_by,
        learning=[LearningEntry(from_=e.from_id, to=e.to_id, skill=e.skill) for e in session.learning],
    )
    return _outgoing(data, f"{session.session_id}.logged", source=source)


def goal_changed(goal: Goal, *, source: str) -> OutgoingEvent:
    data = GoalChanged(
        goal_id=goal.goal_id,
        match_id=goal.match_id,
        owners=list(goal.owners),
        status=goal.status,
        progress=goal.progress,
        due_on=goal.due_on,
    )
    return _outgoing(data, f"{goal.goal_id}.v{goal.version}", source=source)


def checkin_due(checkin: Checkin, *, source: str) -> OutgoingEvent:
    data = CheckinDue(
        checkin_id=checkin.checkin_id,
        match_id=checkin.match_id,
        employee_id=checkin.employee_id,
        due_on=checkin.due_on,
    )
    return _outgoing(data, f"{checkin.checkin_id}.due", source=source)


def checkin_submitted(checkin: Checkin, *, source: str) -> OutgoingEvent:
    assert checkin.submitted_on is not None
    data = CheckinSubmitted(
        checkin_id=checkin.checkin_id,
        match_id=checkin.match_id,
        employee_id=checkin.employee_id,
        submitted_on=checkin.submitted_on,
    )
    return _outgoing(data, f"{checkin.checkin_id}.submitted", source=source)
