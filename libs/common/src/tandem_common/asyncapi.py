"""The AsyncAPI 3.0 document of Tandem's events, generated from code.

Two sources feed it: the event registry (every ``ce_type``, its topic and its pydantic
model) and the channel declarations of each service (who sends and who receives which
topic). The checked-in ``docs/asyncapi.yaml`` is this module's output; a test fails
when the two differ, so the published contract cannot drift silently.

The output is deterministic: the same code always renders the same bytes. This module
assembles the document (servers, channels, operations); the message components are
built in :mod:`tandem_common.asyncapi_messages`, the payload schemas in
:mod:`tandem_common.asyncapi_schemas`, and ``tandem asyncapi`` lives in
:mod:`tandem_common.asyncapi_cli`.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, entry_points, version
from typing import Any, Literal

import yaml

from tandem_common.asyncapi_messages import (
    DEAD_LETTER_MESSAGE,
    KAFKA_BINDING_VERSION,
    dead_letter_message,
    event_message,
)
from tandem_common.asyncapi_schemas import add_payload_schema
from tandem_common.events.catalog import ALL_EVENTS
from tandem_common.events.hr import HR_EVENTS, HR_TOPIC
from tandem_common.events.registry import EventSchema

ASYNCAPI_VERSION = "3.0.0"


@dataclass(frozen=True)
class ChannelDeclaration:
    """One party's use of one topic: it sends or receives these event types there.

    An empty ``event_types`` means every type registered for the topic.
    """

    service: str
    topic: str
    action: Literal["send", "receive"]
    event_types: tuple[str, ...]
    description: str = ""


# HR systems are outside Tandem, so no service spec speaks for them.
HR_SYSTEMS = ChannelDeclaration(
    service="hr-systems",
    topic=HR_TOPIC,
    action="send",
    event_types=tuple(schema.ce_type for schema in HR_EVENTS),
    description=(
        "The organisation's HR systems publish hires, changes and exits of employees, keyed by employee_id."
    ),
)


def declared_channels() -> list[ChannelDeclaration]:
    """The external declarations plus those of every installed service."""
    declarations = [HR_SYSTEMS]
    for spec in _service_specs():
        declare = getattr(spec, "declare_channels", None)
        if declare is None:
            continue
        for declaration in declare():
            if not isinstance(declaration, ChannelDeclaration):
                raise TypeError(f"service {spec.name} declared {declaration!r}, not a ChannelDeclaration")
            declarations.append(declaration)
    return declarations


def _service_specs() -> list[Any]:
    from tandem_common.runtime.spec import SERVICES_GROUP, discover_services

    try:
        return list(discover_services().values())
    except Exception as error:
        # One service that cannot be imported must not hide the others' channels; the
        # drift test still notices, because the document then loses that service.
        warnings.warn(f"service discovery failed ({error}); loading one by one", stacklevel=2)
    specs = []
    for entry_point in sorted(entry_points(group=SERVICES_GROUP), key=lambda e: e.name):
        try:
            specs.append(entry_point.load())
        except Exception as error:
            warnings.warn(f"service {entry_point.name} is left out: {error}", stacklevel=2)
    return specs


def identifier(text: str) -> str:
    """A channel, operation or message id: AsyncAPI allows only ``[A-Za-z0-9_-]`` there."""
    return re.sub(r"[^A-Za-z0-9_-]", "_", text)


def dlq_topic(topic: str) -> str:
    return f"{topic}.dlq"


def build_document(
    schemas: Sequence[type[EventSchema]] = ALL_EVENTS,
    declarations: Sequence[ChannelDeclaration] | None = None,
) -> dict[str, Any]:
    """The AsyncAPI document as a plain dict, in a fixed order."""
    if declarations is None:
        declarations = declared_channels()
    by_type = {schema.ce_type: schema for schema in schemas}
    _check_declarations(declarations, by_type)

    component_schemas: dict[str, Any] = {}
    component_messages: dict[str, Any] = {}
    for schema in schemas:
        payload_name = add_payload_schema(schema, component_schemas)
        component_messages[schema.ce_type] = event_message(schema, payload_name)
    component_messages[DEAD_LETTER_MESSAGE] = dead_letter_message()

    topics = sorted({schema.topic for schema in schemas} | {d.topic for d in declarations})
    channels: dict[str, Any] = {}
    for topic in topics:
        types = [schema.ce_type for schema in schemas if schema.topic == topic]
        channels[identifier(topic)] = _channel(topic, types, declarations)
        channels[identifier(dlq_topic(topic))] = _dead_letter_channel(topic)

    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": _info(),
        "servers": _servers(),
        "channels": channels,
        "operations": _operations(declarations, by_type),
        "components": {"schemas": component_schemas, "messages": component_messages},
    }


def render(document: dict[str, Any]) -> str:
    return yaml.safe_dump(document, sort_keys=False, allow_unicode=True, width=100)


def generate() -> str:
    """The YAML text of the document for the installed code."""
    return render(build_document())


# -- parts ----------------------------------------------------------------------------


def _check_declarations(
    declarations: Iterable[ChannelDeclaration], by_type: dict[str, type[EventSchema]]
) -> None:
    seen: set[tuple[str, str, str]] = set()
    for declaration in declarations:
        if declaration.action not in ("send", "receive"):
            raise ValueError(f"{declaration.service}: action {declaration.action!r} is unknown")
        identity = (declaration.service, declaration.action, declaration.topic)
        if identity in seen:
            raise ValueError(
                f"{declaration.service} declares {declaration.action} on {declaration.topic} twice"
            )
        seen.add(identity)
        for event_type in declaration.event_types:
            schema = by_type.get(event_type)
            if schema is None:
                raise ValueError(f"{declaration.service} declares {event_type}, which is not registered")
            if schema.topic != declaration.topic:
                raise ValueError(
                    f"{declaration.service} declares {event_type} on {declaration.topic}, "
                    f"but it travels on {schema.topic}"
                )


def _version() -> str:
    try:
        return version("tandem-common")
    except PackageNotFoundError:
        return "0.0.0"


def _info() -> dict[str, Any]:
    return {
        "title": "Tandem",
        "version": _version(),
        "description": (
            "Events of the Tandem mentoring platform: what HR systems publish to it and "
            "what its services publish to each other.\n\n"
            "Every event is a CloudEvents 1.0 event in Kafka binary mode: the value is the "
            "event's `data` as UTF-8 JSON and the attributes travel in `ce_*` headers. "
            "Structured mode (`content-type: application/cloudevents+json`) is accepted on "
            "input. The record key is the aggregate's id, so the events of one aggregate stay "
            "in order on one partition. `(ce_source, ce_id)` identifies an event; a second "
            "delivery has no second effect. W3C `traceparent`/`tracestate` headers carry the "
            "trace context.\n\n"
            "A record that cannot be decoded, validated or applied goes to `<topic>.dlq`, "
            "unchanged, with `x-error-*` and `x-original-*` headers.\n\n"
            "A change to an event is a new versioned `ce_type`, never an edit of an old one."
        ),
    }


def _servers() -> dict[str, Any]:
    return {
        "embedded": {
            "host": "127.0.0.1:9092",
            "protocol": "kafka",
            "title": "Embedded broker",
            "description": (
                "The tansu broker that `make run` starts on this machine. It keeps messages "
                "in memory only. Override with `TANDEM_KAFKA_BOOTSTRAP`."
            ),
        },
        "production": {
            "host": "{bootstrap}",
            "protocol": "kafka",
            "title": "Apache Kafka cluster",
            "description": (
                "An Apache Kafka cluster with replication factor 3 and "
                "`min.insync.replicas=2`; producers use `acks=all` with idempotence on. "
                "Set `TANDEM_KAFKA_BOOTSTRAP` to its bootstrap servers."
            ),
            "variables": {
                "bootstrap": {
                    "default": "kafka.example.internal:9092",
                    "description": "The cluster's bootstrap servers.",
                }
            },
        },
    }


def _channel(
    topic: str, event_types: Sequence[str], declarations: Sequence[ChannelDeclaration]
) -> dict[str, Any]:
    senders = sorted({d.service for d in declarations if d.topic == topic and d.action == "send"})
    receivers = sorted({d.service for d in declarations if d.topic == topic and d.action == "receive"})
    description = f"Kafka topic `{topic}`."
    if senders:
        description += f" Published by {', '.join(senders)}."
    if receivers:
        description += f" Consumed by {', '.join(receivers)}."
    return {
        "address": topic,
        "title": topic,
        "description": description,
        "messages": {
            identifier(event_type): {"$ref": f"#/components/messages/{event_type}"}
            for event_type in event_types
        },
        "bindings": {"kafka": {"topic": topic, "bindingVersion": KAFKA_BINDING_VERSION}},
    }


def _dead_letter_channel(topic: str) -> dict[str, Any]:
    dlq = dlq_topic(topic)
    return {
        "address": dlq,
        "title": dlq,
        "description": (
            f"Records of `{topic}` that could not be decoded, validated or applied, each "
            "with its original key, value and headers plus the error headers. Nothing "
            "consumes it automatically; operators inspect and replay it."
        ),
        "messages": {DEAD_LETTER_MESSAGE: {"$ref": f"#/components/messages/{DEAD_LETTER_MESSAGE}"}},
        "bindings": {"kafka": {"topic": dlq, "bindingVersion": KAFKA_BINDING_VERSION}},
    }


def _operations(
    declarations: Sequence[ChannelDeclaration], by_type: dict[str, type[EventSchema]]
) -> dict[str, Any]:
    operations: dict[str, Any] = {}
    ordered = sorted(declarations, key=lambda d: (d.topic, 0 if d.action == "send" else 1, d.service))
    for declaration in ordered:
        topic = declaration.topic
        channel = identifier(topic)
        types = declaration.event_types or tuple(
            event_type for event_type, schema in by_type.items() if schema.topic == topic
        )
        verb = "publishes" if declaration.action == "send" else "consumes"
        operation: dict[str, Any] = {
            "action": declaration.action,
            "channel": {"$ref": f"#/channels/{channel}"},
            "title": f"{declaration.service} {verb} {topic}",
        }
        if declaration.description:
            operation["description"] = declaration.description
        operation["tags"] = [{"name": declaration.service}]
        operation["messages"] = [
            {"$ref": f"#/channels/{channel}/messages/{identifier(event_type)}"} for event_type in types
        ]
        operations[identifier(f"{declaration.service}_{declaration.action}_{topic}")] = operation
        if declaration.action == "receive":
            # Whoever consumes a topic dead-letters what it cannot apply.
            dlq_channel = identifier(dlq_topic(topic))
            operations[identifier(f"{declaration.service}_send_{dlq_topic(topic)}")] = {
                "action": "send",
                "channel": {"$ref": f"#/channels/{dlq_channel}"},
                "title": f"{declaration.service} dead-letters {topic}",
                "description": (
                    f"Records of `{topic}` that {declaration.service} cannot decode, validate "
                    "or apply. Transient failures are retried instead."
                ),
                "tags": [{"name": declaration.service}],
                "messages": [{"$ref": f"#/channels/{dlq_channel}/messages/{DEAD_LETTER_MESSAGE}"}],
            }
    return operations
