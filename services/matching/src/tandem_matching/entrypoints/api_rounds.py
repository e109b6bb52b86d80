"""The internal HTTP API of match rounds (``startMatchRound`` and ``MatchRound`` of
graphql.md), in the conventions of ``entrypoints/api.py``.

- ``POST /v1/programs/{program_id}/rounds``: a program admin starts a round; 201 with
  the round (``queued``), or user errors (403 ``FORBIDDEN``, 404 ``NOT_FOUND``, 409
  ``CONFLICT`` while the program is not enrolling or running, or has a round queued or
  running).
- ``GET /v1/rounds/{round_id}``, ``POST /v1/rounds/batch {"ids"}`` (for DataLoaders,
  in the order asked, with ``missing``), ``GET /v1/programs/{program_id}/rounds``
  (a connection, oldest first).
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from fastapi import APIRouter

from tandem_matching.domain.rounds import Round
from tandem_matching.entrypoints.answers import Answer, Answers
from tandem_matching.entrypoints.api import (
    DEFAULT_PAGE,
    After,
    BatchGet,
    First,
    IdInPath,
    ViewerDependency,
    isoformat_or_none,
)
from tandem_matching.service import rounds
from tandem_matching.service.clock import Clock
from tandem_matching.service.unit_of_work import MatchingUnitOfWorkFactory
from tandem_matching.settings import MatchingSettings


def round_json(round_: Round) -> dict[str, Any]:
    return {
        "round_id": round_.round_id,
        "program_id": round_.program_id,
        "status": round_.status,
        "requested_by": round_.requested_by,
        "requested_at": round_.requested_at.isoformat(),
        "started_at": isoformat_or_none(round_.started_at),
        "finished_at": isoformat_or_none(round_.finished_at),
        "stats": asdict(round_.stats) if round_.stats is not None else None,
        "unmatched": [asdict(person) for person in round_.unmatched],
        "attempts": round_.attempts,
        "error": round_.error,
    }


def rounds_router(
    unit_of_work: MatchingUnitOfWorkFactory, settings: MatchingSettings, *, clock: Clock
) -> APIRouter:
    router = APIRouter(prefix="/v1")
    answers = Answers(unit_of_work, batch_limit=settings.matching_batch_read_limit)

    @router.post("/programs/{program_id}/rounds", status_code=201, response_model=None)
    async def start_round(program_id: IdInPath, who: ViewerDependency) -> Answer:
        command = rounds.StartRound(who, program_id)
        return await answers.command(lambda uow: rounds.start_round(uow, command, now=clock()), round_json)

    @router.get("/rounds/{round_id}", response_model=None)
    async def get_round(round_id: IdInPath) -> Answer:
        return await answers.one(
            round_id, rounds.rounds_by_id, round_json, field="round_id", missing="no such round"
        )

    @router.post("/rounds/batch", response_model=None)
    async def get_rounds(request: BatchGet) -> Answer:
        return await answers.batch(request.ids, rounds.rounds_by_id, round_json, name="rounds")

    @router.get("/programs/{program_id}/rounds", response_model=None)
    async def list_program_rounds(
        program_id: IdInPath, first: First = DEFAULT_PAGE, after: After = None
    ) -> Answer:
        return await answers.page(
            after,
            lambda uow, after_: rounds.program_rounds(uow, program_id, after=after_, limit=first),
            lambda r: r.round_id,
            round_json,
        )

    return router
