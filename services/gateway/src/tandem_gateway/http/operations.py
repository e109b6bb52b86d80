"""One GraphQL operation: read it, check it, run it (over HTTP and WebSocket alike).

Checking (``prepare``) never calls a service: the persisted-operation lookup, parsing,
validation and the limits (tokens, depth, aliases, introspection, cost) all run on the
document alone. Only a document that passed every check reaches ``execute``, which
runs the already parsed and validated document with graphql-core directly, so that
nothing is parsed or validated twice.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from typing import Any, cast

from graphql import DocumentNode, ExecutionResult, GraphQLError, GraphQLSchema
from graphql import execute as graphql_execute
from graphql import subscribe as graphql_subscribe
from strawberry.execution import optimized_is_awaitable

from tandem_gateway.auth.viewer import Viewer
from tandem_gateway.context import GatewayContext
from tandem_gateway.http.edge import Edge
from tandem_gateway.http.masking import refusal, without_suggestions


@dataclass(frozen=True, slots=True)
class OperationRequest:
    """The ``query``, ``variables``, ``operationName`` and ``extensions`` of one operation."""

    query: str | None
    variables: dict[str, Any] | None = None
    operation_name: str | None = None
    extensions: dict[str, Any] | None = None

    @classmethod
    def from_json(cls, raw: Any) -> OperationRequest | GraphQLError:
        """The operation in a decoded JSON body (or message payload), or why it is not one."""
        if not isinstance(raw, dict):
            return refusal("An operation is a JSON object with a `query`.", "BAD_REQUEST")
        query = raw.get("query")
        variables = raw.get("variables")
        operation_name = raw.get("operationName")
        extensions = raw.get("extensions")
        if query is not None and not isinstance(query, str):
            return refusal("`query` must be a string.", "BAD_REQUEST")
        if variables is not None and not isinstance(variables, dict):
            return refusal("`variables` must be an object.", "BAD_REQUEST")
        if operation_name is not None and not isinstance(operation_name, str):
            return refusal("`operationName` must be a string.", "BAD_REQUEST")
        if extensions is not None and not isinstance(extensions, dict):
            return refusal("`extensions` must be an object.", "BAD_REQUEST")
        return cls(query, variables, operation_name or None, extensions)


@dataclass(slots=True)
class Prepared:
    """An operation after every check: runnable when ``errors`` is empty."""

    request: OperationRequest
    document: DocumentNode | None = None
    cost: int = 0
    errors: list[GraphQLError] = field(default_factory=list)
    operation_type: str | None = None
    operation_name: str | None = None

    @property
    def runnable(self) -> bool:
        return not self.errors and self.document is not None

    @property
    def span_name(self) -> str:
        """``query Dashboard``, ``mutation`` (anonymous), ``graphql`` (not even parsed)."""
        if self.operation_type is None:
            return "graphql"
        return f"{self.operation_type} {self.operation_name}" if self.operation_name else self.operation_type


def graphql_schema(edge: Edge) -> GraphQLSchema:
    # Strawberry keeps the graphql-core schema it builds here; the limits and the
    # executor both work on it.
    schema: GraphQLSchema = edge.schema._schema
    return schema


def prepare(edge: Edge, request: OperationRequest) -> Prepared:
    """Every check of one operation, in order; nothing here calls a service."""
    source = edge.resolve_document(request.query, request.extensions)
    if isinstance(source, GraphQLError):
        return Prepared(request, errors=[source], operation_name=request.operation_name)
    checked = edge.check(
        source,
        graphql_schema(edge),
        operation_name=request.operation_name,
        variables=request.variables,
        settings=edge.settings,
        introspection_allowed=edge.introspection_allowed,
    )
    errors = list(checked.errors)
    if not edge.introspection_allowed:
        errors = [without_suggestions(error) for error in errors]
    if checked.document is None and not errors:
        errors.append(refusal("The operation could not be read.", "GRAPHQL_PARSE_FAILED"))
    return Prepared(
        request,
        document=checked.document,
        cost=checked.cost,
        errors=errors,
        operation_type=checked.operation_type,
        operation_name=checked.operation_name or request.operation_name,
    )


def new_context(edge: Edge, viewer: Viewer, **extras: Any) -> GatewayContext:
    """A fresh context per operation: its DataLoaders serve this operation only."""
    return GatewayContext(
        viewer=viewer,
        services=edge.services,
        settings=edge.settings,
        loaders=edge.make_loaders(edge.services, viewer),
        hub=edge.hub,
        extras=dict(extras),
    )


async def execute(edge: Edge, prepared: Prepared, context: GatewayContext) -> ExecutionResult:
    """Runs a query or mutation that passed ``prepare``."""
    assert prepared.document is not None
    outcome = graphql_execute(
        graphql_schema(edge),
        prepared.document,
        context_value=context,
        variable_values=prepared.request.variables,
        operation_name=prepared.request.operation_name,
        executor_class=edge.schema.execution_context_class,
        # Strawberry's quicker check of what a resolver returned.
        is_awaitable=cast(Any, optimized_is_awaitable),
        hide_suggestions=not edge.introspection_allowed,
        operation_extensions=None,
    )
    if inspect.isawaitable(outcome):
        return await outcome
    return outcome


async def subscribe(
    edge: Edge, prepared: Prepared, context: GatewayContext
) -> AsyncIterator[ExecutionResult] | ExecutionResult:
    """Starts a subscription that passed ``prepare``: its events, or why it could not start."""
    assert prepared.document is not None
    outcome = graphql_subscribe(
        graphql_schema(edge),
        prepared.document,
        context_value=context,
        variable_values=prepared.request.variables,
        operation_name=prepared.request.operation_name,
        executor_class=edge.schema.execution_context_class,
        hide_suggestions=not edge.introspection_allowed,
        operation_extensions=None,
    )
    if inspect.isawaitable(outcome):
        return await outcome
    return outcome


def response_extensions(cost: int, trace_id: str) -> Mapping[str, Any]:
    return {"cost": cost, "traceId": trace_id}
