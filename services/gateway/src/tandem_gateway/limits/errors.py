"""The error codes of the gateway's limits, and the one way such an error is made.

Every refusal is a ``GraphQLError`` whose ``extensions.code`` is one of these strings
(graphql.md names the limit codes; the persisted-operation codes follow the names
Apollo clients know).
"""

from __future__ import annotations

from collections.abc import Collection
from enum import StrEnum

from graphql import GraphQLError, Node


class Code(StrEnum):
    TOKEN_LIMIT = "TOKEN_LIMIT"
    DEPTH_LIMIT = "DEPTH_LIMIT"
    ALIAS_LIMIT = "ALIAS_LIMIT"
    COST_LIMIT = "COST_LIMIT"
    INTROSPECTION_DISABLED = "INTROSPECTION_DISABLED"
    GRAPHQL_PARSE_FAILED = "GRAPHQL_PARSE_FAILED"
    GRAPHQL_VALIDATION_FAILED = "GRAPHQL_VALIDATION_FAILED"
    PERSISTED_QUERY_NOT_FOUND = "PERSISTED_QUERY_NOT_FOUND"
    PERSISTED_QUERY_HASH_MISMATCH = "PERSISTED_QUERY_HASH_MISMATCH"
    PERSISTED_QUERY_NOT_ALLOWED = "PERSISTED_QUERY_NOT_ALLOWED"
    PERSISTED_QUERY_INVALID = "PERSISTED_QUERY_INVALID"
    BAD_REQUEST = "BAD_REQUEST"


def coded_error(code: Code, message: str, nodes: Collection[Node] | Node | None = None) -> GraphQLError:
    """A refusal: the message states the limit and what was found."""
    return GraphQLError(message, nodes=nodes, extensions={"code": code.value})


def with_code(error: GraphQLError, code: Code) -> GraphQLError:
    """The same error (message, locations, path) carrying ``extensions.code``."""
    return GraphQLError(
        error.message,
        nodes=error.nodes,
        source=error.source,
        positions=error.positions,
        path=error.path,
        original_error=error.original_error,
        extensions={**(error.extensions or {}), "code": code.value},
    )
