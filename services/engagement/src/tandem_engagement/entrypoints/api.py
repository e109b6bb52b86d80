"""The internal HTTP API on port 8003 (JSON), shaped for the gateway.

- **Every route names its viewer** in ``X-Tandem-Viewer`` (an employee id) and
  ``X-Tandem-Roles`` (comma-separated), which the gateway sets from the verified
  token; without one a request gets 401. Reads need the viewer too, because what they
  show depends on who asks: notes only to their writer, check-in answers only to
  their respondent (``domain/policy.py``).
- **Batch reads** for the DataLoaders take many ids and answer each, in the order
  asked, under ``by_match`` / ``by_person``; ids that do not exist are listed in
  ``missing``, ids the viewer may not see in ``forbidden``:
  ``POST /v1/sessions/by-match``, ``/v1/ledger/by-match``, ``/v1/goals/by-match``,
  ``/v1/checkins/by-match`` (``{"match_ids": [...]}``), and ``/v1/checkins/due``,
  ``/v1/ledger/by-person`` (``{"employee_ids": [...]}``).
- **Commands** answer 201 with what they created (200 for a change, or a repeated
  session), or ``{"user_errors": [{"field", "message", "code"}]}`` with 422, 404, 403
  or 409 for ``VALIDATION``, ``NOT_FOUND``, ``FORBIDDEN`` or ``CONFLICT`` (422 when one
  answer mixes codes), having changed nothing: ``POST /v1/matches/{match_id}/sessions``,
  ``POST /v1/goals``, ``POST /v1/checkins/{checkin_id}/answers``.

JSON is snake_case with the lower-case values of events.md. A route opens a unit of
work, calls a use case (and commits) or a query (and does not).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Body, Depends, Path
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from tandem_common.events.fields import EMPLOYEE_ID_PATTERN, EmployeeId, OpaqueId
from tandem_common.fields import EMPLOYEE_ID
from tandem_common.http import user_errors as http_errors
from tandem_common.http.user_errors import user_errors_response, viewer_dependency
from tandem_common.user_errors import UserErrors, validation
from tandem_engagement.domain.checkins import Checkin
from tandem_engagement.domain.goals import Goal
from tandem_engagement.domain.ledger import MatchLedger, PersonLedger, SkillCount
from tandem_engagement.domain.policy import Viewer
from tandem_engagement.domain.sessions import Session
from tandem_engagement.service import checkins, goals, queries, sessions
from tandem_engagement.service.clock import Clock
from tandem_engagement.service.unit_of_work import EngagementUnitOfWork, EngagementUnitOfWorkFactory
from tandem_engagement.settings import EngagementSettings

T = TypeVar("T")

IdInPath = Annotated[str, Path(pattern=EMPLOYEE_ID_PATTERN)]


# -- JSON -------------------------------------------------------------------------------


def session_json(session: Session) -> dict[str, Any]:
    """A session; ``notes`` is null unless the query left them (the viewer wrote them)."""
    return {
        "session_id": session.session_id,
        "match_id": session.match_id,
        "program_id": session.program_id,
        "logged_by": session.logged_by,
        "partner_id": session.partner_id,
        "held_on": session.held_on.isoformat(),
        "minutes": session.minutes,
        "mode": session.mode,
        "learning": [{"from": e.from_id, "to": e.to_id, "skill": e.skill} for e in session.learning],
        "notes": session.notes,
        "logged_at": session.logged_at.isoformat(),
    }


def _skills(counts: Sequence[SkillCount]) -> list[dict[str, Any]]:
    return [{"skill": c.skill, "count": c.count} for c in counts]


def ledger_json(ledger: MatchLedger) -> dict[str, Any]:
    return {
        "match_id": ledger.match_id,
        "entries": [
            {
                "from": e.from_id,
                "to": e.to_id,
                "skill": e.skill,
                "held_on": e.held_on.isoformat(),
                "session_id": e.session_id,
            }
            for e in ledger.entries
        ],
        "reciprocity": {
            "index": ledger.reciprocity.index,
            "given": [{"employee_id": i, "count": n} for i, n in ledger.reciprocity.given],
        },
        "directions": [
            {"from": d.from_id, "to": d.to_id, "count": d.count, "skills": _skills(d.skills)}
            for d in ledger.directions
        ],
    }


def person_ledger_json(ledger: PersonLedger) -> dict[str, Any]:
    return {
        "employee_id": ledger.employee_id,
        "taught": _skills(ledger.taught),
        "learned": _skills(ledger.learned),
        "taught_people": ledger.taught_people,
        "learned_from_people": ledger.learned_from_people,
        "programs": list(ledger.programs),
    }


def goal_json(goal: Goal) -> dict[str, Any]:
    return {
        "goal_id": goal.goal_id,
        "match_id": goal.match_id,
        "owners": list(goal.owners),
        "shared": goal.shared,
        "title": goal.title,
        "success_criteria": goal.success_criteria,
        "due_on": goal.due_on.isoformat(),
        "progress": goal.progress,
        "status": goal.status,
        "version": goal.version,
        "created_by": goal.created_by,
        "created_at": goal.created_at.isoformat(),
        "updated_at": goal.updated_at.isoformat(),
    }


def checkin_json(checkin: Checkin) -> dict[str, Any]:
    """A check-in; ``answers`` is null unless the query left them (the viewer's own)."""
    answers = checkin.answers
    return {
        "checkin_id": checkin.checkin_id,
        "match_id": checkin.match_id,
        "program_id": checkin.program_id,
        "employee_id": checkin.employee_id,
        "due_on": checkin.due_on.isoformat(),
        "status": checkin.status,
        "submitted_on": checkin.submitted_on.isoformat() if checkin.submitted_on else None,
        "answers": None
        if answers is None
        else {
            "satisfaction": answers.satisfaction,
            "career_support": answers.career_support,
            "psychosocial_support": answers.psychosocial_support,
            "role_modelling": answers.role_modelling,
            "comment": answers.comment,
        },
    }


# -- errors -----------------------------------------------------------------------------

# main.py installs it on the app: FastAPI's refusals of a path, query or body in the
# user errors' shape (never quoting the input: it may be someone's notes).
validation_error_response = http_errors.validation_error_response


# -- the viewer -------------------------------------------------------------------------

# The viewer the gateway verified; a request without one is refused with 401.
ViewerDependency = Annotated[Viewer, Depends(viewer_dependency(Viewer.of, needed_by="a request"))]


# -- batch reads ------------------------------------------------------------------------


class ByMatch(BaseModel):
    match_ids: list[OpaqueId]


class ByPerson(BaseModel):
    employee_ids: list[EmployeeId]


# A query answering many ids at once for the viewer (service/queries.py).
BatchQuery = Callable[[EngagementUnitOfWork, Viewer, list[str]], Awaitable[queries.Batch[T]]]
Answer = dict[str, Any] | JSONResponse
# What a batch read answers for the ids asked and the viewer.
IdsAnswer = Callable[[list[str], Viewer], Awaitable[Answer]]


def _taking_match_ids(answer: IdsAnswer) -> Callable[[ByMatch, Viewer], Awaitable[Answer]]:
    async def read(request: ByMatch, who: ViewerDependency) -> Answer:
        return await answer(request.match_ids, who)

    return read


def _taking_employee_ids(answer: IdsAnswer) -> Callable[[ByPerson, Viewer], Awaitable[Answer]]:
    async def read(request: ByPerson, who: ViewerDependency) -> Answer:
        return await answer(request.employee_ids, who)

    return read


class BatchReads:
    """The batch reads of a router, for the gateway's DataLoaders: each route takes many
    ids (``{"match_ids": [...]}`` or ``{"employee_ids": [...]}``, ``by`` match or person,
    at most ``batch_limit``) and answers each, in the order asked, under ``by_match`` or
    ``by_person``, with the ids that do not exist in ``missing`` and those the viewer may
    not see in ``forbidden``."""

    def __init__(
        self,
        router: APIRouter,
        unit_of_work: EngagementUnitOfWorkFactory,
        *,
        batch_limit: int,
        by: Literal["match", "person"],
    ) -> None:
        self._router = router
        self._unit_of_work = unit_of_work
        self._batch_limit = batch_limit
        self._by = by

    def add(
        self, path: str, query: BatchQuery[T], render: Callable[[T], Any], *, under: str, route: str = ""
    ) -> None:
        """``POST path``: each id's ``render``-ed answer ``under`` its name. The route is
        named ``route``, or after its query."""

        async def answer(ids: list[str], who: Viewer) -> Answer:
            return await self._answer(ids, who, query, render, under)

        taking_ids = _taking_match_ids if self._by == "match" else _taking_employee_ids
        self._router.post(path, response_model=None, name=route or query.__name__)(taking_ids(answer))

    async def _answer(
        self, ids: list[str], who: Viewer, query: BatchQuery[T], render: Callable[[T], Any], under: str
    ) -> Answer:
        field, key = ("match_ids", "match_id") if self._by == "match" else ("employee_ids", "employee_id")
        if len(ids) > self._batch_limit:
            return user_errors_response([validation(field, f"must have at most {self._batch_limit} ids")])
        async with self._unit_of_work() as uow:
            batch = await query(uow, who, ids)
        return {
            f"by_{self._by}": [{key: i, under: render(value)} for i, value in batch.found.items()],
            "missing": batch.missing,
            "forbidden": batch.forbidden,
        }


def each(render: Callable[[T], Any]) -> Callable[[Sequence[T]], list[Any]]:
    """``render`` over a list."""
    return lambda items: [render(item) for item in items]


def engagement_router(
    unit_of_work: EngagementUnitOfWorkFactory, settings: EngagementSettings, *, source: str, clock: Clock
) -> APIRouter:
    """The routes; ``source`` is this service's CloudEvents source for what they publish."""
    router = APIRouter(prefix="/v1")

    async def command(action: Callable[[EngagementUnitOfWork], Awaitable[T]]) -> T | JSONResponse:
        try:
            async with unit_of_work() as uow:
                result = await action(uow)
                await uow.commit()
        except UserErrors as error:
            return user_errors_response(error.errors)
        return result

    # -- commands ----------------------------------------------------------------------

    @router.post("/matches/{match_id}/sessions", status_code=201, response_model=None)
    async def log_session(
        match_id: IdInPath, who: ViewerDependency, body: Annotated[Any, Body()] = None
    ) -> dict[str, Any] | JSONResponse:
        async def run(uow: EngagementUnitOfWork) -> sessions.LoggedSession:
            return await sessions.log_session(
                uow, sessions.LogSession(who, match_id, body), now=clock(), source=source
            )

        done = await command(run)
        if isinstance(done, JSONResponse):
            return done
        rendered = session_json(done.session)
        return rendered if done.created else JSONResponse(status_code=200, content=rendered)

    @router.post("/goals", status_code=201, response_model=None)
    async def set_goal(
        who: ViewerDependency, body: Annotated[Any, Body()] = None
    ) -> dict[str, Any] | JSONResponse:
        if not isinstance(body, dict):
            return user_errors_response([validation("input", "must be an object")])
        fields = dict(body)
        match_id, goal_id = fields.pop("match_id", None), fields.pop("goal_id", None)
        for name, value in (("match_id", match_id), ("goal_id", goal_id)):
            if value is not None and not (isinstance(value, str) and EMPLOYEE_ID.match(value)):
                return user_errors_response([validation(name, "must be an id")])

        async def run(uow: EngagementUnitOfWork) -> goals.GoalSet:
            return await goals.set_goal(
                uow, goals.SetGoal(who, match_id, goal_id, fields), now=clock(), source=source
            )

        done = await command(run)
        if isinstance(done, JSONResponse):
            return done
        rendered = goal_json(done.goal)
        return rendered if done.created else JSONResponse(status_code=200, content=rendered)

    @router.post("/checkins/{checkin_id}/answers", response_model=None)
    async def submit_checkin(
        checkin_id: IdInPath, who: ViewerDependency, body: Annotated[Any, Body()] = None
    ) -> dict[str, Any] | JSONResponse:
        async def run(uow: EngagementUnitOfWork) -> dict[str, Any]:
            done = await checkins.submit_checkin(
                uow, checkins.SubmitCheckin(who, checkin_id, body), now=clock(), source=source
            )
            return checkin_json(done)

        return await command(run)

    # -- batch reads -------------------------------------------------------------------

    limit = settings.engagement_batch_read_limit
    matches = BatchReads(router, unit_of_work, batch_limit=limit, by="match")
    matches.add("/sessions/by-match", queries.sessions_by_match, each(session_json), under="sessions")
    matches.add("/ledger/by-match", queries.ledger_by_match, ledger_json, under="ledger")
    matches.add("/goals/by-match", queries.goals_by_match, each(goal_json), under="goals")
    matches.add("/checkins/by-match", queries.checkins_by_match, each(checkin_json), under="checkins")
    people = BatchReads(router, unit_of_work, batch_limit=limit, by="person")
    people.add("/checkins/due", queries.checkins_due, each(checkin_json), under="checkins")
    people.add("/ledger/by-person", queries.ledger_by_person, person_ledger_json, under="ledger")

    return router
