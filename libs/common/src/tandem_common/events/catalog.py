"""Every event type Tandem knows, for the default registry and the AsyncAPI document."""

from __future__ import annotations

from tandem_common.events.engagement import ENGAGEMENT_EVENTS
from tandem_common.events.hr import HR_EVENTS
from tandem_common.events.matching import MATCHING_EVENTS
from tandem_common.events.profiles import PROFILE_EVENTS
from tandem_common.events.registry import EventRegistry, EventSchema

ALL_EVENTS: tuple[type[EventSchema], ...] = (
    *HR_EVENTS,
    *PROFILE_EVENTS,
    *MATCHING_EVENTS,
    *ENGAGEMENT_EVENTS,
)


def default_registry() -> EventRegistry:
    return EventRegistry(ALL_EVENTS)
