"""``Subscription``: graphql.md's ``matchEvents`` and ``healthAlerts``, fed by the event hub.

Each subscription takes the events it could want from the process's hub
(:class:`tandem_gateway.events.hub.EventHub`), then for each one, in this order:

1. checks the viewer's token again: once it has expired the subscription ends with
   an ``UNAUTHENTICATED`` error;
2. asks the authorisation matrix (``Subscription.matchEvents`` /
   ``Subscription.healthAlerts`` of :mod:`tandem_gateway.policy`) with the match's
   members (from the event) and its program's admins (from the matching service,
   kept briefly per subscription): an event the viewer may not see is skipped;
3. reads the match afresh from the matching service and delivers it, with fresh
   DataLoaders for the fields the client selects under it, so that a long
   subscription neither serves stale data nor grows a cache.

Refusals at subscribe time (a bad id, a program the viewer does not administer for
``healthAlerts``) are errors before any event, as ``graphql-transport-ws`` expects.
A subscriber that falls ``subscriber_buffer_events`` behind ends with the hub's
``SubscriberTooSlow`` as the error's original error; the edge closes its socket.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Mapping
from typing import Annotated, Any

import strawberry
from strawberry.types import Info

from tandem_common.envelope import format_time
from tandem_common.events.engagement import HealthChanged
from tandem_common.events.matching import MatchDeclined, MatchEnded, MatchProposed, MatchStarted
from tandem_gateway.context import GatewayContext
from tandem_gateway.errors import Forbidden
from tandem_gateway.events.hub import EventHub, HubEvent
from tandem_gateway.policy import Facts, allows
from tandem_gateway.schema.enums import MatchEventType
from tandem_gateway.schema.loaders import Loaders
from tandem_gateway.schema.matches import Match, MatchHealth
from tandem_gateway.schema.nodes import decode_id
from tandem_gateway.schema.subscription_reads import (
    ProgramAdmins,
    SubscriptionsUnavailable,
    check_token,
    fresh_match,
    members_of,
)

Context = Info[GatewayContext, None]
MatchRef = Annotated["Match", strawberry.lazy("tandem_gateway.schema.matches")]
MatchHealthRef = Annotated["MatchHealth", strawberry.lazy("tandem_gateway.schema.matches")]
MATCH_RULE = "Subscription.matchEvents"
HEALTH_RULE = "Subscription.healthAlerts"

MATCH_EVENT_TYPES: Mapping[str, MatchEventType] = {
    MatchProposed.ce_type: MatchEventType.PROPOSED,
    MatchStarted.ce_type: MatchEventType.STARTED,
    MatchDeclined.ce_type: MatchEventType.DECLINED,
    MatchEnded.ce_type: MatchEventType.ENDED,
}


@strawberry.type(description="A proposal, start, decline or end of a match the viewer may see.")
class MatchEvent:
    type: MatchEventType
    match: MatchRef
    occurred_at: str = strawberry.field(description="When it happened (ISO 8601).")


@strawberry.type(description="A change of a match's health band, for its program's admins.")
class HealthAlert:
    match: MatchRef
    health: MatchHealthRef


def hub_of(context: GatewayContext) -> EventHub:
    if context.hub is None:
        raise SubscriptionsUnavailable()
    return context.hub


def fresh_loaders(context: GatewayContext) -> None:
    """New DataLoaders for what the client selects under the next delivered event."""
    context.loaders = Loaders(context.services, context.viewer)


def build_match(data: dict[str, Any]) -> Match:
    return Match.from_service(data)


def build_health(event: HealthChanged) -> MatchHealth:
    """The health as the engagement service's health read answers it, from the event."""
    return MatchHealth.from_service(
        {
            "match_id": event.match_id,
            "program_id": event.program_id,
            "score": event.score,
            "band": event.band,
            "factors": [factor.model_dump() for factor in event.factors],
            "computed_on": event.computed_at.date().isoformat(),
            "computed_at": event.computed_at.isoformat(),
        }
    )


async def allowed(
    context: GatewayContext, rule: str, admins: ProgramAdmins, program_id: str, members: frozenset[str]
) -> bool:
    """The matrix's answer; the program's admins are read only when they could matter.

    A rule never grants less for more admins, so one that passes without them passes.
    """
    if allows(rule, context.viewer, Facts(members=members)):
        return True
    return allows(rule, context.viewer, Facts(members=members, program_admins=await admins.of(program_id)))


async def match_event(context: GatewayContext, admins: ProgramAdmins, event: HubEvent) -> MatchEvent | None:
    """What the viewer gets for ``event``, or None when they may not see it."""
    data: Any = event.data
    members = frozenset(member.employee_id for member in getattr(data, "members", ()))
    # A decline names no members: they are read with the match.
    if members and not await allowed(context, MATCH_RULE, admins, data.program_id, members):
        return None
    match = await fresh_match(context.services, data.match_id)
    if match is None:
        return None
    if not members and not await allowed(context, MATCH_RULE, admins, data.program_id, members_of(match)):
        return None
    fresh_loaders(context)
    return MatchEvent(
        type=MATCH_EVENT_TYPES[event.type], match=build_match(match), occurred_at=format_time(event.time)
    )


async def match_event_stream(
    context: GatewayContext, hub: EventHub, program_id: str | None
) -> AsyncGenerator[MatchEvent, None]:
    admins = ProgramAdmins(context.services)

    def accept(event: HubEvent) -> bool:
        if event.type not in MATCH_EVENT_TYPES:
            return False
        return program_id is None or getattr(event.data, "program_id", None) == program_id

    async with hub.subscribe(accept) as events:
        async for event in events:
            check_token(context.viewer)
            delivered = await match_event(context, admins, event)
            if delivered is not None:
                yield delivered


async def health_alert_stream(
    context: GatewayContext, hub: EventHub, admins: ProgramAdmins, program_id: str
) -> AsyncGenerator[HealthAlert, None]:
    def accept(event: HubEvent) -> bool:
        return event.type == HealthChanged.ce_type and getattr(event.data, "program_id", None) == program_id

    async with hub.subscribe(accept) as events:
        async for event in events:
            check_token(context.viewer)
            # Admins change: one who is no longer an admin of the program is refused.
            if not await allowed(context, HEALTH_RULE, admins, program_id, frozenset()):
                raise Forbidden()
            data: Any = event.data
            match = await fresh_match(context.services, data.match_id)
            if match is None:
                continue
            fresh_loaders(context)
            yield HealthAlert(match=build_match(match), health=build_health(data))


async def subscribe_match_events(
    info: Context, program_id: strawberry.ID | None = None
) -> AsyncGenerator[MatchEvent, None]:
    context = info.context
    check_token(context.viewer)
    raw_program = decode_id(program_id, "Program") if program_id is not None else None
    return match_event_stream(context, hub_of(context), raw_program)


async def subscribe_health_alerts(
    info: Context, program_id: strawberry.ID
) -> AsyncGenerator[HealthAlert, None]:
    context = info.context
    check_token(context.viewer)
    raw_program = decode_id(program_id, "Program")
    hub = hub_of(context)
    admins = ProgramAdmins(context.services)
    if not await allowed(context, HEALTH_RULE, admins, raw_program, frozenset()):
        raise Forbidden()
    return health_alert_stream(context, hub, admins, raw_program)


@strawberry.type
class Subscription:
    match_events: AsyncGenerator[MatchEvent, None] = strawberry.subscription(
        resolver=subscribe_match_events,
        name="matchEvents",
        description=(
            "Proposals, starts, declines and ends of the matches the viewer may see; "
            "for a program admin, every match of that program."
        ),
    )
    health_alerts: AsyncGenerator[HealthAlert, None] = strawberry.subscription(
        resolver=subscribe_health_alerts,
        name="healthAlerts",
        description="Health band changes of a program's matches (program admins of that program).",
    )
