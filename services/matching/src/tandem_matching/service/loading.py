"""Loading an aggregate a command names, or refusing the command with NOT_FOUND."""

from __future__ import annotations

from tandem_common.user_errors import UserErrors, not_found
from tandem_matching.domain.matches import Match
from tandem_matching.domain.programs import Program
from tandem_matching.service.unit_of_work import MatchingUnitOfWork


async def load_program(
    uow: MatchingUnitOfWork, program_id: str, *, for_update: bool = False, field: str = "program_id"
) -> Program:
    found = (await uow.programs.get([program_id], for_update=for_update)).get(program_id)
    if found is None:
        raise UserErrors([not_found(field, "no such program")])
    return found


async def load_match(uow: MatchingUnitOfWork, match_id: str, *, for_update: bool = False) -> Match:
    found = (await uow.matches.get([match_id], for_update=for_update)).get(match_id)
    if found is None:
        raise UserErrors([not_found("match_id", "no such match")])
    return found
