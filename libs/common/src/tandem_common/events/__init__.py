"""Versioned event schemas: one pydantic model per ``ce_type``, and their registry."""

from tandem_common.events.registry import EventRegistry, EventSchema, UnknownEventTypeError

__all__ = ["EventRegistry", "EventSchema", "UnknownEventTypeError"]
