"""The AsyncAPI 3.0 document of Tandem's events, generated from code.

Two sources feed it: the event registry (every ``ce_type``, its topic and its pydantic
model) and the channel declarations of each service (who sends and who receives which
topic). The checked-in ``docs/asyncapi.yaml`` is this module's output; a test fails
when the two differ, so the published contract cannot drift silently.

The output is deterministic: the same code always renders the same bytes.
"""

from __future__ import annotations

import copy
import re
import warnings
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, entry_points, version
from typing import Any, Literal

import yaml

from tandem_common.events.catalog import ALL_EVENTS
from tandem_common.events.hr import HR_EVENTS, HR_TOPIC
from tandem_common.events.registry import EventSchema

ASYNCAPI_VERSION = "3.0.0"
KAFKA_BINDING_VERSION = "0.5.0"
DEAD_LETTER_MESSAGE = "DeadLetter"
ERROR_STAGES = ("decode", "validate", "handle")
_W3C_TRACEPARENT = r"^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$"


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
        payload_name = _add_payload_schema(schema, component_schemas)
        component_messages[schema.ce_type] = _message(schema, payload_name)
    component_messages[DEAD_LETTER_MESSAGE] = _dead_letter_message()

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


def _title(schema: type[EventSchema]) -> str:
    """``EmployeeHiredV1`` becomes ``Employee hired (v1)``."""
    match = re.fullmatch(r"(.*?)V(\d+)", schema.__name__)
    base, number = (match.group(1), match.group(2)) if match else (schema.__name__, None)
    words = re.findall(r"[A-Z][a-z0-9]*|[a-z0-9]+", base) or [base]
    text = " ".join([words[0], *(word.lower() for word in words[1:])])
    return f"{text} (v{number})" if number else text


def _message(schema: type[EventSchema], payload_name: str) -> dict[str, Any]:
    key_schema = schema.model_json_schema()["properties"].get(schema.key_field, {})
    key: dict[str, Any] = {"type": "string"}
    if isinstance(key_schema.get("pattern"), str):
        key["pattern"] = key_schema["pattern"]
    key["description"] = f"The aggregate id: the event's `{schema.key_field}`."
    return {
        "name": schema.ce_type,
        "title": _title(schema),
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


def _dead_letter_message() -> dict[str, Any]:
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


# -- payload schemas ------------------------------------------------------------------


def _add_payload_schema(schema: type[EventSchema], components: dict[str, Any]) -> str:
    """Hoist ``schema``'s JSON schema and its ``$defs`` into ``components``; returns its name.

    A definition equal to one already there is shared; an unequal one of the same name
    gets a numbered name, and every ``$ref`` follows the renaming.
    """
    generated = copy.deepcopy(schema.model_json_schema())
    definitions: dict[str, Any] = generated.pop("$defs", {})
    renames = {name: name for name in definitions}
    # A rename can make a definition that refers to the renamed one unequal in turn,
    # so this repeats until nothing changes; each definition is renamed at most once.
    changed = True
    while changed:
        changed = False
        for name, definition in definitions.items():
            existing = components.get(renames[name])
            if existing is not None and existing != _rewrite_refs(definition, renames):
                renames[name] = _fresh_name(name, components, set(renames.values()))
                changed = True
    for name, definition in definitions.items():
        components.setdefault(renames[name], _rewrite_refs(definition, renames))
    generated["description"] = generated.get("description") or f"The data of `{schema.ce_type}`."
    payload = _rewrite_refs(generated, renames)
    payload_name = schema.__name__
    if components.get(payload_name, payload) != payload:
        payload_name = _fresh_name(payload_name, components, set())
    components[payload_name] = payload
    return payload_name


def _fresh_name(name: str, components: dict[str, Any], taken: set[str]) -> str:
    suffix = 2
    while f"{name}_{suffix}" in components or f"{name}_{suffix}" in taken:
        suffix += 1
    return f"{name}_{suffix}"


def _rewrite_refs(node: Any, renames: dict[str, str]) -> Any:
    if isinstance(node, dict):
        rewritten: dict[str, Any] = {}
        for key, value in node.items():
            if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
                name = value.removeprefix("#/$defs/")
                rewritten[key] = f"#/components/schemas/{renames.get(name, name)}"
            else:
                rewritten[key] = _rewrite_refs(value, renames)
        return rewritten
    if isinstance(node, list):
        return [_rewrite_refs(item, renames) for item in node]
    return node
