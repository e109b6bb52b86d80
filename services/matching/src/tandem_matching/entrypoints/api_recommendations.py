"""The internal HTTP API of self-match (``recommendations`` and ``requestMatch`` of
graphql.md), in the conventions of ``entrypoints/api.py``.

- ``GET /v1/programs/{program_id}/recommendations?employee_id=&first=``: the best
  ``first`` (1 to 100, default 10) partners of ``employee_id`` (default: the viewer),
  for that person or an admin of the program: ``{"program_id", "employee_id",
  "recommendations": [{"employee_id", "role", "score", "explanation"}], "eligible",
  "reason"}``. ``role`` is the partner's role in the pair; ``eligible`` counts every
  partner that passes the rules; ``reason`` says why the list is empty (else null).
- ``POST /v1/programs/{program_id}/match-requests {"employee_id": partner}``: the viewer
  asks for a match with that partner; 201 with the proposed match (the viewer has
  accepted it; with ``acceptance: auto`` it is already active), or user errors
  (``VALIDATION``, ``NOT_FOUND``, ``FORBIDDEN``, ``CONFLICT``), having changed nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Query

from tandem_common.events.fields import EMPLOYEE_ID_PATTERN
from tandem_matching.adapters.unit_of_work import SqlMatchingUnitOfWork
from tandem_matching.domain.programs import Program
from tandem_matching.engine.recommend import RecommendationIndex
from tandem_matching.entrypoints.answers import Answer, Answers
from tandem_matching.entrypoints.api import IdInPath, JsonBody, ViewerDependency, match_json
from tandem_matching.entrypoints.recommendation_cache import RecommendationCache
from tandem_matching.service import match_requests, recommendations
from tandem_matching.service.clock import Clock
from tandem_matching.settings import MatchingSettings

EmployeeIdInQuery = Annotated[str | None, Query(pattern=EMPLOYEE_ID_PATTERN)]


def recommendations_router(
    unit_of_work: Callable[[], SqlMatchingUnitOfWork],
    cache: RecommendationCache,
    settings: MatchingSettings,
    *,
    source: str,
    clock: Clock,
) -> APIRouter:
    """``unit_of_work`` makes this service's SQL units of work (the cache reads through one)."""
    router = APIRouter(prefix="/v1")
    answers = Answers(unit_of_work, batch_limit=settings.matching_batch_read_limit)

    async def index_of(program: Program, viewer_id: str) -> RecommendationIndex:
        return await cache.index_of(program, viewer_id, unit_of_work)

    @router.get("/programs/{program_id}/recommendations", response_model=None)
    async def get_recommendations(
        program_id: IdInPath,
        who: ViewerDependency,
        employee_id: EmployeeIdInQuery = None,
        first: Annotated[int, Query()] = 10,
    ) -> Answer:
        query = recommendations.GetRecommendations(who, program_id, employee_id or who.employee_id, first)
        return await answers.read(
            lambda uow: recommendations.recommend(uow, query, index_of=index_of),
            lambda found: {
                "program_id": found.program_id,
                "employee_id": found.employee_id,
                "recommendations": found.partners,
                "eligible": found.eligible,
                "reason": found.reason,
            },
        )

    @router.post("/programs/{program_id}/match-requests", status_code=201, response_model=None)
    async def request_match(program_id: IdInPath, who: ViewerDependency, body: JsonBody = None) -> Answer:
        data = body if isinstance(body, dict) else {}
        command = match_requests.RequestMatch(
            who, program_id, data.get("employee_id"), data.get("requester_id")
        )
        return await answers.command(
            lambda uow: match_requests.request_match(
                uow, command, now=clock(), source=source, expiry_days=settings.proposal_expiry_days
            ),
            match_json,
        )

    return router
