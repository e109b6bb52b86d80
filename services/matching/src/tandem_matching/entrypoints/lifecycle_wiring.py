"""Wiring of the HR lifecycle and the engagement signals into the matching runtime."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial
from typing import Any, Literal

from tandem_common.asyncapi import ChannelDeclaration
from tandem_common.events.engagement import ENGAGEMENT_EVENTS, ENGAGEMENT_TOPIC
from tandem_common.events.registry import EventRegistry, EventSchema
from tandem_common.runtime.service import ServiceRuntime
from tandem_matching.service.clock import Clock
from tandem_matching.service.engagement_signals import apply_engagement_events
from tandem_matching.service.lifecycle import LifecycleDeps
from tandem_matching.settings import MatchingSettings


def lifecycle_deps(runtime: ServiceRuntime[Any], settings: MatchingSettings) -> LifecycleDeps:
    """How the profiles consumer ends and re-matches matches in this process."""
    return LifecycleDeps(source=runtime.source, expiry_days=settings.proposal_expiry_days)


def consume_engagement(
    runtime: ServiceRuntime[Any], *, topic: str | None, consumer_name: str, clock: Clock
) -> None:
    """The engagement consumer of ``topic`` (``engagement.events`` unless a test names its
    own), with its own group and inbox name beside the profiles one."""
    runtime.consume(
        topic or ENGAGEMENT_TOPIC,
        partial(apply_engagement_events, clock=clock),
        EventRegistry(ENGAGEMENT_EVENTS),
        name=f"{consumer_name}-engagement",
    )


def matching_channel(
    topic: str, action: Literal["send", "receive"], schemas: Iterable[type[EventSchema]], description: str
) -> ChannelDeclaration:
    """What this service sends to or receives from ``topic``: the types of ``schemas``."""
    return ChannelDeclaration(
        service="matching",
        topic=topic,
        action=action,
        event_types=tuple(schema.ce_type for schema in schemas),
        description=description,
    )


def lifecycle_channels() -> list[ChannelDeclaration]:
    return [
        matching_channel(
            ENGAGEMENT_TOPIC,
            "receive",
            ENGAGEMENT_EVENTS,
            "Engagement signals: a match whose health band turns at_risk is flagged for its "
            "program's admins, and the flag clears when the band recovers.",
        )
    ]
