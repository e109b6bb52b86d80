"""What the HTTP and WebSocket edge needs from the rest of the gateway.

The edge knows the other parts (token verification, limits, persisted operations,
rate limiting, the schema, the event hub) only by the small shapes below, which the
composition root (``entrypoints/main.py``) fills with the real ones. So every check
of a request can run, and be tested, before anything executes.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol

import strawberry
from graphql import DocumentNode, GraphQLError, GraphQLSchema

from tandem_gateway.auth.viewer import Viewer
from tandem_gateway.clients.service_client import Services
from tandem_gateway.settings import GatewaySettings

# The viewer a bearer token stands for, or None when the token is not accepted.
Authenticate = Callable[[str], Awaitable[Viewer | None]]
# The document an operation runs: the query itself, or the one an automatic persisted
# query or the allow-list names (``extensions.persistedQuery``); a GraphQL error when
# there is none (``PERSISTED_QUERY_NOT_FOUND``, ``PERSISTED_QUERY_NOT_ALLOWED``, ...).
ResolveDocument = Callable[[str | None, Mapping[str, Any] | None], str | GraphQLError]
# Charges a viewer's budget with an operation's cost (``limits.rate_limit.CostBudget``):
# None when it may run, else the seconds until it could (``Retry-After``).
ChargeCost = Callable[[str, int], Awaitable[float | None]]
# The per-operation DataLoaders of a viewer (``schema.loaders.Loaders``).
MakeLoaders = Callable[[Services, Viewer], Any]


class CheckedOperation(Protocol):
    """The verdict of the limits on one operation (``limits.check.OperationCheck``)."""

    @property
    def document(self) -> DocumentNode | None: ...

    @property
    def cost(self) -> int: ...

    @property
    def errors(self) -> list[GraphQLError]: ...

    @property
    def operation_type(self) -> str | None: ...

    @property
    def operation_name(self) -> str | None: ...


class CheckOperation(Protocol):
    """``limits.check.check_operation``: parse, validate, depth, aliases, tokens, cost."""

    def __call__(
        self,
        source: str,
        schema: GraphQLSchema,
        *,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
        settings: GatewaySettings,
        introspection_allowed: bool,
    ) -> CheckedOperation: ...


@dataclass(frozen=True)
class Edge:
    """Everything one request (or one subscription) is checked against and run with."""

    settings: GatewaySettings
    schema: strawberry.Schema
    services: Services
    authenticate: Authenticate
    check: CheckOperation
    resolve_document: ResolveDocument
    charge: ChargeCost
    make_loaders: MakeLoaders
    # The Kafka fan-out behind subscriptions; None where the process runs none.
    hub: Any = None
    # Exceptions by which the hub ends a subscriber whose buffer overflowed
    # (``events.hub.SubscriberTooSlow``): the socket is closed with a reason.
    slow_subscriber_errors: tuple[type[BaseException], ...] = field(default=())

    @property
    def introspection_allowed(self) -> bool:
        return self.settings.embedded_default or self.settings.introspection_enabled

    @property
    def graphiql_enabled(self) -> bool:
        return self.settings.embedded_default or self.settings.graphiql_enabled
