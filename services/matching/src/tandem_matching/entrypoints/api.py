"""The internal HTTP API on port 8002 (JSON), shaped for the gateway.

- **Batch reads** for its DataLoaders: ``POST /v1/programs/batch``, ``POST
  /v1/matches/batch`` and ``POST /v1/matches/by-member`` answer many ids in one query,
  in the order asked.
- **Lists** are Relay-like pages: ``first`` (at most 100, graphql.md), ``after`` (an
  ``end_cursor`` or ``cursor`` from this API), ``{"edges": [{"cursor", "node"}],
  "page_info": {"has_next_page", "end_cursor"}}``.
- **Commands** name their viewer in ``X-Tandem-Viewer`` (an employee id) and
  ``X-Tandem-Roles`` (comma-separated), which the gateway sets from the verified token;
  without a viewer a command gets 401. A command answers 200 (201 for a new program)
  with the resource, or ``{"user_errors": [{"field", "message", "code"}]}`` with 422,
  404, 403 or 409 for ``VALIDATION``, ``NOT_FOUND``, ``FORBIDDEN`` or ``CONFLICT``
  (422 when one answer mixes codes), having changed nothing.

JSON is snake_case with the lower-case values of events.md. A route opens a unit of
work, calls a use case (and commits) or a query (and does not).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict
from typing import Annotated, Any, Literal, TypeVar

from fastapi import APIRouter, Body, Depends, Header, HTTPException, Path, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from tandem_common.events.fields import EMPLOYEE_ID_PATTERN, EmployeeId
from tandem_matching.domain.enrolment import Enrolment
from tandem_matching.domain.errors import UserError, UserErrors, not_found, validation
from tandem_matching.domain.fields import EMPLOYEE_ID
from tandem_matching.domain.matches import Match, MatchStatus
from tandem_matching.domain.policy import Viewer
from tandem_matching.domain.programs import Program, ProgramStatus
from tandem_matching.service import enrolment, matches, programs, proposals, queries
from tandem_matching.service.clock import Clock
from tandem_matching.service.unit_of_work import MatchingUnitOfWork, MatchingUnitOfWorkFactory
from tandem_matching.settings import MatchingSettings

T = TypeVar("T")

# graphql.md: lists that can grow are connections with `first` at most 100.
MAX_PAGE = 100
DEFAULT_PAGE = 20
# An id is at most 64 characters, so its cursor is at most 88.
MAX_CURSOR_CHARACTERS = 88
VIEWER_HEADER = "X-Tandem-Viewer"
ROLES_HEADER = "X-Tandem-Roles"

STATUS_OF_CODE = {"VALIDATION": 422, "NOT_FOUND": 404, "FORBIDDEN": 403, "CONFLICT": 409}

IdInPath = Annotated[str, Path(pattern=EMPLOYEE_ID_PATTERN)]
First = Annotated[int, Query(ge=1, le=MAX_PAGE)]
After = Annotated[str | None, Query(max_length=MAX_CURSOR_CHARACTERS)]


# -- JSON -------------------------------------------------------------------------------


def program_json(program: Program) -> dict[str, Any]:
    return {
        "program_id": program.program_id,
        "program_version": program.version,
        **program.settings(),
        "status": program.status,
        "created_at": program.created_at.isoformat(),
        "updated_at": program.updated_at.isoformat(),
    }


def enrolment_json(item: Enrolment) -> dict[str, Any]:
    return {
        "program_id": item.program_id,
        "employee_id": item.employee_id,
        "roles": list(item.roles),
        "status": item.status,
        "enrolled_at": item.enrolled_at.isoformat(),
        "updated_at": item.updated_at.isoformat(),
        "withdrawn_reason": item.withdrawn_reason,
    }


def _day(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def match_json(match: Match) -> dict[str, Any]:
    return {
        "match_id": match.match_id,
        "program_id": match.program_id,
        "round_id": match.round_id,
        "status": match.status,
        "members": [asdict(member) for member in match.members],
        "score": match.score,
        "explanation": [asdict(factor) for factor in match.explanation],
        "proposed_at": match.proposed_at.isoformat(),
        "expires_at": match.expires_at.isoformat(),
        "started_on": _day(match.started_on),
        "ends_on": _day(match.ends_on),
        "ended_on": _day(match.ended_on),
        "end_reason": match.end_reason,
        "end_note": match.end_note,
        "declined_by": match.declined_by,
        "at_risk": match.at_risk,
    }


def cursor_of(item_id: str) -> str:
    return base64.urlsafe_b64encode(item_id.encode()).decode()


def _after(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        after = base64.b64decode(cursor.encode(), altchars=b"-_", validate=True).decode()
    except (binascii.Error, ValueError, UnicodeDecodeError):
        after = ""
    if not EMPLOYEE_ID.match(after):
        raise UserErrors([validation("after", "is not a cursor from this API")])
    return after


def _connection(page: queries.Page[T], key: Callable[[T], str], render: Callable[[T], Any]) -> dict[str, Any]:
    return {
        "edges": [{"cursor": cursor_of(key(item)), "node": render(item)} for item in page.items],
        "page_info": {
            "has_next_page": page.next_after is not None,
            "end_cursor": cursor_of(key(page.items[-1])) if page.items else None,
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
    """FastAPI's refusals of a path, query or body, in the user errors' shape."""
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
    """The viewer the gateway verified; a command without one is refused with 401."""
    if x_tandem_viewer is None or not EMPLOYEE_ID.match(x_tandem_viewer):
        raise HTTPException(401, detail=f"a command needs its viewer: {VIEWER_HEADER} with an employee id")
    roles = [role.strip() for role in (x_tandem_roles or "").split(",") if role.strip()]
    return Viewer.of(x_tandem_viewer, roles)


ViewerDependency = Annotated[Viewer, Depends(viewer)]


# -- bodies of the reads ----------------------------------------------------------------


class BatchGet(BaseModel):
    ids: list[EmployeeId]


class ByMember(BaseModel):
    employee_ids: list[EmployeeId]
    # One status, several, or none for every status.
    status: MatchStatus | list[MatchStatus] | None = None
    program_id: EmployeeId | None = None


def matching_router(
    unit_of_work: MatchingUnitOfWorkFactory, settings: MatchingSettings, *, source: str, clock: Clock
) -> APIRouter:
    """The routes; ``source`` is this service's CloudEvents source for what they publish."""
    router = APIRouter(prefix="/v1")
    batch_limit = settings.matching_batch_read_limit

    async def command(action: Callable[[MatchingUnitOfWork], Awaitable[T]]) -> T | JSONResponse:
        try:
            async with unit_of_work() as uow:
                result = await action(uow)
                await uow.commit()
        except UserErrors as error:
            return user_errors_response(error.errors)
        return result

    async def read(action: Callable[[MatchingUnitOfWork], Awaitable[T]]) -> T | JSONResponse:
        try:
            async with unit_of_work() as uow:
                return await action(uow)
        except UserErrors as error:
            return user_errors_response(error.errors)

    def too_many(ids: Sequence[str], field: str) -> JSONResponse | None:
        if len(ids) > batch_limit:
            return user_errors_response([validation(field, f"must have at most {batch_limit} ids")])
        return None

    # -- programs ----------------------------------------------------------------------

    @router.post("/programs", status_code=201, response_model=None)
    async def create_program(
        who: ViewerDependency, body: Annotated[Any, Body()] = None
    ) -> dict[str, Any] | JSONResponse:
        async def run(uow: MatchingUnitOfWork) -> dict[str, Any]:
            created = await programs.create_program(
                uow, programs.CreateProgram(who, body), now=clock(), source=source
            )
            return program_json(created)

        return await command(run)

    @router.patch("/programs/{program_id}", response_model=None)
    async def update_program(
        program_id: IdInPath, who: ViewerDependency, body: Annotated[Any, Body()] = None
    ) -> dict[str, Any] | JSONResponse:
        async def run(uow: MatchingUnitOfWork) -> dict[str, Any]:
            after = await programs.update_program(
                uow, programs.UpdateProgram(who, program_id, body), now=clock(), source=source
            )
            return program_json(after)

        return await command(run)

    @router.post("/programs/{program_id}/status", response_model=None)
    async def set_program_status(
        program_id: IdInPath, who: ViewerDependency, body: Annotated[Any, Body()] = None
    ) -> dict[str, Any] | JSONResponse:
        status = body.get("status") if isinstance(body, dict) else None

        async def run(uow: MatchingUnitOfWork) -> dict[str, Any]:
            after = await programs.set_program_status(
                uow, programs.SetProgramStatus(who, program_id, status), now=clock(), source=source
            )
            return program_json(after)

        return await command(run)

    @router.get("/programs/{program_id}", response_model=None)
    async def get_program(program_id: IdInPath) -> dict[str, Any] | JSONResponse:
        async def run(uow: MatchingUnitOfWork) -> dict[str, Any]:
            found = (await queries.programs_by_id(uow, [program_id])).get(program_id)
            if found is None:
                raise UserErrors([not_found("program_id", "no such program")])
            return program_json(found)

        return await read(run)

    @router.post("/programs/batch", response_model=None)
    async def get_programs(request: BatchGet) -> dict[str, Any] | JSONResponse:
        refused = too_many(request.ids, "ids")
        if refused is not None:
            return refused
        async with unit_of_work() as uow:
            found = await queries.programs_by_id(uow, request.ids)
        return {
            "programs": [program_json(found[i]) for i in dict.fromkeys(request.ids) if i in found],
            "missing": [i for i in dict.fromkeys(request.ids) if i not in found],
        }

    @router.get("/programs", response_model=None)
    async def list_programs(
        first: First = DEFAULT_PAGE, after: After = None, status: ProgramStatus | None = None
    ) -> dict[str, Any] | JSONResponse:
        async def run(uow: MatchingUnitOfWork) -> dict[str, Any]:
            page = await queries.list_programs(uow, status=status, after=_after(after), limit=first)
            return _connection(page, lambda p: p.program_id, program_json)

        return await read(run)

    # -- enrolments --------------------------------------------------------------------

    @router.get("/programs/{program_id}/enrolments", response_model=None)
    async def list_enrolments(
        program_id: IdInPath,
        first: First = DEFAULT_PAGE,
        after: After = None,
        status: Literal["enrolled", "withdrawn"] | None = "enrolled",
    ) -> dict[str, Any] | JSONResponse:
        async def run(uow: MatchingUnitOfWork) -> dict[str, Any]:
            page = await queries.program_enrolments(
                uow, program_id, status=status, after=_after(after), limit=first
            )
            return _connection(page, lambda e: e.employee_id, enrolment_json)

        return await read(run)

    @router.post("/programs/{program_id}/enrolments", response_model=None)
    async def enrol(
        program_id: IdInPath, who: ViewerDependency, body: Annotated[Any, Body()] = None
    ) -> dict[str, Any] | JSONResponse:
        data = body if isinstance(body, dict) else {}
        employee_id = data.get("employee_id", who.employee_id)
        roles = data.get("roles", [])

        async def run(uow: MatchingUnitOfWork) -> dict[str, Any]:
            done = await enrolment.enrol(
                uow, enrolment.Enrol(who, program_id, employee_id, roles), now=clock()
            )
            return enrolment_json(done)

        return await command(run)

    @router.post("/programs/{program_id}/enrolments/bulk", response_model=None)
    async def enrol_in_bulk(
        program_id: IdInPath, who: ViewerDependency, body: Annotated[Any, Body()] = None
    ) -> dict[str, Any] | JSONResponse:
        items = body.get("items") if isinstance(body, dict) else None

        async def run(uow: MatchingUnitOfWork) -> dict[str, Any]:
            done = await enrolment.enrol_in_bulk(
                uow,
                enrolment.BulkEnrol(who, program_id, items),
                now=clock(),
                limit=settings.bulk_enrol_limit,
            )
            return {"enrolments": [enrolment_json(item) for item in done]}

        return await command(run)

    @router.delete("/programs/{program_id}/enrolments/{employee_id}", response_model=None)
    async def withdraw(
        program_id: IdInPath, employee_id: IdInPath, who: ViewerDependency
    ) -> dict[str, Any] | JSONResponse:
        async def run(uow: MatchingUnitOfWork) -> dict[str, Any]:
            done = await enrolment.withdraw(
                uow, enrolment.Withdraw(who, program_id, employee_id), now=clock()
            )
            return enrolment_json(done)

        return await command(run)

    # -- matches -----------------------------------------------------------------------

    @router.get("/programs/{program_id}/matches", response_model=None)
    async def list_program_matches(
        program_id: IdInPath,
        first: First = DEFAULT_PAGE,
        after: After = None,
        status: Annotated[list[MatchStatus] | None, Query()] = None,
    ) -> dict[str, Any] | JSONResponse:
        async def run(uow: MatchingUnitOfWork) -> dict[str, Any]:
            page = await queries.program_matches(
                uow, program_id, statuses=status or (), after=_after(after), limit=first
            )
            return _connection(page, lambda m: m.match_id, match_json)

        return await read(run)

    @router.get("/matches/{match_id}", response_model=None)
    async def get_match(match_id: IdInPath) -> dict[str, Any] | JSONResponse:
        async def run(uow: MatchingUnitOfWork) -> dict[str, Any]:
            found = (await queries.matches_by_id(uow, [match_id])).get(match_id)
            if found is None:
                raise UserErrors([not_found("match_id", "no such match")])
            return match_json(found)

        return await read(run)

    @router.post("/matches/batch", response_model=None)
    async def get_matches(request: BatchGet) -> dict[str, Any] | JSONResponse:
        refused = too_many(request.ids, "ids")
        if refused is not None:
            return refused
        async with unit_of_work() as uow:
            found = await queries.matches_by_id(uow, request.ids)
        return {
            "matches": [match_json(found[i]) for i in dict.fromkeys(request.ids) if i in found],
            "missing": [i for i in dict.fromkeys(request.ids) if i not in found],
        }

    @router.post("/matches/by-member", response_model=None)
    async def matches_by_member(request: ByMember) -> dict[str, Any] | JSONResponse:
        refused = too_many(request.employee_ids, "employee_ids")
        if refused is not None:
            return refused
        statuses: list[MatchStatus]
        if request.status is None:
            statuses = []
        elif isinstance(request.status, list):
            statuses = request.status
        else:
            statuses = [request.status]
        async with unit_of_work() as uow:
            found = await queries.matches_by_member(
                uow, request.employee_ids, statuses=statuses, program_id=request.program_id
            )
        return {
            "by_member": [
                {"employee_id": employee_id, "matches": [match_json(m) for m in found[employee_id]]}
                for employee_id in found
            ]
        }

    @router.post("/matches/{match_id}/response", response_model=None)
    async def respond_to_proposal(
        match_id: IdInPath, who: ViewerDependency, body: Annotated[Any, Body()] = None
    ) -> dict[str, Any] | JSONResponse:
        accept = body.get("accept") if isinstance(body, dict) else None

        async def run(uow: MatchingUnitOfWork) -> dict[str, Any]:
            after = await proposals.respond_to_proposal(
                uow, proposals.RespondToProposal(who, match_id, accept), now=clock(), source=source
            )
            return match_json(after)

        return await command(run)

    @router.post("/matches/{match_id}/end", response_model=None)
    async def end_match(
        match_id: IdInPath, who: ViewerDependency, body: Annotated[Any, Body()] = None
    ) -> dict[str, Any] | JSONResponse:
        note = body.get("reason") if isinstance(body, dict) else None
        if note is not None and not isinstance(note, str):
            return user_errors_response([validation("reason", "must be a string")])

        async def run(uow: MatchingUnitOfWork) -> dict[str, Any]:
            after = await matches.end_match(
                uow, matches.EndMatch(who, match_id, note), now=clock(), source=source
            )
            return match_json(after)

        return await command(run)

    return router
