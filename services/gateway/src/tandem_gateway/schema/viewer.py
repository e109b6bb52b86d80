"""``viewer``: who is asking, and their own matches, proposals and due check-ins.

Everything here is the viewer's own, read by their employee id, so the matrix lets
it through; the objects it reaches (a partner's person) keep their own rules.
"""

from __future__ import annotations

from typing import Any

import strawberry
from strawberry import UNSET
from strawberry.types import Info

from tandem_gateway.context import GatewayContext
from tandem_gateway.schema.engagement import CheckIn
from tandem_gateway.schema.enums import MatchStatus, Role
from tandem_gateway.schema.fields import field
from tandem_gateway.schema.matches import Match
from tandem_gateway.schema.people import Person

Context = Info[GatewayContext, Any]


@strawberry.type(name="Viewer", description="The person the request's token names.")
class ViewerType:
    employee_id: str
    roles: list[Role]

    @field(description="Null when the profiles service does not know them (yet).")
    async def person(self, info: Context) -> Person | None:
        return await info.context.loaders.profiles.load(self.employee_id)

    @field(description="The viewer's matches, of every status unless one is given.")
    async def matches(self, info: Context, status: MatchStatus | None = UNSET) -> list[Match]:
        found = await info.context.loaders.matches_by_member.load(self.employee_id)
        return [match for match in found if not status or match.status is status]

    @field(description="The viewer's matches waiting for an answer.")
    async def proposals(self, info: Context) -> list[Match]:
        return await self.matches(info, MatchStatus.PROPOSED)

    @field(description="The check-ins the viewer has to answer.")
    async def check_ins_due(self, info: Context) -> list[CheckIn]:
        found = await info.context.loaders.checkins_due.load(self.employee_id)
        return [CheckIn.from_service(item) for item in found]
