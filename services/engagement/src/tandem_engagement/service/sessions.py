"""Logging a session: validate per field, check it against the match, store it with its
ledger entries and publish ``session.logged.v1`` (without the notes).

A submission that repeats an earlier one of the same member (the same
``client_request_id``) has no second effect: it answers with the session already
logged. The same id with a different session is a conflict.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tandem_common.user_errors import UserErrors, conflict
from tandem_engagement.domain import policy
from tandem_engagement.domain.policy import Subject, Viewer
from tandem_engagement.domain.sessions import (
    Session,
    check_session,
    dating_problems,
    ledger_entries,
    partner_of,
)
from tandem_engagement.service import events
from tandem_engagement.service.loading import load_match
from tandem_engagement.service.unit_of_work import EngagementUnitOfWork


@dataclass(frozen=True, slots=True)
class LogSession:
    viewer: Viewer
    match_id: str
    # The log as the caller sent it (JSON): checked field by field here.
    body: Any


@dataclass(frozen=True, slots=True)
class LoggedSession:
    session: Session
    # False when the submission repeated one already logged.
    created: bool


async def log_session(
    uow: EngagementUnitOfWork, command: LogSession, *, now: datetime, source: str
) -> LoggedSession:
    errors, given = check_session(command.body)
    # Locked: two submissions to one match (a repeated one above all) run one after the other.
    match = await load_match(uow, command.match_id, for_update=True)
    viewer = command.viewer
    policy.require("log_session", viewer, Subject(match=match))
    if errors or given is None:
        raise UserErrors(errors)
    if given.client_request_id is not None:
        earlier = await uow.sessions.by_request(viewer.employee_id, given.client_request_id)
        if earlier is not None:
            if earlier.match_id == match.match_id and earlier.same_log(given):
                return LoggedSession(earlier, created=False)
            raise UserErrors([conflict("client_request_id", "was already used for a different session")])
    problems = dating_problems(match, given.held_on, today=now.date())
    partner, partner_problem = partner_of(match, viewer.employee_id, given.partner_id)
    if partner_problem is not None:
        problems.append(partner_problem)
    if problems or partner is None:
        raise UserErrors(problems)
    session = Session(
        session_id=uuid.uuid4().hex,
        match_id=match.match_id,
        program_id=match.program_id,
        logged_by=viewer.employee_id,
        partner_id=partner,
        held_on=given.held_on,
        minutes=given.minutes,
        mode=given.mode,
        learning=ledger_entries(viewer.employee_id, partner, given.taught, given.learned),
        notes=given.notes,
        client_request_id=given.client_request_id,
        logged_at=now,
    )
    await uow.sessions.add(session)
    await uow.publish_one(events.session_logged(session, source=source))
    return LoggedSession(session, created=True)
