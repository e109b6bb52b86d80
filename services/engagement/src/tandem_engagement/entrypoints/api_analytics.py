"""The analytics routes of the internal API (the viewer headers as in ``api.py``):

- ``GET /v1/programs/{program_id}/analytics``: one program's aggregates (its admins,
  hr analysts, admins); ``GET /v1/analytics``: every program's (hr analysts, admins);
- ``GET /v1/outcomes?program_id=``: the outcome analysis of one program or, without
  ``program_id``, of the organisation (computed in a thread, cached briefly);
- ``GET /v1/people/{employee_id}/export?format=json|csv``: a person's engagement for a
  performance review (the person or an admin).

Refusals have the user errors' shape of ``api.py``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, Response

from tandem_common.events.fields import EMPLOYEE_ID_PATTERN
from tandem_common.http.user_errors import user_errors_response
from tandem_common.user_errors import UserErrors
from tandem_engagement.entrypoints.api import IdInPath, ViewerDependency
from tandem_engagement.service import analytics, exports
from tandem_engagement.service.outcomes_runner import OutcomesRunner
from tandem_engagement.service.unit_of_work import EngagementUnitOfWorkFactory


def analytics_router(unit_of_work: EngagementUnitOfWorkFactory, outcomes: OutcomesRunner) -> APIRouter:
    router = APIRouter(prefix="/v1")

    @router.get("/programs/{program_id}/analytics", response_model=None)
    async def program_analytics(program_id: IdInPath, who: ViewerDependency) -> dict[str, Any] | JSONResponse:
        try:
            async with unit_of_work() as uow:
                return await analytics.program_analytics(uow, who, program_id)
        except UserErrors as error:
            return user_errors_response(error.errors)

    @router.get("/analytics", response_model=None)
    async def organisation_analytics(who: ViewerDependency) -> dict[str, Any] | JSONResponse:
        try:
            async with unit_of_work() as uow:
                return await analytics.organisation_analytics(uow, who)
        except UserErrors as error:
            return user_errors_response(error.errors)

    @router.get("/outcomes", response_model=None)
    async def outcome_analytics(
        who: ViewerDependency,
        program_id: Annotated[str | None, Query(pattern=EMPLOYEE_ID_PATTERN)] = None,
    ) -> dict[str, Any] | JSONResponse:
        try:
            return await outcomes.outcomes(who, program_id)
        except UserErrors as error:
            return user_errors_response(error.errors)

    @router.get("/people/{employee_id}/export", response_model=None)
    async def person_export(
        employee_id: IdInPath,
        who: ViewerDependency,
        format: Literal["json", "csv"] = "json",
    ) -> dict[str, Any] | Response:
        try:
            async with unit_of_work() as uow:
                export = await exports.person_export(uow, who, employee_id)
        except UserErrors as error:
            return user_errors_response(error.errors)
        if format == "json":
            return exports.export_json(export)
        return Response(
            exports.export_csv(export),
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="engagement-{employee_id}.csv"'},
        )

    return router
