"""The checked-in SDL (``docs/schema.graphql``) and the changes that break clients.

- ``python -m tandem_gateway.schema.sdl --write`` prints the code's schema into the file;
  ``--check`` exits 1 when the file and the code differ, or when the code breaks what
  the file promised.
- :func:`unrecorded_breaking_changes` lists graphql-core's breaking changes from the
  file's schema to the code's (a removed field, a narrowed type, a removed enum value,
  a new required argument), except those the file recorded: a field, argument or enum
  value marked ``@deprecated`` there may go, and so may a type that only deprecated
  fields lead to.
"""

from __future__ import annotations

import argparse
import re
import sys
from pathlib import Path

from graphql import (
    BreakingChange,
    BreakingChangeType,
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLObjectType,
    GraphQLSchema,
    build_schema,
    find_breaking_changes,
    get_named_type,
)
from strawberry.printer import print_schema

# services/gateway/src/tandem_gateway/schema/sdl.py -> the repository.
REPOSITORY = Path(__file__).resolve().parents[5]
SDL_PATH = REPOSITORY / "docs" / "schema.graphql"
REGENERATE = ".venv/bin/python -m tandem_gateway.schema.sdl --write"

_MEMBER = re.compile(r"^(?:Field |Enum value )?(\w+)\.(\w+) ")
_ARGUMENT = re.compile(r"^Argument (\w+)\.(\w+)\((\w+):\)")
_TYPE = re.compile(r"^(\w+) was removed\.$")

FieldsType = GraphQLObjectType | GraphQLInterfaceType | GraphQLInputObjectType


def current_sdl() -> str:
    """The SDL of the code's schema, as the file holds it (one final newline)."""
    from tandem_gateway.schema.build import build_schema as build_gateway_schema

    return print_schema(build_gateway_schema()).rstrip("\n") + "\n"


def _deprecated_member(schema: GraphQLSchema, type_name: str, member: str) -> bool:
    found = schema.get_type(type_name)
    if isinstance(found, GraphQLEnumType):
        value = found.values.get(member)
        return value is not None and value.deprecation_reason is not None
    if isinstance(found, FieldsType):
        field = found.fields.get(member)
        return field is not None and field.deprecation_reason is not None
    return False


def _deprecated_argument(schema: GraphQLSchema, type_name: str, field_name: str, argument: str) -> bool:
    found = schema.get_type(type_name)
    if not isinstance(found, GraphQLObjectType | GraphQLInterfaceType):
        return False
    field = found.fields.get(field_name)
    if field is None:
        return False
    if field.deprecation_reason is not None:
        return True
    arg = field.args.get(argument)
    return arg is not None and arg.deprecation_reason is not None


def _only_deprecated_uses(schema: GraphQLSchema, type_name: str) -> bool:
    """Whether every field and argument of ``schema`` that names ``type_name`` is deprecated."""
    roots = {t.name for t in (schema.query_type, schema.mutation_type, schema.subscription_type) if t}
    if type_name in roots:
        return False
    for named in schema.type_map.values():
        if named.name.startswith("__") or not isinstance(named, FieldsType):
            continue
        for field in named.fields.values():
            uses = [field.type, *(arg.type for arg in getattr(field, "args", {}).values())]
            if (
                any(get_named_type(use).name == type_name for use in uses)
                and field.deprecation_reason is None
            ):
                return False
    return True


def recorded(change: BreakingChange, old: GraphQLSchema) -> bool:
    """Whether the old schema recorded the deprecation that allows ``change``."""
    kind, text = change.type, change.description
    if kind in (
        BreakingChangeType.FIELD_REMOVED,
        BreakingChangeType.FIELD_CHANGED_KIND,
        BreakingChangeType.VALUE_REMOVED_FROM_ENUM,
    ):
        member = _MEMBER.match(text)
        return member is not None and _deprecated_member(old, member[1], member[2])
    if kind in (BreakingChangeType.ARG_REMOVED, BreakingChangeType.ARG_CHANGED_KIND):
        argument = _ARGUMENT.match(text)
        return argument is not None and _deprecated_argument(old, argument[1], argument[2], argument[3])
    if kind is BreakingChangeType.TYPE_REMOVED:
        removed = _TYPE.match(text)
        return removed is not None and _only_deprecated_uses(old, removed[1])
    return False


def unrecorded_breaking_changes(old_sdl: str, new_sdl: str) -> list[str]:
    """The breaking changes from ``old_sdl`` to ``new_sdl`` that ``old_sdl`` did not record."""
    old, new = build_schema(old_sdl), build_schema(new_sdl)
    return [change.description for change in find_breaking_changes(old, new) if not recorded(change, old)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="The gateway's checked-in SDL.")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--write", action="store_true", help=f"write the code's SDL to {SDL_PATH}")
    action.add_argument("--check", action="store_true", help="exit 1 when the file and the code differ")
    parser.add_argument("--path", type=Path, default=SDL_PATH)
    arguments = parser.parse_args(argv)
    sdl = current_sdl()
    if arguments.write:
        arguments.path.write_text(sdl, encoding="utf-8")
        return 0
    checked_in = arguments.path.read_text(encoding="utf-8") if arguments.path.exists() else ""
    problems = unrecorded_breaking_changes(checked_in, sdl) if checked_in else ["no checked-in SDL"]
    if checked_in != sdl:
        problems.append(f"{arguments.path} differs from the code; run: {REGENERATE}")
    for problem in problems:
        print(problem, file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    raise SystemExit(main())
