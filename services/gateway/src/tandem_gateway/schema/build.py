"""The schema of the gateway: ``Query`` (here), ``Mutation`` and ``Subscription``.

Errors are not masked here: the edge masks what is unexpected and lets the errors of
``tandem_gateway.errors`` (``FORBIDDEN``, ``NOT_FOUND``, ``BAD_USER_INPUT``) through.
Those are answers to the client, not faults: they are not logged as errors (Strawberry
logs every error with its traceback by default).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import strawberry
from graphql import GraphQLError
from strawberry.extensions import SchemaExtension
from strawberry.types import ExecutionContext

from tandem_gateway.errors import TandemError
from tandem_gateway.schema.matches import Match
from tandem_gateway.schema.mutation import Mutation
from tandem_gateway.schema.people import Person
from tandem_gateway.schema.programs import MatchRound, Program
from tandem_gateway.schema.query import Query
from tandem_gateway.schema.subscription import Subscription

# Every type that implements Node, so that node(id:) can return it.
NODE_IMPLEMENTATIONS: tuple[type, ...] = (Person, Program, MatchRound, Match)


class GatewaySchema(strawberry.Schema):
    def process_errors(
        self, errors: list[GraphQLError], execution_context: ExecutionContext | None = None
    ) -> None:
        faults = [error for error in errors if not isinstance(error.original_error or error, TandemError)]
        if faults:
            super().process_errors(faults, execution_context)


def build_schema(
    *, extensions: Iterable[type[SchemaExtension] | Callable[[], SchemaExtension]] = ()
) -> GatewaySchema:
    return GatewaySchema(
        query=Query,
        mutation=Mutation,
        subscription=Subscription,
        types=NODE_IMPLEMENTATIONS,
        extensions=list(extensions),
    )
