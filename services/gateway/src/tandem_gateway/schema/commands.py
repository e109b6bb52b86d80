"""What every mutation does around its one command to the owning service.

The gateway never writes anything itself. A mutation:

1. asks the policy (``tandem_gateway.policy``) whether the viewer may do it at all.
   The gateway decides only what needs no read: the rule is asked with the facts most
   favourable to the viewer (they own the object, are a member of its match and an
   admin of its program), so what it refuses is refused whatever the object is
   (``createProgram`` without ``program_admin`` or ``admin``, ``setProgramStatus``
   without ``program_admin``). Rules that depend on the object (is the viewer this
   program's admin, this match's member?) are the owning service's: it checks them in
   the transaction that writes, with the object locked, so there is no second read
   here and no window between a check and the write;
2. decodes the global ids of its arguments; a malformed id, or an id of another type,
   is a ``VALIDATION`` user error on that argument;
3. sends one command with the viewer's headers and maps the service's user errors
   (:mod:`tandem_gateway.schema.user_errors`);
4. answers its payload: the resource the service answered, or the user errors.

A resolver says only what differs: a :class:`Command` holds the rule and the ids
decoded so far (step 2), and :meth:`Command.send` does steps 1, 3 and 4 with the
:class:`Answer` that makes the mutation's payload.

Nothing reaches a service when step 1 or 2 refuses. ``ServiceUnavailable`` (a timeout,
a 5xx) propagates: the edge masks it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from tandem_gateway.auth.viewer import Viewer
from tandem_gateway.clients.service_client import ServiceClient, ServiceUnavailable
from tandem_gateway.policy import Facts, allows
from tandem_gateway.schema.enums import UserErrorCode
from tandem_gateway.schema.nodes import InvalidGlobalId, decode_id
from tandem_gateway.schema.user_errors import (
    TOP_LEVEL,
    USER_ERROR_STATUSES,
    FieldNames,
    UserError,
    user_error,
    user_errors_from,
)

REFUSED = "you may not do this"

P = TypeVar("P")
P_co = TypeVar("P_co", covariant=True)


def best_case(viewer: Viewer) -> Facts:
    """The facts under which a rule is most likely to let ``viewer`` act."""
    me = frozenset({viewer.employee_id})
    return Facts(owner=viewer.employee_id, members=me, program_admins=me, active=True)


def refusal(rule: str, viewer: Viewer, field_path: str | None = None) -> list[UserError]:
    """A ``FORBIDDEN`` user error when ``rule`` refuses ``viewer`` whatever the object."""
    if allows(rule, viewer, best_case(viewer)):
        return []
    return [user_error(field_path, REFUSED, UserErrorCode.FORBIDDEN)]


@dataclass(slots=True)
class Ids:
    """Decodes the global ids of one mutation's arguments, collecting the refusals."""

    errors: list[UserError] = field(default_factory=list)

    def raw(self, global_id: str, type_name: str, field_path: str) -> str:
        """The service's id behind ``global_id`` ("" after a refusal, never sent)."""
        try:
            return decode_id(global_id, type_name)
        except InvalidGlobalId:
            self.errors.append(user_error(field_path, f"is not a {type_name} id", UserErrorCode.VALIDATION))
            return ""

    def optional(self, global_id: str | None, type_name: str, field_path: str) -> str | None:
        return None if global_id is None else self.raw(global_id, type_name, field_path)


class ErrorsPayload(Protocol[P_co]):
    """A payload type, made with its user errors only (its result left null)."""

    def __call__(self, *, user_errors: list[UserError]) -> P_co: ...


@dataclass(frozen=True, slots=True)
class Answer(Generic[P]):
    """How one payload type is made from what a command gave."""

    refused: ErrorsPayload[P]
    answered: Callable[[dict[str, Any]], P]


@dataclass(slots=True)
class Command:
    """One mutation on its way to the owning service: who asks, under which rule
    (``refusal_field`` is where its refusal points), and the ids decoded so far."""

    viewer: Viewer
    rule: str
    refusal_field: str | None = None
    ids: Ids = field(default_factory=Ids)

    async def send(
        self,
        answer: Answer[P],
        client: ServiceClient,
        method: str,
        path: str,
        *,
        body: Any = None,
        names: FieldNames = TOP_LEVEL,
    ) -> P:
        """The payload: the refusals of the policy or of the ids (then nothing is sent),
        or what the service answered the command. A status that is neither a success
        nor a user error (a 400, a 410) means the gateway and the service disagree: it
        is raised as ``ServiceUnavailable`` and masked at the edge."""
        refused = refusal(self.rule, self.viewer, self.refusal_field) or self.ids.errors
        if refused:
            return answer.refused(user_errors=refused)
        reply = await client.request(method, path, body=body, viewer=self.viewer)
        if reply.ok and isinstance(reply.body, dict):
            return answer.answered(reply.body)
        if reply.status in USER_ERROR_STATUSES:
            return answer.refused(user_errors=user_errors_from(reply, names))
        raise ServiceUnavailable(client.name, path, f"unexpected answer HTTP {reply.status}")
