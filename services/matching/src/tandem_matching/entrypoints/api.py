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

from collections.abc import Awaitable, Callable
from dataclasses import asdict
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Body, Depends, Header, Path, Query
from pydantic import BaseModel

from tandem_common.events.fields import EMPLOYEE_ID_PATTERN, EmployeeId
from tandem_common.http import user_errors as http_errors
from tandem_common.http.user_errors import user_errors_response, viewer_dependency
from tandem_common.user_errors import validation
from tandem_matching.domain.enrolment import Enrolment, EnrolmentStatus
from tandem_matching.domain.matches import Match, MatchStatus
from tandem_matching.domain.policy import Viewer
from tandem_matching.domain.programs import Program, ProgramStatus
from tandem_matching.entrypoints.answers import Answer, Answers, body_field
from tandem_matching.service import engagement_signals, enrolment, matches, programs, proposals, queries
from tandem_matching.service.clock import Clock
from tandem_matching.service.unit_of_work import MatchingUnitOfWork, MatchingUnitOfWorkFactory
from tandem_matching.settings import MatchingSettings

T = TypeVar("T")

# graphql.md: lists that can grow are connections with `first` at most 100.
MAX_PAGE = 100
DEFAULT_PAGE = 20
# An id is at most 64 characters, so its cursor is at most 88.
MAX_CURSOR_CHARACTERS = 88

IdInPath = Annotated[str, Path(pattern=EMPLOYEE_ID_PATTERN)]
First = Annotated[int, Query(ge=1, le=MAX_PAGE)]
After = Annotated[str | None, Query(max_length=MAX_CURSOR_CHARACTERS)]
# A command's body as sent: the use case validates it, field by field.
JsonBody = Annotated[Any, Body()]


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


def isoformat_or_none(value: Any) -> str | None:
    """A date or moment as ISO 8601, or None."""
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
        "started_on": isoformat_or_none(match.started_on),
        "ends_on": isoformat_or_none(match.ends_on),
        "ended_on": isoformat_or_none(match.ended_on),
        "end_reason": match.end_reason,
        "end_note": match.end_note,
        "declined_by": match.declined_by,
        "at_risk": match.at_risk,
    }


# -- errors -----------------------------------------------------------------------------

# main.py installs it on the app: FastAPI's refusals of a path, query or body in the
# user errors' shape.
validation_error_response = http_errors.validation_error_response


# -- the viewer -------------------------------------------------------------------------

# The viewer the gateway verified; a command without one is refused with 401.
viewer = viewer_dependency(Viewer.of, needed_by="a command")
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
    answers = Answers(unit_of_work, batch_limit=settings.matching_batch_read_limit)

    async def publishing(
        use_case: Callable[..., Awaitable[T]], command: object, render: Callable[[T], Any]
    ) -> Answer:
        """A use case that publishes events: it runs at the clock's now, with this
        service's source."""
        return await answers.command(lambda uow: use_case(uow, command, now=clock(), source=source), render)

    # -- programs ----------------------------------------------------------------------

    @router.post("/programs", status_code=201, response_model=None)
    async def create_program(who: ViewerDependency, body: JsonBody = None) -> Answer:
        return await publishing(programs.create_program, programs.CreateProgram(who, body), program_json)

    @router.patch("/programs/{program_id}", response_model=None)
    async def update_program(program_id: IdInPath, who: ViewerDependency, body: JsonBody = None) -> Answer:
        return await publishing(
            programs.update_program, programs.UpdateProgram(who, program_id, body), program_json
        )

    @router.post("/programs/{program_id}/status", response_model=None)
    async def set_program_status(
        program_id: IdInPath, who: ViewerDependency, body: JsonBody = None
    ) -> Answer:
        status = body_field(body, "status")
        return await publishing(
            programs.set_program_status, programs.SetProgramStatus(who, program_id, status), program_json
        )

    @router.get("/programs/{program_id}", response_model=None)
    async def get_program(program_id: IdInPath) -> Answer:
        return await answers.one(
            program_id, queries.programs_by_id, program_json, field="program_id", missing="no such program"
        )

    @router.post("/programs/batch", response_model=None)
    async def get_programs(request: BatchGet) -> Answer:
        return await answers.batch(request.ids, queries.programs_by_id, program_json, name="programs")

    @router.get("/programs", response_model=None)
    async def list_programs(
        first: First = DEFAULT_PAGE, after: After = None, status: ProgramStatus | None = None
    ) -> Answer:
        return await answers.page(
            after,
            lambda uow, after_: queries.list_programs(uow, status=status, after=after_, limit=first),
            lambda p: p.program_id,
            program_json,
        )

    # -- enrolments --------------------------------------------------------------------

    @router.get("/programs/{program_id}/enrolments", response_model=None)
    async def list_enrolments(
        program_id: IdInPath,
        first: First = DEFAULT_PAGE,
        after: After = None,
        status: EnrolmentStatus | None = "enrolled",
    ) -> Answer:
        return await answers.page(
            after,
            lambda uow, after_: queries.program_enrolments(
                uow, program_id, status=status, after=after_, limit=first
            ),
            lambda e: e.employee_id,
            enrolment_json,
        )

    @router.post("/programs/{program_id}/enrolments", response_model=None)
    async def enrol(program_id: IdInPath, who: ViewerDependency, body: JsonBody = None) -> Answer:
        data = body if isinstance(body, dict) else {}
        command = enrolment.Enrol(
            who, program_id, data.get("employee_id", who.employee_id), data.get("roles", [])
        )
        return await publishing(enrolment.enrol, command, enrolment_json)

    @router.post("/programs/{program_id}/enrolments/bulk", response_model=None)
    async def enrol_in_bulk(program_id: IdInPath, who: ViewerDependency, body: JsonBody = None) -> Answer:
        items = body_field(body, "items")
        command = enrolment.BulkEnrol(who, program_id, items)
        return await answers.command(
            lambda uow: enrolment.enrol_in_bulk(
                uow, command, now=clock(), limit=settings.bulk_enrol_limit, source=source
            ),
            lambda done: {"enrolments": [enrolment_json(item) for item in done]},
        )

    @router.delete("/programs/{program_id}/enrolments/{employee_id}", response_model=None)
    async def withdraw(program_id: IdInPath, employee_id: IdInPath, who: ViewerDependency) -> Answer:
        command = enrolment.Withdraw(who, program_id, employee_id)
        return await publishing(enrolment.withdraw, command, enrolment_json)

    # -- matches -----------------------------------------------------------------------

    @router.get("/programs/{program_id}/matches", response_model=None)
    async def list_program_matches(
        program_id: IdInPath,
        first: First = DEFAULT_PAGE,
        after: After = None,
        status: Annotated[list[MatchStatus] | None, Query()] = None,
        at_risk: bool | None = None,
        x_tandem_viewer: Annotated[str | None, Header()] = None,
        x_tandem_roles: Annotated[str | None, Header()] = None,
    ) -> Answer:
        # The health flag is for the program's admins: filtering by it needs the viewer.
        who = viewer(x_tandem_viewer, x_tandem_roles) if at_risk is not None else None

        async def page_of(uow: MatchingUnitOfWork, after_: str | None) -> queries.Page[Match]:
            if who is not None and at_risk is not None:
                query = engagement_signals.FlaggedMatches(who, program_id, at_risk, status or ())
                return await engagement_signals.program_matches_by_flag(uow, query, after=after_, limit=first)
            return await queries.program_matches(
                uow, program_id, statuses=status or (), after=after_, limit=first
            )

        return await answers.page(after, page_of, lambda m: m.match_id, match_json)

    @router.get("/matches/{match_id}", response_model=None)
    async def get_match(match_id: IdInPath) -> Answer:
        return await answers.one(
            match_id, queries.matches_by_id, match_json, field="match_id", missing="no such match"
        )

    @router.post("/matches/batch", response_model=None)
    async def get_matches(request: BatchGet) -> Answer:
        return await answers.batch(request.ids, queries.matches_by_id, match_json, name="matches")

    @router.post("/matches/by-member", response_model=None)
    async def matches_by_member(request: ByMember) -> Answer:
        refused = answers.too_many(request.employee_ids, "employee_ids")
        if refused is not None:
            return refused
        statuses: list[MatchStatus]
        if request.status is None:
            statuses = []
        elif isinstance(request.status, list):
            statuses = request.status
        else:
            statuses = [request.status]
        return await answers.read(
            lambda uow: queries.matches_by_member(
                uow, request.employee_ids, statuses=statuses, program_id=request.program_id
            ),
            lambda found: {
                "by_member": [
                    {"employee_id": employee_id, "matches": [match_json(m) for m in found[employee_id]]}
                    for employee_id in found
                ]
            },
        )

    @router.post("/matches/{match_id}/response", response_model=None)
    async def respond_to_proposal(match_id: IdInPath, who: ViewerDependency, body: JsonBody = None) -> Answer:
        accept = body_field(body, "accept")
        return await publishing(
            proposals.respond_to_proposal, proposals.RespondToProposal(who, match_id, accept), match_json
        )

    @router.post("/matches/{match_id}/end", response_model=None)
    async def end_match(match_id: IdInPath, who: ViewerDependency, body: JsonBody = None) -> Answer:
        note = body_field(body, "reason")
        if note is not None and not isinstance(note, str):
            return user_errors_response([validation("reason", "must be a string")])
        return await publishing(matches.end_match, matches.EndMatch(who, match_id, note), match_json)

    return router
