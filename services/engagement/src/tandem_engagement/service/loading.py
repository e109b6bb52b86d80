"""Loading what a command names, or refusing the command with NOT_FOUND."""

from __future__ import annotations

from tandem_common.user_errors import UserErrors, not_found
from tandem_engagement.domain.matches import Match
from tandem_engagement.service.unit_of_work import EngagementUnitOfWork


async def load_match(uow: EngagementUnitOfWork, match_id: str, *, for_update: bool = False) -> Match:
    found = (await uow.matches.get([match_id], for_update=for_update)).get(match_id)
    if found is None:
        raise UserErrors([not_found("match_id", "no such match")])
    return found
