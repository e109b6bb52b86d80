"""Where the schema asks the authorisation matrix (``tandem_gateway.policy``).

- A guarded field is declared ``@field(rule="Type.field")``: before it resolves,
  :class:`Allowed` reads the facts of the object the field is on (``known_facts()``,
  or ``await access_facts(info)`` where they need a read) and asks
  :func:`policy.allows`. A refusal makes the field ``null``
  with an error whose ``extensions.code`` is ``FORBIDDEN``.
- Where the object itself is what is guarded (``match(id:)``, ``node(id:)``, a list of
  matches), the resolver calls :func:`require` once it has loaded the object, which
  asks the same function with the same facts.

No resolver decides access on its own; every decision is one of ``policy.RULES``.
"""

from __future__ import annotations

from typing import Any, Protocol

from strawberry.extensions.field_extension import FieldExtension
from strawberry.permission import BasePermission, PermissionExtension
from strawberry.types import Info

from tandem_gateway import policy
from tandem_gateway.context import GatewayContext
from tandem_gateway.errors import Forbidden
from tandem_gateway.policy import NOTHING, Facts


class KnownFacts(Protocol):
    """An object that carries its facts (a person, a program): checked synchronously."""

    def known_facts(self) -> Facts: ...


class LoadsFacts(Protocol):
    """An object whose facts need a read (a match's program admins, through a loader)."""

    async def access_facts(self, info: Info[GatewayContext, Any]) -> Facts: ...


async def facts_of(source: object, info: Info[GatewayContext, Any]) -> Facts:
    """The facts of ``source``; a root field (no source) has none."""
    known = getattr(source, "known_facts", None)
    if known is not None:
        facts: Facts = known()
        return facts
    loads = getattr(source, "access_facts", None)
    if loads is not None:
        loaded: Facts = await loads(info)
        return loaded
    return NOTHING


class Allowed(BasePermission):
    """The permission of one rule of the matrix, read against the facts its source
    carries (:class:`KnownFacts`). Synchronous, so that a guarded field of a person or
    a program resolves without a task of its own: a page of 100 matches has hundreds."""

    message = "You may not see this."
    error_class = Forbidden

    def __init__(self, rule: str) -> None:
        # An unknown rule is a programming error: fail when the schema is built.
        if rule not in policy.RULES:
            raise policy.UnknownRule(rule)
        self.rule = rule

    def has_permission(self, source: Any, info: Info[GatewayContext, Any], **kwargs: Any) -> bool:
        known = getattr(source, "known_facts", None)
        facts: Facts = known() if known is not None else NOTHING
        return policy.allows(self.rule, info.context.viewer, facts)


class AllowedAfterLoading(Allowed):
    """:class:`Allowed` for a source whose facts need a read (:class:`LoadsFacts`)."""

    async def has_permission(  # type: ignore[override]
        self, source: Any, info: Info[GatewayContext, Any], **kwargs: Any
    ) -> bool:
        return policy.allows(self.rule, info.context.viewer, await facts_of(source, info))


def allowed(rule: str, *, loads_facts: bool = False) -> list[FieldExtension]:
    """The extensions of a field guarded by ``rule`` ("Type.field" of ``policy.RULES``);
    ``loads_facts`` for a source whose facts need a read."""
    permission = AllowedAfterLoading(rule) if loads_facts else Allowed(rule)
    return [PermissionExtension(permissions=[permission], use_directives=False)]


def may(info: Info[GatewayContext, Any], rule: str, facts: Facts = NOTHING) -> bool:
    return policy.allows(rule, info.context.viewer, facts)


def require(info: Info[GatewayContext, Any], rule: str, facts: Facts = NOTHING) -> None:
    """Raises :class:`Forbidden` unless the viewer may ``rule`` on an object with ``facts``."""
    if not policy.allows(rule, info.context.viewer, facts):
        raise Forbidden()


async def require_on(info: Info[GatewayContext, Any], rule: str, source: object) -> None:
    """:func:`require` with the facts of an object of the schema."""
    require(info, rule, await facts_of(source, info))
