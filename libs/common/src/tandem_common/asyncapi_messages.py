"""The AsyncAPI message components: one per event type, and the dead letter.

Part of the document :mod:`tandem_common.asyncapi` assembles; each event's message
names its payload schema (:mod:`tandem_common.asyncapi_schemas`) and carries the
CloudEvents binary-mode headers and the Kafka key binding.
"""

from __future__ import annotations

import re
from typing import Any

from tandem_common.events.registry import EventSchema

KAFKA_BINDING_VERSION = "0.5.0"
DEAD_LETTER_MESSAGE = "DeadLetter"
ERROR_STAGES = ("decode", "validate", "handle")
_W3C_TRACEPARENT = r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"


def title(schema: type[EventSchema]) -> str:
    """``EmployeeHiredV1`` becomes ``Employee hired (v1)``."""
    match = re.fullmatch(r"(.*?)V(\d+)", schema.__name__)
    base, number = (match.group(1), match.group(2)) if match else (schema.__name__, None)
    words = re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", base) or [base]
    text = " ".join([words[0], *(word.lower() for word in words[1:])])
    return f"{text} (v{number})" if number else text


def event_message(schema: type[EventSchema], payload_name: str) -> dict[str, Any]:
    key_schema = schema.model_json_schema()["properties"].get(schema.key_field, {})
    key: dict[str, Any] = {"type": "string"}
    if isinstance(key_schema.get("pattern"), str):
        key["pattern"] = key_schema["pattern"]
    key["description"] = f"The aggregate id: the event's `{schema.key_field}`."
    return {
        "name": schema.ce_type,
        "title": title(schema),
        "summary": f"`{schema.ce_type}` on `{schema.topic}`.",
        "contentType": "application/json",
        "headers": _ce_headers(schema.ce_type),
        "payload": {"$ref": f"#/components/schemas/{payload_name}"},
        "bindings": {"kafka": {"key": key, "bindingVersion": KAFKA_BINDING_VERSION}},
    }


def _ce_headers(ce_type: str) -> dict[str, Any]:
    return {
        "type": "object",
        "required": ["ce_specversion", "ce_id", "ce_source", "ce_type", "ce_time", "content-type"],
        "properties": {
            "ce_specversion": {"type": "string", "const": "1.0"},
            "ce_id": {
                "type": "string",
                "minLength": 1,
                "description": "Unique per ce_source; (ce_source, ce_id) identifies the event.",
            },
            "ce_source": {
                "type": "string",
                "minLength": 1,
                "description": "Who produced the event, e.g. `workday/acme-prod`.",
            },
            "ce_type": {"type": "string", "const": ce_type},
            "ce_time": {
                "type": "string",
                "format": "date-time",
                "description": "RFC 3339 with a time zone offset.",
            },
            "content-type": {"type": "string", "const": "application/json"},
            "ce_subject": {
                "type": "string",
                "minLength": 1,
                "description": "Optional: the aggregate the event is about.",
            },
            "traceparent": {
                "type": "string",
                "pattern": _W3C_TRACEPARENT,
                "description": "Optional W3C trace context.",
            },
            "tracestate": {"type": "string", "description": "Optional W3C trace state."},
        },
    }


def dead_letter_message() -> dict[str, Any]:
    return {
        "name": "dead-letter",
        "title": "Dead letter",
        "summary": "An undeliverable record, byte for byte, with the reason it failed.",
        "description": (
            "The original record's key, value and headers are kept unchanged; the error "
            "headers are appended (and replace those of any earlier dead-lettering)."
        ),
        "headers": {
            "type": "object",
            "required": [
                "x-error-reason",
                "x-error-stage",
                "x-original-topic",
                "x-original-partition",
                "x-original-offset",
            ],
            "properties": {
                "x-error-reason": {
                    "type": "string",
                    "description": "A human-readable sentence naming the failing field.",
                },
                "x-error-stage": {"type": "string", "enum": list(ERROR_STAGES)},
                "x-original-topic": {"type": "string"},
                "x-original-partition": {"type": "string", "pattern": r"^[0-9]+$"},
                "x-original-offset": {"type": "string", "pattern": r"^[0-9]+$"},
            },
            "additionalProperties": {
                "type": "string",
                "description": "The original record's headers, unchanged.",
            },
        },
        "payload": {"description": "The original record value, unchanged; it need not be valid JSON."},
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The original record key, unchanged."},
                "bindingVersion": KAFKA_BINDING_VERSION,
            }
        },
    }
