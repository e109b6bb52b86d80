"""A small Strawberry schema with the shapes the limits must handle, and its own checks.

Connections (`ProgramConnection`, `MatchConnection`, `EnrolmentConnection` with no
default `first`), plain lists (`people`, `Match.members`), a list with `first`
(`skills`), a self-nesting object (`Person.mentor`), a union, a mutation and a
subscription. Every resolver records its call, so a test can assert nothing ran.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from typing import Annotated

import strawberry
from graphql import GraphQLSchema

from tandem_gateway.limits.cost import is_connection
from tandem_gateway.settings import GatewaySettings

CALLS: list[str] = []


def _called(name: str) -> None:
    CALLS.append(name)


@strawberry.type
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Person:
    id: strawberry.ID
    display_name: str

    @strawberry.field
    def mentor(self) -> Person | None:
        _called("Person.mentor")
        return None


@strawberry.type
class Member:
    role: str
    person: Person


@strawberry.type
class Match:
    id: strawberry.ID
    members: list[Member]
    tags: list[str]


@strawberry.type
class MatchEdge:
    cursor: str
    node: Match


@strawberry.type
class MatchConnection:
    edges: list[MatchEdge]
    page_info: PageInfo


@strawberry.type
class EnrolmentEdge:
    cursor: str
    node: Person


@strawberry.type
class EnrolmentConnection:
    edges: list[EnrolmentEdge]
    page_info: PageInfo


@strawberry.type
class Program:
    id: strawberry.ID
    name: str

    @strawberry.field
    def matches(self, first: int = 20, after: str | None = None) -> MatchConnection:
        _called("Program.matches")
        return MatchConnection(edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None))

    @strawberry.field
    def enrolments(self, first: int | None = None) -> EnrolmentConnection:
        _called("Program.enrolments")
        return EnrolmentConnection(edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None))


@strawberry.type
class ProgramEdge:
    cursor: str
    node: Program


@strawberry.type
class ProgramConnection:
    edges: list[ProgramEdge]
    page_info: PageInfo


@strawberry.type
class Skill:
    id: str
    name: str


SearchResult = Annotated[Person | Program, strawberry.union("SearchResult")]


@strawberry.type
class Query:
    @strawberry.field
    def version(self) -> str:
        _called("Query.version")
        return "1"

    @strawberry.field
    def echo(self, values: list[int]) -> int:
        _called("Query.echo")
        return len(values)

    @strawberry.field
    def programs(self, first: int = 20, after: str | None = None) -> ProgramConnection:
        _called("Query.programs")
        return ProgramConnection(edges=[], page_info=PageInfo(has_next_page=False, end_cursor=None))

    @strawberry.field
    def program(self, id: strawberry.ID) -> Program | None:
        _called("Query.program")
        return None

    @strawberry.field
    def person(self, id: strawberry.ID) -> Person | None:
        _called("Query.person")
        return None

    @strawberry.field
    def people(self) -> list[Person]:
        _called("Query.people")
        return []

    @strawberry.field
    def skills(self, query: str, first: int = 10) -> list[Skill]:
        _called("Query.skills")
        return []

    @strawberry.field
    def search(self, text: str) -> list[SearchResult]:
        _called("Query.search")
        return []


@strawberry.type
class Mutation:
    @strawberry.mutation
    def rename(self, id: strawberry.ID, name: str) -> Program:
        _called("Mutation.rename")
        return Program(id=id, name=name)


@strawberry.type
class Subscription:
    @strawberry.subscription
    async def renamed(self, id: strawberry.ID) -> AsyncGenerator[Program, None]:
        _called("Subscription.renamed")
        yield Program(id=id, name="x")


SCHEMA: GraphQLSchema = strawberry.Schema(query=Query, mutation=Mutation, subscription=Subscription)._schema


def settings(**values: object) -> GatewaySettings:
    return GatewaySettings(http_port=8000, **values)


def test_connections_are_found_by_shape():
    types = SCHEMA.type_map
    assert [name for name, named in sorted(types.items()) if is_connection(named)] == [
        "EnrolmentConnection",
        "MatchConnection",
        "ProgramConnection",
    ]


def test_the_defaults_of_the_settings_are_those_of_graphql_md():
    defaults = settings()
    assert (defaults.max_depth, defaults.max_aliases, defaults.max_tokens, defaults.max_cost) == (
        10,
        15,
        2000,
        10_000,
    )
