"""The computed cost of an operation: the most objects its response can hold.

graphql.md: "a computed cost (every connection's ``first`` multiplies the cost of
what it holds) at most 10,000". Tandem defines it as follows, before execution,
from the document, the schema and the variables:

- A field whose type is a scalar or an enum (``__typename`` too) costs 0.
- A field whose type is an object, an interface or a union costs
  ``n * (1 + cost of its selection)``: one for each object it returns, plus what each
  object holds. ``n`` is 1 for a single object and the list size for a list.
- A connection is a type whose name ends in ``Connection`` and that has an ``edges``
  field. The connection object itself costs 1; its ``edges`` (and ``nodes``) list
  holds ``first`` items, so ``first`` multiplies everything selected under them,
  while ``pageInfo`` counts once.
- The size of a list: the field's ``first`` (or ``last``) argument, from a literal or
  a variable, else the variable's default, else the argument's default in the
  schema; a connection without any of these counts the largest page, 100; a list
  without a ``first`` argument counts ``DEFAULT_LIST_SIZE`` (10) items (a list of
  lists counts 10 more per inner level).
- A connection's ``first`` counts at most ``MAX_PAGE_SIZE`` (100, graphql.md): a
  larger value is clamped here, and the resolvers refuse it with their own error, so
  no page ever holds more. A negative value counts 0.
- Fragments and inline fragments count as their selections, each time they are used;
  ``@skip``/``@include`` are ignored (the cost is an upper bound). The operation's
  cost is the sum over its root fields.
- Inside introspection, ``ofType`` costs nothing of its own (it only unwraps type
  wrappers; see ``shape.py``), so GraphiQL's introspection query costs 2,924.

Example: ``programs(first: 20) { edges { node { id } } }`` costs
``1 + 20 * (1 + 1) = 41``: the connection, 20 edges and 20 programs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from graphql import (
    FieldNode,
    FragmentSpreadNode,
    GraphQLField,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLOutputType,
    GraphQLSchema,
    InlineFragmentNode,
    IntValueNode,
    OperationDefinitionNode,
    SchemaMetaFieldDef,
    SelectionSetNode,
    TypeMetaFieldDef,
    Undefined,
    ValueNode,
    VariableNode,
    get_named_type,
    is_leaf_type,
)

from tandem_gateway.limits.shape import INTROSPECTION_FIELDS, Fragments

DEFAULT_LIST_SIZE = 10
MAX_PAGE_SIZE = 100
PAGE_FIELDS = frozenset({"edges", "nodes"})
PAGE_ARGUMENTS = ("first", "last")


def operation_cost(
    operation: OperationDefinitionNode,
    schema: GraphQLSchema,
    fragments: Fragments,
    variables: Mapping[str, Any] | None,
) -> int:
    """The operation's cost, as the module docstring defines it."""
    root = schema.get_root_type(operation.operation)
    if root is None:
        return 0
    defaults = {
        definition.variable.name.value: definition.default_value
        for definition in operation.variable_definitions or ()
        if definition.default_value is not None
    }
    return _Cost(schema, fragments, variables or {}, defaults).of(operation.selection_set, root, None, False)


def is_connection(named: GraphQLNamedType) -> bool:
    """Connections are found by shape: ``…Connection`` with an ``edges`` field."""
    return (
        isinstance(named, GraphQLObjectType | GraphQLInterfaceType)
        and named.name.endswith("Connection")
        and "edges" in named.fields
    )


class _Cost:
    def __init__(
        self,
        schema: GraphQLSchema,
        fragments: Fragments,
        variables: Mapping[str, Any],
        defaults: Mapping[str, ValueNode],
    ) -> None:
        self._schema = schema
        self._fragments = fragments
        self._variables = variables
        self._defaults = defaults
        self._memo: dict[tuple[str, int | None, bool], int] = {}
        self._on_path: set[str] = set()

    def of(
        self, selection_set: SelectionSetNode, parent: GraphQLNamedType, page: int | None, intro: bool
    ) -> int:
        """The cost of a selection set on ``parent``; ``page`` is the page size when
        ``parent`` is a connection."""
        total = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                total += self._field(selection, parent, page, intro)
            elif isinstance(selection, InlineFragmentNode):
                condition = selection.type_condition
                named = self._schema.get_type(condition.name.value) if condition else parent
                total += self.of(selection.selection_set, named or parent, page, intro)
            else:
                assert isinstance(selection, FragmentSpreadNode)
                total += self._fragment(selection.name.value, parent, page, intro)
        return total

    def _fragment(self, name: str, parent: GraphQLNamedType, page: int | None, intro: bool) -> int:
        key = (name, page, intro)
        if key in self._memo:
            return self._memo[key]
        fragment = self._fragments.get(name)
        if fragment is None or name in self._on_path:
            return 0
        self._on_path.add(name)
        named = self._schema.get_type(fragment.type_condition.name.value) or parent
        cost = self.of(fragment.selection_set, named, page, intro)
        self._on_path.discard(name)
        self._memo[key] = cost
        return cost

    def _field(self, node: FieldNode, parent: GraphQLNamedType, page: int | None, intro: bool) -> int:
        name = node.name.value
        definition = self._definition(parent, name)
        if definition is None or node.selection_set is None:
            return 0  # unknown fields are left to validation; leaves cost nothing
        named = get_named_type(definition.type)
        if is_leaf_type(named):
            return 0
        intro = intro or name in INTROSPECTION_FIELDS
        if intro and name == "ofType":
            return self.of(node.selection_set, named, None, intro)
        inner_page = self._page_size(node, definition) if is_connection(named) else None
        held = 1 + self.of(node.selection_set, named, inner_page, intro)
        levels = _list_levels(definition.type)
        if not levels:
            return held
        size = page if page is not None and name in PAGE_FIELDS else self._first(node, definition)
        outer = DEFAULT_LIST_SIZE if size is None else size
        inner_lists: int = DEFAULT_LIST_SIZE ** (levels - 1)
        return outer * inner_lists * held

    def _definition(self, parent: GraphQLNamedType, name: str) -> GraphQLField | None:
        if name in INTROSPECTION_FIELDS and parent is self._schema.query_type:
            return SchemaMetaFieldDef if name == "__schema" else TypeMetaFieldDef
        if isinstance(parent, GraphQLObjectType | GraphQLInterfaceType):
            found: GraphQLField | None = parent.fields.get(name)
            return found
        return None

    def _page_size(self, node: FieldNode, definition: GraphQLField) -> int:
        first = self._first(node, definition)
        return MAX_PAGE_SIZE if first is None else min(first, MAX_PAGE_SIZE)

    def _first(self, node: FieldNode, definition: GraphQLField) -> int | None:
        """The largest of ``first``/``last`` given (or defaulted), never negative."""
        given = {argument.name.value: argument.value for argument in node.arguments or ()}
        sizes: list[int] = []
        for name in PAGE_ARGUMENTS:
            value = self._int(given[name]) if name in given else None
            if value is None and name in definition.args:
                default = definition.args[name].default_value
                value = default if _is_int(default) else None
            if value is not None:
                sizes.append(max(value, 0))
        return max(sizes) if sizes else None

    def _int(self, value: ValueNode) -> int | None:
        if isinstance(value, VariableNode):
            name = value.name.value
            if name in self._variables:
                given = self._variables[name]
                return given if _is_int(given) else None
            default = self._defaults.get(name)
            return self._int(default) if default is not None else None
        if isinstance(value, IntValueNode):
            return int(value.value)
        return None


def _is_int(value: object) -> bool:
    return value is not Undefined and isinstance(value, int) and not isinstance(value, bool)


def _list_levels(type_: GraphQLOutputType) -> int:
    levels = 0
    current: Any = type_
    while isinstance(current, GraphQLList | GraphQLNonNull):
        levels += isinstance(current, GraphQLList)
        current = current.of_type
    return levels
