"""``@field(...)``: a resolver field, guarded by a rule of the matrix or not, that keeps
its method's type for mypy (``strawberry.field(...)`` with arguments returns ``Any``)."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any, TypeVar, cast

import strawberry

from tandem_gateway.schema.permissions import allowed

F = TypeVar("F", bound=Callable[..., Any])


def field(
    *,
    rule: str | None = None,
    loads_facts: bool = False,
    description: str | None = None,
    name: str | None = None,
) -> Callable[[F], F]:
    """A field resolved by the decorated method; with ``rule``, only for the viewers the
    rule lets through (``null`` and ``FORBIDDEN`` for the others). ``loads_facts`` for
    the fields of objects whose facts need a read (``access_facts``)."""

    def wrap(resolver: F) -> F:
        extensions = None
        if rule is not None:
            is_async = inspect.iscoroutinefunction(resolver)
            extensions = allowed(rule, loads_facts=loads_facts, resolver_is_async=is_async)
        made = strawberry.field(resolver, description=description, name=name, extensions=extensions)
        return cast(F, made)

    return wrap
