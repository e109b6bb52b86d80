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
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, Header, HTTPException, Path, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from tandem_common.events.fields import EMPLOYEE_ID_PATTERN, EmployeeId, OpaqueId
from tandem_common.user_errors import UserError, UserErrors, validation
from tandem_engagement.domain.checkins import Checkin
from tandem_engagement.domain.fields import EMPLOYEE_ID
from tandem_engagement.domain.goals import Goal
from tandem_engagement.domain.ledger import MatchLedger, PersonLedger, SkillCount
from tandem_engagement.domain.policy import Viewer
from tandem_engagement.domain.sessions import Session
from tandem_engagement.service import checkins, goals, queries, sessions
from tandem_engagement.service.clock import Clock
from tandem_engagement.service.unit_of_work import EngagementUnitOfWork, EngagementUnitOfWorkFactory
from tandem_engagement.settings import EngagementSettings

T = TypeVar("T")

VIEWER_HEADER = "X-Tandem-Viewer"
STATUS_OF_CODE = {"VALIDATION": 422, "NOT_FOUND": 404, "FORBIDDEN": 403, "CONFLICT": 409}
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


def user_errors_response(errors: Sequence[UserError]) -> JSONResponse:
    codes = {error.code for error in errors}
    status = STATUS_OF_CODE[next(iter(codes))] if len(codes) == 1 else 422
    return JSONResponse(
        status_code=status,
        content={"user_errors": [{"field": e.field, "message": e.message, "code": e.code} for e in errors]},
    )


async def validation_error_response(_: Request, error: Exception) -> JSONResponse:
    """FastAPI's refusals of a path, query or body, in the user errors' shape (never
    quoting the input: it may be someone's notes)."""
    assert isinstance(error, RequestValidationError)
    found: list[UserError] = []
    for item in error.errors():
        parts = [str(part) for part in item["loc"][1:]]
        field = "body" if item.get("type") == "json_invalid" else ".".join(parts) or str(item["loc"][0])
        found.append(validation(field, str(item["msg"])))
    return user_errors_response(found)


# -- the viewer -------------------------------------------------------------------------


def viewer(
    x_tandem_viewer: Annotated[str | None, Header()] = None,
    x_tandem_roles: Annotated[str | None, Header()] = None,
) -> Viewer:
    """The viewer the gateway verified; a request without one is refused with 401."""
    if x_tandem_viewer is None or not EMPLOYEE_ID.match(x_tandem_viewer):
        raise HTTPException(401, detail=f"a request needs its viewer: {VIEWER_HEADER} with an employee id")
    roles = [role.strip() for role in (x_tandem_roles or "").split(",") if role.strip()]
    return Viewer.of(x_tandem_viewer, roles)


ViewerDependency = Annotated[Viewer, Depends(viewer)]


class ByMatch(BaseModel):
    match_ids: list[OpaqueId]


class ByPerson(BaseModel):
    employee_ids: list[EmployeeId]


def _by(kind: str, batch: queries.Batch[T], render: Callable[[T], Any], name: str) -> dict[str, Any]:
    key = "match_id" if kind == "by_match" else "employee_id"
    return {
        kind: [{key: i, name: render(value)} for i, value in batch.found.items()],
        "missing": batch.missing,
        "forbidden": batch.forbidden,
    }


def engagement_router(
    unit_of_work: EngagementUnitOfWorkFactory, settings: EngagementSettings, *, source: str, clock: Clock
) -> APIRouter:
    """The routes; ``source`` is this service's CloudEvents source for what they publish."""
    router = APIRouter(prefix="/v1")
    batch_limit = settings.engagement_batch_read_limit

    async def command(action: Callable[[EngagementUnitOfWork], Awaitable[T]]) -> T | JSONResponse:
        try:
            async with unit_of_work() as uow:
                result = await action(uow)
                await uow.commit()
        except UserErrors as error:
            return user_errors_response(error.errors)
        return result

    def too_many(ids: Sequence[str], field: str) -> JSONResponse | None:
        if len(ids) > batch_limit:
            return user_errors_response([validation(field, f"must have at most {batch_limit} ids")])
        return None

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

    @router.post("/sessions/by-match", response_model=None)
    async def sessions_by_match(request: ByMatch, who: ViewerDependency) -> dict[str, Any] | JSONResponse:
        refused = too_many(request.match_ids, "match_ids")
        if refused is not None:
            return refused
        async with unit_of_work() as uow:
            batch = await queries.sessions_by_match(uow, who, request.match_ids)
        return _by("by_match", batch, lambda found: [session_json(s) for s in found], "sessions")

    @router.post("/ledger/by-match", response_model=None)
    async def ledger_by_match(request: ByMatch, who: ViewerDependency) -> dict[str, Any] | JSONResponse:
        refused = too_many(request.match_ids, "match_ids")
        if refused is not None:
            return refused
        async with unit_of_work() as uow:
            batch = await queries.ledger_by_match(uow, who, request.match_ids)
        return _by("by_match", batch, ledger_json, "ledger")

    @router.post("/goals/by-match", response_model=None)
    async def goals_by_match(request: ByMatch, who: ViewerDependency) -> dict[str, Any] | JSONResponse:
        refused = too_many(request.match_ids, "match_ids")
        if refused is not None:
            return refused
        async with unit_of_work() as uow:
            batch = await queries.goals_by_match(uow, who, request.match_ids)
        return _by("by_match", batch, lambda found: [goal_json(g) for g in found], "goals")

    @router.post("/checkins/by-match", response_model=None)
    async def checkins_by_match(request: ByMatch, who: ViewerDependency) -> dict[str, Any] | JSONResponse:
        refused = too_many(request.match_ids, "match_ids")
        if refused is not None:
            return refused
        async with unit_of_work() as uow:
            batch = await queries.checkins_by_match(uow, who, request.match_ids)
        return _by("by_match", batch, lambda found: [checkin_json(c) for c in found], "checkins")

    @router.post("/checkins/due", response_model=None)
    async def checkins_due(request: ByPerson, who: ViewerDependency) -> dict[str, Any] | JSONResponse:
        refused = too_many(request.employee_ids, "employee_ids")
        if refused is not None:
            return refused
        async with unit_of_work() as uow:
            batch = await queries.checkins_due(uow, who, request.employee_ids)
        return _by("by_person", batch, lambda found: [checkin_json(c) for c in found], "checkins")

    @router.post("/ledger/by-person", response_model=None)
    async def ledger_by_person(request: ByPerson, who: ViewerDependency) -> dict[str, Any] | JSONResponse:
        refused = too_many(request.employee_ids, "employee_ids")
        if refused is not None:
            return refused
        async with unit_of_work() as uow:
            batch = await queries.ledger_by_person(uow, who, request.employee_ids)
        return _by("by_person", batch, person_ledger_json, "ledger")

    return router
