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

Everything but the cost depends on the document's text alone (with the operation
name, the introspection switch and the limits), and clients send the same few
documents over and over: :class:`CheckedDocuments` keeps that part of the verdict
(the parsed document and its errors, validation's included) for the most recently
used texts, so that a known document costs only its cost computation.
"""

from __future__ import annotations

from collections import OrderedDict
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
from tandem_gateway.limits.shape import (
    Fragments,
    alias_count,
    fragments_of,
    introspection_field,
    operation_depth,
)
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
    shape = _check_shape(source, operation_name, settings, introspection_allowed)
    return shape.verdict(schema, variables, settings)


class CheckedDocuments:
    """``check_operation`` with the verdict on each document's text kept for the
    ``size`` most recently used texts (0 keeps none). Only the cost, which depends on
    the variables, and what follows from it are worked out on every call.

    A kept document is shared by every request that sends the same text: graphql-core
    executes a document without changing it."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._kept: OrderedDict[tuple[Any, ...], _Shape] = OrderedDict()

    def __len__(self) -> int:
        return len(self._kept)

    def __call__(
        self,
        source: str,
        schema: GraphQLSchema,
        *,
        operation_name: str | None,
        variables: Mapping[str, Any] | None,
        settings: GatewaySettings,
        introspection_allowed: bool,
    ) -> OperationCheck:
        # Everything the kept verdict depends on. The schema is in the key (by
        # identity) so that a verdict is never reused against another schema.
        key = (
            source,
            operation_name,
            introspection_allowed,
            schema,
            settings.max_tokens,
            settings.max_depth,
            settings.max_aliases,
            settings.max_field_repeats,
        )
        shape = self._kept.get(key)
        if shape is not None:
            self.hits += 1
            self._kept.move_to_end(key)
        else:
            self.misses += 1
            shape = _check_shape(source, operation_name, settings, introspection_allowed)
            # A text over the token limit is not kept: it may be long, and refusing it
            # again costs little (counting stops at the limit).
            if self.size > 0 and not shape.over_token_limit:
                self._kept[key] = shape
                if len(self._kept) > self.size:
                    self._kept.popitem(last=False)
        return shape.verdict(schema, variables, settings)


@dataclass(slots=True)
class _Shape:
    """What the text of a document decides (steps 1 to 4 but the cost, and step 5 once
    it has run): the same for every request that sends this text."""

    document: DocumentNode | None
    # Errors that end the check before the cost is computed (cost 0).
    refused: list[GraphQLError]
    operation: OperationDefinitionNode | None = None
    fragments: Fragments = field(default_factory=dict)
    # Depth, aliases and introspection: the errors of step 4 but the cost's.
    limit_errors: list[GraphQLError] = field(default_factory=list)
    over_token_limit: bool = False
    # Step 5's errors, once a request within every limit of step 4 has needed them.
    validation_errors: list[GraphQLError] | None = None

    @property
    def operation_type(self) -> str | None:
        return self.operation.operation.value if self.operation else None

    @property
    def operation_name(self) -> str | None:
        return self.operation.name.value if self.operation and self.operation.name else None

    def verdict(
        self, schema: GraphQLSchema, variables: Mapping[str, Any] | None, settings: GatewaySettings
    ) -> OperationCheck:
        kind, name = self.operation_type, self.operation_name
        if self.refused or self.operation is None:
            return OperationCheck(self.document, 0, list(self.refused), kind, name)
        try:
            cost = operation_cost(self.operation, schema, self.fragments, variables)
        except RecursionError:
            return OperationCheck(self.document, 0, [_too_deep(settings)], kind, name)
        errors = list(self.limit_errors)
        if cost > settings.max_cost:
            message = f"query cost {cost} exceeds the limit of {settings.max_cost}"
            errors.append(coded_error(Code.COST_LIMIT, message, self.operation))
        if not errors:
            if self.validation_errors is None:
                self.validation_errors = _validation_errors(self, schema, settings)
            errors = list(self.validation_errors)
        return OperationCheck(self.document, cost, errors, kind, name)


def _check_shape(
    source: str, operation_name: str | None, settings: GatewaySettings, introspection_allowed: bool
) -> _Shape:
    """Steps 1 to 4 of the module docstring, the cost left out."""
    document_source = Source(source, "GraphQL request")
    try:
        tokens = count_tokens(document_source, settings.max_tokens)
        if tokens > settings.max_tokens:
            message = (
                f"query has more than {settings.max_tokens} tokens (counting stopped at {tokens}),"
                f" exceeding the limit of {settings.max_tokens}"
            )
            return _Shape(None, [coded_error(Code.TOKEN_LIMIT, message)], over_token_limit=True)
        document = parse(document_source)
    except GraphQLError as error:
        return _Shape(None, [with_code(error, Code.GRAPHQL_PARSE_FAILED)])

    operation, refusal = _select(document, operation_name)
    if operation is None:
        assert refusal is not None
        return _Shape(document, [refusal])
    fragments = fragments_of(document)
    try:
        depth = operation_depth(operation, fragments)
        aliases = alias_count(operation, fragments)
    except RecursionError:
        # Only fragments spreading each other hundreds of levels deep get here.
        return _Shape(document, [_too_deep(settings)], operation, fragments)
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
    return _Shape(document, [], operation, fragments, errors)


def _too_deep(settings: GatewaySettings) -> GraphQLError:
    message = f"query nests too deeply to be measured; the depth limit is {settings.max_depth}"
    return coded_error(Code.DEPTH_LIMIT, message)


def _validation_errors(shape: _Shape, schema: GraphQLSchema, settings: GatewaySettings) -> list[GraphQLError]:
    """Step 5: repetition (what keeps validation itself cheap, ``repeats.py``), then
    graphql-core's validation; only for a document within every other limit."""
    assert shape.operation is not None and shape.document is not None
    operation = shape.operation
    repeated = most_repeated(operation, shape.fragments, settings.max_field_repeats)
    if repeated.selections > MAX_SELECTIONS:
        message = f"query expands to more than {MAX_SELECTIONS} selections, exceeding the limit"
        return [coded_error(Code.GRAPHQL_VALIDATION_FAILED, message, operation)]
    if repeated.count > settings.max_field_repeats:
        message = (
            f"query selects {repeated.name} {repeated.count} times in one selection set,"
            f" exceeding the limit of {settings.max_field_repeats}"
        )
        return [coded_error(Code.GRAPHQL_VALIDATION_FAILED, message, operation)]
    return [with_code(error, Code.GRAPHQL_VALIDATION_FAILED) for error in validate(schema, shape.document)]


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
