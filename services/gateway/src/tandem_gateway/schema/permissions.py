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

from collections.abc import Awaitable
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
    """An object whose facts need a read (a match's program admins, through a loader),
    unless whoever read it had them at hand (``facts_at_hand()``, else None)."""

    async def access_facts(self, info: Info[GatewayContext, Any]) -> Facts: ...

    def facts_at_hand(self) -> Facts | None: ...


def facts_known(source: object) -> Facts | None:
    """The facts of ``source`` where they need no read: its own (``known_facts()``), or
    the ones it was given (``facts_at_hand()``); None where they need a read."""
    known = getattr(source, "known_facts", None)
    if known is not None:
        facts: Facts = known()
        return facts
    at_hand = getattr(source, "facts_at_hand", None)
    if at_hand is not None:
        given: Facts | None = at_hand()
        return given
    return None


async def facts_of(source: object, info: Info[GatewayContext, Any]) -> Facts:
    """The facts of ``source``; a root field (no source) has none."""
    known = facts_known(source)
    if known is not None:
        return known
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


class AllowedAtHandOrAfterLoading(Allowed):
    """:class:`AllowedAfterLoading` decided at once where the source has its facts at
    hand (a match of a page read under its program: no coroutine, no read per match).
    Only for fields with an ``async`` resolver: Strawberry then awaits the permission
    where it is an awaitable (on a synchronous field it refuses one)."""

    def has_permission(  # type: ignore[override]
        self, source: Any, info: Info[GatewayContext, Any], **kwargs: Any
    ) -> bool | Awaitable[bool]:
        facts = facts_known(source)
        if facts is not None:
            return policy.allows(self.rule, info.context.viewer, facts)
        return self._after_loading(source, info)

    async def _after_loading(self, source: Any, info: Info[GatewayContext, Any]) -> bool:
        return policy.allows(self.rule, info.context.viewer, await facts_of(source, info))


def allowed(rule: str, *, loads_facts: bool = False, resolver_is_async: bool = False) -> list[FieldExtension]:
    """The extensions of a field guarded by ``rule`` ("Type.field" of ``policy.RULES``);
    ``loads_facts`` for a source whose facts need a read, ``resolver_is_async`` for a
    field whose resolver is a coroutine function."""
    permission: Allowed = Allowed(rule)
    if loads_facts:
        permission = AllowedAtHandOrAfterLoading(rule) if resolver_is_async else AllowedAfterLoading(rule)
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
