"""Relationship health on the internal API (members of the match and its program's admins).

- ``GET /v1/matches/{match_id}/health``: the match's score, band, factors, formula
  version and when it was computed; ``health`` is null while the match has none (it
  has not started). 404 for no such match, 403 for a viewer who may not see it.
- ``POST /v1/health/by-match`` (``{"match_ids": [...]}``): the batch read of the
  gateway's DataLoader, in the shape of the other batch reads.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from tandem_common.http.user_errors import user_errors_response
from tandem_common.user_errors import forbidden, not_found
from tandem_engagement.domain.health import StoredHealth
from tandem_engagement.entrypoints.api import BatchReads, IdInPath, ViewerDependency
from tandem_engagement.service.health import health_by_match
from tandem_engagement.service.unit_of_work import EngagementUnitOfWorkFactory
from tandem_engagement.settings import EngagementSettings


def health_json(stored: StoredHealth | None) -> dict[str, Any] | None:
    if stored is None:
        return None
    health = stored.health
    return {
        "match_id": health.match_id,
        "program_id": health.program_id,
        "score": health.score,
        "band": health.band,
        "factors": [{"factor": f.factor, "value": f.value, "detail": f.detail} for f in health.factors],
        "formula_version": health.formula_version,
        "computed_on": health.computed_on.isoformat(),
        "computed_at": stored.computed_at.isoformat(),
    }


def match_health_router(unit_of_work: EngagementUnitOfWorkFactory, settings: EngagementSettings) -> APIRouter:
    router = APIRouter(prefix="/v1")

    @router.get("/matches/{match_id}/health", response_model=None)
    async def match_health(match_id: IdInPath, who: ViewerDependency) -> dict[str, Any] | JSONResponse:
        async with unit_of_work() as uow:
            batch = await health_by_match(uow, who, [match_id])
        if batch.missing:
            return user_errors_response([not_found("match_id", "no such match")])
        if batch.forbidden:
            return user_errors_response(
                [
                    forbidden(
                        "match_id", "only the match's members and its program's admins can see its health"
                    )
                ]
            )
        return {"match_id": match_id, "health": health_json(batch.found[match_id])}

    matches = BatchReads(router, unit_of_work, batch_limit=settings.engagement_batch_read_limit, by="match")
    matches.add("/health/by-match", health_by_match, health_json, under="health", route="health_of_matches")

    return router
