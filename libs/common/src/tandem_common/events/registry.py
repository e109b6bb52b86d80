"""Maps each versioned ``ce_type`` to the pydantic model of its ``data``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any, ClassVar

from pydantic import ValidationError

from tandem_common.envelope import CloudEvent, EnvelopeError
from tandem_common.events.fields import ClosedModel


class EventSchema(ClosedModel):
    """Base of every event's ``data`` model. Subclasses name their type and topic."""

    ce_type: ClassVar[str]
    topic: ClassVar[str]
    key_field: ClassVar[str] = "employee_id"

    def key(self) -> str:
        return str(getattr(self, self.key_field))


class UnknownEventTypeError(EnvelopeError):
    def __init__(self, event_type: str, known: Iterable[str]) -> None:
        # The rejected type is not quoted: reasons never echo what a producer sent.
        super().__init__(
            f"ce_type is not a known event type (known: {', '.join(sorted(known))})",
            stage="validate",
        )
        self.event_type = event_type


def describe_validation_error(error: ValidationError) -> str:
    """One sentence naming the first failing field and its rule, e.g. ``field location.country: …``.

    It never quotes the rejected value: a column-shifted export can put an email
    address into any field, and reasons travel into logs and dead-letter headers.
    """
    first = error.errors(include_url=False, include_input=False)[0]
    location = ".".join(_location_part(part) for part in first["loc"]) or "data"
    message = first["msg"].removeprefix("Value error, ")
    more = error.error_count() - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
    return f"field {location}: {message}{suffix}"


def _location_part(part: str | int) -> str:
    # An unexpected key is part of the location and is the producer's text: keep it short.
    text = str(part)
    return text if len(text) <= 64 else text[:61] + "..."


class EventRegistry:
    """A set of event schemas, looked up by ``ce_type``."""

    def __init__(self, schemas: Iterable[type[EventSchema]] = ()) -> None:
        self._schemas: dict[str, type[EventSchema]] = {}
        for schema in schemas:
            self.register(schema)

    def register(self, schema: type[EventSchema]) -> type[EventSchema]:
        existing = self._schemas.get(schema.ce_type)
        if existing is not None and existing is not schema:
            raise ValueError(f"{schema.ce_type} is registered twice")
        self._schemas[schema.ce_type] = schema
        return schema

    def __contains__(self, event_type: object) -> bool:
        return event_type in self._schemas

    def __iter__(self) -> Iterator[type[EventSchema]]:
        return iter(self._schemas.values())

    def schema_for(self, event_type: str) -> type[EventSchema]:
        try:
            return self._schemas[event_type]
        except KeyError:
            raise UnknownEventTypeError(event_type, self._schemas) from None

    def validate(self, event: CloudEvent) -> EventSchema:
        """The typed ``data`` of ``event``; raises :class:`EnvelopeError` at stage validate."""
        schema = self.schema_for(event.type)
        try:
            return schema.model_validate(event.data)
        except ValidationError as error:
            raise EnvelopeError(describe_validation_error(error), stage="validate") from None

    def for_topic(self, topic: str) -> list[type[EventSchema]]:
        return [schema for schema in self._schemas.values() if schema.topic == topic]

    def parse(self, event_type: str, data: Any) -> EventSchema:
        return self.schema_for(event_type).model_validate(data)
