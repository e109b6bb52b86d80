"""Checking an operation against the gateway's limits before anything runs.

``check_operation`` is pure: it reads the source, the schema, the operation name and
the variables, and executes nothing. The checks run cheapest first, so that nothing
expensive is done for a document that a cheap check refuses:

1. tokens, counted on the source before any AST is built (``tokens.py``) →
   ``TOKEN_LIMIT``;
2. parsing → ``GRAPHQL_PARSE_FAILED``;
3. selecting the operation (an unknown name, or several operations and no name) →
   ``GRAPHQL_VALIDATION_FAILED``;
4. depth (``DEPTH_LIMIT``), aliases (``ALIAS_LIMIT``), introspection
   (``INTROSPECTION_DISABLED``) and the computed cost (``COST_LIMIT``), measured on
   the AST (``shape.py``, ``cost.py``); each one that fails adds its error;
5. only when all of these passed, repetition (``repeats.py``: one response name
   selected more than ``max_field_repeats`` times in one merged selection set, which
   would make validation quadratic) and then graphql-core's ``validate``, both →
   ``GRAPHQL_VALIDATION_FAILED``. Validation is the costly step, and by then the
   document is known to be small, shallow and free of mass repetition.

The cost is computed whenever an operation could be selected (also when another
limit refused it), and is 0 when the document did not parse. Every error is a
``GraphQLError`` with ``extensions.code`` and a message that states the limit and
what was found. ``docs/graphql-limits.md`` describes the limits for clients.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from graphql import (
    DocumentNode,
    GraphQLError,
    GraphQLSchema,
    OperationDefinitionNode,
    Source,
    parse,
    validate,
)

from tandem_gateway.limits.cost import operation_cost
from tandem_gateway.limits.errors import Code, coded_error, with_code
from tandem_gateway.limits.repeats import MAX_SELECTIONS, most_repeated
from tandem_gateway.limits.shape import alias_count, fragments_of, introspection_field, operation_depth
from tandem_gateway.limits.tokens import count_tokens
from tandem_gateway.settings import GatewaySettings


@dataclass(frozen=True)
class OperationCheck:
    """The outcome of ``check_operation``: run the operation only if ``errors`` is empty."""

    document: DocumentNode | None
    cost: int
    errors: list[GraphQLError] = field(default_factory=list)
    operation_type: str | None = None  # "query", "mutation" or "subscription"
    operation_name: str | None = None

    @property
    def ok(self) -> bool:
        return not self.errors


def check_operation(
    source: str,
    schema: GraphQLSchema,
    *,
    operation_name: str | None,
    variables: Mapping[str, Any] | None,
    settings: GatewaySettings,
    introspection_allowed: bool,
) -> OperationCheck:
    """Check one operation against every limit; see the module docstring for the order."""
    document_source = Source(source, "GraphQL request")
    try:
        tokens = count_tokens(document_source, settings.max_tokens)
        if tokens > settings.max_tokens:
            message = (
                f"query has more than {settings.max_tokens} tokens (counting stopped at {tokens}),"
                f" exceeding the limit of {settings.max_tokens}"
            )
            return OperationCheck(None, 0, [coded_error(Code.TOKEN_LIMIT, message)])
        document = parse(document_source)
    except GraphQLError as error:
        return OperationCheck(None, 0, [with_code(error, Code.GRAPHQL_PARSE_FAILED)])

    operation, refusal = _select(document, operation_name)
    if operation is None:
        assert refusal is not None
        return OperationCheck(document, 0, [refusal])
    kind = operation.operation.value
    name = operation.name.value if operation.name else None
    try:
        cost, errors = _limits(operation, document, schema, variables, settings, introspection_allowed)
    except RecursionError:
        # Only fragments spreading each other hundreds of levels deep get here.
        message = f"query nests too deeply to be measured; the depth limit is {settings.max_depth}"
        return OperationCheck(document, 0, [coded_error(Code.DEPTH_LIMIT, message)], kind, name)
    if not errors:
        errors = [with_code(error, Code.GRAPHQL_VALIDATION_FAILED) for error in validate(schema, document)]
    return OperationCheck(document, cost, errors, kind, name)


def _limits(
    operation: OperationDefinitionNode,
    document: DocumentNode,
    schema: GraphQLSchema,
    variables: Mapping[str, Any] | None,
    settings: GatewaySettings,
    introspection_allowed: bool,
) -> tuple[int, list[GraphQLError]]:
    """The operation's cost, and the errors of the limits it exceeds (step 4)."""
    fragments = fragments_of(document)
    depth = operation_depth(operation, fragments)
    aliases = alias_count(operation, fragments)
    cost = operation_cost(operation, schema, fragments, variables)
    errors: list[GraphQLError] = []
    if depth > settings.max_depth:
        message = f"query depth {depth} exceeds the limit of {settings.max_depth}"
        errors.append(coded_error(Code.DEPTH_LIMIT, message, operation))
    if aliases > settings.max_aliases:
        message = f"query uses {aliases} aliases, exceeding the limit of {settings.max_aliases}"
        errors.append(coded_error(Code.ALIAS_LIMIT, message, operation))
    if not introspection_allowed and (found := introspection_field(document)) is not None:
        message = f"introspection is disabled: the query selects {found.name.value}"
        errors.append(coded_error(Code.INTROSPECTION_DISABLED, message, found))
    if cost > settings.max_cost:
        message = f"query cost {cost} exceeds the limit of {settings.max_cost}"
        errors.append(coded_error(Code.COST_LIMIT, message, operation))
    if errors:
        return cost, errors
    # What keeps validation itself cheap (repeats.py): only for a document within limits.
    repeated = most_repeated(operation, fragments, settings.max_field_repeats)
    if repeated.selections > MAX_SELECTIONS:
        message = f"query expands to more than {MAX_SELECTIONS} selections, exceeding the limit"
        errors.append(coded_error(Code.GRAPHQL_VALIDATION_FAILED, message, operation))
    elif repeated.count > settings.max_field_repeats:
        message = (
            f"query selects {repeated.name} {repeated.count} times in one selection set,"
            f" exceeding the limit of {settings.max_field_repeats}"
        )
        errors.append(coded_error(Code.GRAPHQL_VALIDATION_FAILED, message, operation))
    return cost, errors


def _select(
    document: DocumentNode, operation_name: str | None
) -> tuple[OperationDefinitionNode | None, GraphQLError | None]:
    """The operation to run, or the error saying why none can be chosen."""
    operations = [
        definition for definition in document.definitions if isinstance(definition, OperationDefinitionNode)
    ]
    if operation_name is not None:
        named = [op for op in operations if op.name is not None and op.name.value == operation_name]
        if len(named) == 1:
            return named[0], None
        problem = "is not" if not named else "is defined more than once"
        message = f"operation {operation_name!r} {problem} in the document"
    elif len(operations) == 1:
        return operations[0], None
    elif operations:
        message = f"the document holds {len(operations)} operations: an operation name must choose one"
    else:
        message = "the document holds no operation"
    return None, coded_error(Code.GRAPHQL_VALIDATION_FAILED, message)
