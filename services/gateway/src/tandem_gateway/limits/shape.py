"""Depth, aliases and introspection of an operation, measured on its AST alone.

Depth is the number of nested field selections: ``{ viewer { person { id } } }`` has
depth 3, a leaf field counts as one level (``__typename`` included), and inline
fragments and fragment spreads add no level (a spread counts as its fragment's
selections, at the place of the spread). Inside introspection (under ``__schema`` or
``__type``), ``ofType`` adds no level either: it only unwraps a type's list and
non-null wrappers, a chain no longer than the schema's deepest wrapping, and it lets
the standard introspection query of GraphiQL fit in the limit.

Aliases are counted as used: every field with an alias, once for each time the
selection holding it is used, so an aliased field in a fragment spread three times
counts three times.

Fragments are measured once each (memoised), so a document cannot make these walks
exponential by spreading fragments many times; a spread that closes a fragment
cycle counts as nothing here, and validation reports the cycle.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from graphql import (
    DocumentNode,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    InlineFragmentNode,
    OperationDefinitionNode,
    SelectionSetNode,
)

INTROSPECTION_FIELDS = frozenset({"__schema", "__type"})

Fragments = Mapping[str, FragmentDefinitionNode]


def fragments_of(document: DocumentNode) -> dict[str, FragmentDefinitionNode]:
    """The document's fragment definitions by name (the first of a duplicated name)."""
    fragments: dict[str, FragmentDefinitionNode] = {}
    for definition in document.definitions:
        if isinstance(definition, FragmentDefinitionNode):
            fragments.setdefault(definition.name.value, definition)
    return fragments


def operation_depth(operation: OperationDefinitionNode, fragments: Fragments) -> int:
    """The operation's depth, as the module docstring defines it."""
    return _Depth(fragments).of(operation.selection_set, introspection=False)


def alias_count(operation: OperationDefinitionNode, fragments: Fragments) -> int:
    """The aliased fields of the operation, counted as used."""
    return _Aliases(fragments).of(operation.selection_set)


def introspection_field(document: DocumentNode) -> FieldNode | None:
    """The first ``__schema``/``__type`` selection anywhere in the document, if any.

    Every definition is searched (also operations not selected and fragments), and the
    field's name is what counts, whatever its alias.
    """
    for field in _fields(document):
        if field.name.value in INTROSPECTION_FIELDS:
            return field
    return None


def _fields(document: DocumentNode) -> Iterator[FieldNode]:
    stack: list[SelectionSetNode] = [
        definition.selection_set
        for definition in document.definitions
        if isinstance(definition, OperationDefinitionNode | FragmentDefinitionNode)
    ]
    while stack:
        for selection in stack.pop().selections:
            if isinstance(selection, FieldNode):
                yield selection
            if isinstance(selection, FieldNode | InlineFragmentNode) and selection.selection_set:
                stack.append(selection.selection_set)


class _Depth:
    def __init__(self, fragments: Fragments) -> None:
        self._fragments = fragments
        self._memo: dict[tuple[str, bool], int] = {}
        self._on_path: set[str] = set()

    def of(self, selection_set: SelectionSetNode, *, introspection: bool) -> int:
        deepest = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                name = selection.name.value
                inside = introspection or name in INTROSPECTION_FIELDS
                nested = selection.selection_set
                below = self.of(nested, introspection=inside) if nested else 0
                level = below if introspection and name == "ofType" else 1 + below
            elif isinstance(selection, InlineFragmentNode):
                level = self.of(selection.selection_set, introspection=introspection)
            else:
                assert isinstance(selection, FragmentSpreadNode)
                level = self._fragment(selection.name.value, introspection)
            deepest = max(deepest, level)
        return deepest

    def _fragment(self, name: str, introspection: bool) -> int:
        key = (name, introspection)
        if key in self._memo:
            return self._memo[key]
        fragment = self._fragments.get(name)
        if fragment is None or name in self._on_path:
            return 0
        self._on_path.add(name)
        depth = self.of(fragment.selection_set, introspection=introspection)
        self._on_path.discard(name)
        self._memo[key] = depth
        return depth


class _Aliases:
    def __init__(self, fragments: Fragments) -> None:
        self._fragments = fragments
        self._memo: dict[str, int] = {}
        self._on_path: set[str] = set()

    def of(self, selection_set: SelectionSetNode) -> int:
        count = 0
        for selection in selection_set.selections:
            if isinstance(selection, FieldNode):
                count += selection.alias is not None
                if selection.selection_set:
                    count += self.of(selection.selection_set)
            elif isinstance(selection, InlineFragmentNode):
                count += self.of(selection.selection_set)
            else:
                assert isinstance(selection, FragmentSpreadNode)
                count += self._fragment(selection.name.value)
        return count

    def _fragment(self, name: str) -> int:
        if name in self._memo:
            return self._memo[name]
        fragment = self._fragments.get(name)
        if fragment is None or name in self._on_path:
            return 0
        self._on_path.add(name)
        count = self.of(fragment.selection_set)
        self._on_path.discard(name)
        self._memo[name] = count
        return count
