"""``Query``: graphql.md's read operations.

What is guarded is guarded by the policy: a match or a round reached by id is checked
(``Match.read``, ``MatchRound.read``) before it is returned, through ``match(id:)`` and
``node(id:)`` alike; a person is returned to anyone, their fields keep their rules
(the card of a departed colleague is ``FORBIDDEN`` field by field).
"""

from __future__ import annotations

import re
from typing import Any

import strawberry
from strawberry import UNSET
from strawberry.types import Info

from tandem_common.events.fields import EMPLOYEE_ID_PATTERN
from tandem_gateway.context import GatewayContext
from tandem_gateway.errors import BadInput
from tandem_gateway.schema.analytics import OrganisationAnalytics, ProgramAnalytics
from tandem_gateway.schema.connections import Connection, check_page, connection_from_service
from tandem_gateway.schema.enums import ProgramStatus, Role
from tandem_gateway.schema.fields import field
from tandem_gateway.schema.matches import Match, Recommendation
from tandem_gateway.schema.nodes import NODE_TYPES, Node, decode_id, split_id
from tandem_gateway.schema.people import Person, Skill
from tandem_gateway.schema.permissions import may, require, require_on
from tandem_gateway.schema.programs import MatchRound, Program
from tandem_gateway.schema.service_reads import expect_ok
from tandem_gateway.schema.viewer import ViewerType

Context = Info[GatewayContext, Any]
EMPLOYEE_ID = re.compile(EMPLOYEE_ID_PATTERN)
# The taxonomy's search: at most 50 skills, for a text of at most 100 characters.
MAX_SKILLS = 50
MAX_SKILL_QUERY = 100
MAX_RECOMMENDATIONS = 100


async def load_match(info: Context, raw_id: str) -> Match | None:
    match = await info.context.loaders.matches.load(raw_id)
    if match is not None:
        await require_on(info, "Match.read", match)
    return match


async def load_round(info: Context, raw_id: str) -> MatchRound | None:
    found = await info.context.loaders.rounds.load(raw_id)
    if found is not None:
        await require_on(info, "MatchRound.read", found)
    return found


@strawberry.type
class Query:
    @field(description="Any Person, Program, MatchRound or Match by its global id, under its rules.")
    async def node(self, info: Context, id: strawberry.ID) -> Node | None:
        type_name, raw_id = split_id(id)
        if type_name not in NODE_TYPES:
            raise BadInput(f"{type_name} ids are read through their match or program, not node(id:).")
        if type_name == "Person":
            return await info.context.loaders.profiles.load(raw_id)
        if type_name == "Program":
            return await info.context.loaders.programs.load(raw_id)
        if type_name == "MatchRound":
            return await load_round(info, raw_id)
        return await load_match(info, raw_id)

    @field()
    def viewer(self, info: Context) -> ViewerType:
        who = info.context.viewer
        return ViewerType(employee_id=who.employee_id, roles=[Role(role.value) for role in sorted(who.roles)])

    @field(description="An employee by id; null if there is none (or they were erased).")
    async def person(self, info: Context, employee_id: str) -> Person | None:
        if not EMPLOYEE_ID.fullmatch(employee_id):
            raise BadInput("`employeeId` is not an employee id.", field="employeeId")
        return await info.context.loaders.profiles.load(employee_id)

    @field(description="Skills of the taxonomy matching a text (names and synonyms).")
    async def skills(self, info: Context, query: str, first: int | None = 10) -> list[Skill]:
        size, _ = check_page(first, None, default=10, most=MAX_SKILLS)
        text = query.strip()
        if not text or len(text) > MAX_SKILL_QUERY or not text.isprintable():
            raise BadInput(f"`query` must be 1 to {MAX_SKILL_QUERY} printable characters.", field="query")
        answer = await info.context.services.profiles.get("/v1/skills", params={"q": text, "limit": size})
        body = expect_ok(answer, "profiles", "/v1/skills")
        return [Skill.from_service(item) for item in body.get("items") or ()]

    @field(description="Every program (what each is: anyone may read it).")
    async def programs(
        self,
        info: Context,
        first: int | None = 20,
        after: str | None = UNSET,
        status: ProgramStatus | None = UNSET,
    ) -> Connection[Program]:
        size, cursor = check_page(first, after, default=20)
        params = {"first": size, "after": cursor, "status": status.value if status else None}
        answer = await info.context.services.matching.get("/v1/programs", params=params)
        page = connection_from_service(expect_ok(answer, "matching", "/v1/programs"), Program.from_service)
        for edge in page.edges:
            info.context.loaders.programs.prime(edge.node.raw_id, edge.node)
        return page

    @field()
    async def program(self, info: Context, id: strawberry.ID) -> Program | None:
        return await info.context.loaders.programs.load(decode_id(id, "Program"))

    @field(description="A match of the viewer's, or of a program they administer.")
    async def match(self, info: Context, id: strawberry.ID) -> Match | None:
        return await load_match(info, decode_id(id, "Match"))

    @field(description="Ranked partners for the viewer in a program, under its hard rules.")
    async def recommendations(
        self, info: Context, program_id: strawberry.ID, first: int | None = 10
    ) -> list[Recommendation]:
        raw_id = decode_id(program_id, "Program")
        size, _ = check_page(first, None, default=10, most=MAX_RECOMMENDATIONS)
        require(info, "Query.recommendations")
        path = f"/v1/programs/{raw_id}/recommendations"
        answer = await info.context.services.matching.get(
            path, params={"first": size}, viewer=info.context.viewer
        )
        body = expect_ok(answer, "matching", path)
        return [Recommendation.from_service(item) for item in body.get("recommendations") or ()]

    @field(description="Aggregates over every program (HR analysts and admins).")
    async def organisation_analytics(self, info: Context) -> OrganisationAnalytics:
        if not may(info, "Query.organisationAnalytics"):
            # Its fields say FORBIDDEN one by one; nothing is read.
            return OrganisationAnalytics(_figures=None)
        answer = await info.context.services.engagement.get("/v1/analytics", viewer=info.context.viewer)
        figures = ProgramAnalytics.from_service(expect_ok(answer, "engagement", "/v1/analytics"))
        return OrganisationAnalytics(_figures=figures)
