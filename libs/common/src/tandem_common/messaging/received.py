"""An event as a consumer's handler sees it: envelope, typed data, where it came from."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tandem_common.envelope import CloudEvent
from tandem_common.events.registry import EventSchema
from tandem_common.outbox.writer import OutgoingEvent


@dataclass(slots=True)
class ReceivedEvent:
    envelope: CloudEvent
    data: EventSchema
    topic: str
    partition: int
    offset: int
    key: str | None
    record: Any = field(repr=False)
    # traceparent/tracestate of this event's processing span, for events it causes.
    trace_headers: dict[str, str] = field(default_factory=dict)

    @property
    def identity(self) -> tuple[str, str]:
        return (self.envelope.source, self.envelope.id)

    def follow_up(self, data: EventSchema, *, source: str, event_id: str | None = None) -> OutgoingEvent:
        """An outgoing event caused by this one, continuing its trace."""
        if event_id is None:
            return OutgoingEvent(
                data=data, source=source, subject=data.key(), trace_headers=dict(self.trace_headers)
            )
        return OutgoingEvent(
            data=data,
            source=source,
            id=event_id,
            subject=data.key(),
            trace_headers=dict(self.trace_headers),
        )


class PoisonEventError(Exception):
    """Raised by a handler for an event that can never be applied; it is dead-lettered."""

    def __init__(self, event: ReceivedEvent, reason: str) -> None:
        super().__init__(reason)
        self.event = event
        self.reason = reason
