"""CloudEvents 1.0 over Kafka (the Kafka protocol binding).

Binary mode is what Tandem writes: attributes in ``ce_*`` headers, ``data`` as UTF-8
JSON in the value. Structured mode (the whole event as JSON in the value, with
``content-type: application/cloudevents+json``) is accepted on input.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, Literal

import orjson

SPEC_VERSION = "1.0"
JSON_CONTENT_TYPE = "application/json"
STRUCTURED_CONTENT_TYPE = "application/cloudevents+json"

Stage = Literal["decode", "validate"]
Headers = list[tuple[str, bytes]]


class EnvelopeError(ValueError):
    """A record that is not a valid event. ``stage`` says where it failed."""

    def __init__(self, reason: str, stage: Stage = "decode") -> None:
        super().__init__(reason)
        self.reason = reason
        self.stage: Stage = stage


@dataclass(frozen=True, slots=True)
class CloudEvent:
    """One event: its CloudEvents attributes and its JSON ``data``."""

    id: str
    source: str
    type: str
    time: datetime
    data: Any
    subject: str | None = None
    traceparent: str | None = None
    tracestate: str | None = None
    extensions: Mapping[str, str] = field(default_factory=dict)


def format_time(moment: datetime) -> str:
    """RFC 3339 in UTC with a ``Z`` suffix."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# RFC 3339 section 5.6: a full date, "T" (any case, or a space as its note allows), a
# full time with optional fraction, and "Z" (any case) or a numeric offset.
_RFC3339 = re.compile(
    r"^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?([Zz]|[+-]\d{2}:\d{2})?$"
)


def parse_time(text: str) -> datetime:
    """An RFC 3339 timestamp; a leap second (``23:59:60``) is read as the next second."""
    match = _RFC3339.match(text)
    if match is None:
        raise EnvelopeError("ce_time is not an RFC 3339 timestamp")
    year, month, day, hour, minute, second, fraction, offset = match.groups()
    if offset is None:
        raise EnvelopeError("ce_time has no time zone offset")
    leap = second == "60"
    try:
        zone = UTC if offset in ("Z", "z") else _offset_zone(offset)
        moment = datetime(
            int(year),
            int(month),
            int(day),
            int(hour),
            int(minute),
            59 if leap else int(second),
            int((fraction or "0")[:6].ljust(6, "0")),
            tzinfo=zone,
        )
    except ValueError:
        raise EnvelopeError("ce_time is not a valid date and time") from None
    return moment + timedelta(seconds=1) if leap else moment


def _offset_zone(offset: str) -> timezone:
    hours, minutes = int(offset[1:3]), int(offset[4:6])
    if hours > 23 or minutes > 59:
        raise ValueError("offset out of range")
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if offset[0] == "-" else delta)


# Encoded once: the relay builds headers for every row it publishes.
_SPEC_VERSION_BYTES = SPEC_VERSION.encode()
_JSON_CONTENT_TYPE_BYTES = JSON_CONTENT_TYPE.encode()


def binary_headers(
    id: str,
    source: str,
    type: str,
    time: datetime,
    subject: str | None = None,
    traceparent: str | None = None,
    tracestate: str | None = None,
    extensions: Mapping[str, str] | None = None,
) -> Headers:
    """The Kafka headers of an event in binary mode: every ``ce_*`` attribute, the
    content type, and the W3C trace context.

    The one place they are built, both for :func:`encode_binary` and for the outbox
    relay, which has the attributes as columns of a row rather than a :class:`CloudEvent`.
    """
    headers: Headers = [
        ("ce_specversion", _SPEC_VERSION_BYTES),
        ("ce_id", id.encode()),
        ("ce_source", source.encode()),
        ("ce_type", type.encode()),
        ("ce_time", format_time(time).encode()),
        ("content-type", _JSON_CONTENT_TYPE_BYTES),
    ]
    if subject is not None:
        headers.append(("ce_subject", subject.encode()))
    if traceparent:
        headers.append(("traceparent", traceparent.encode()))
    if tracestate:
        headers.append(("tracestate", tracestate.encode()))
    if extensions:
        headers.extend((f"ce_{name}", value.encode()) for name, value in extensions.items())
    return headers


def encode_binary(event: CloudEvent) -> tuple[bytes, Headers]:
    """The Kafka value and headers of ``event`` in binary mode."""
    headers = binary_headers(
        event.id,
        event.source,
        event.type,
        event.time,
        event.subject,
        event.traceparent,
        event.tracestate,
        event.extensions,
    )
    return orjson.dumps(event.data), headers


def encode_structured(event: CloudEvent) -> tuple[bytes, Headers]:
    """The Kafka value and headers of ``event`` in structured mode."""
    document: dict[str, Any] = {
        "specversion": SPEC_VERSION,
        "id": event.id,
        "source": event.source,
        "type": event.type,
        "time": format_time(event.time),
        "datacontenttype": JSON_CONTENT_TYPE,
        "data": event.data,
    }
    if event.subject is not None:
        document["subject"] = event.subject
    if event.traceparent:
        document["traceparent"] = event.traceparent
    if event.tracestate:
        document["tracestate"] = event.tracestate
    document.update(event.extensions)
    return orjson.dumps(document), [("content-type", STRUCTURED_CONTENT_TYPE.encode())]


# Attributes are identifiers, not payload: a longer one is an error (and could not be
# stored in the inbox's primary key index anyway).
MAX_ATTRIBUTE_LENGTH = 1024
_EXTENSION_NAME = re.compile(r"^[a-z0-9]{1,20}$")
_KNOWN_ATTRIBUTES = {"specversion", "id", "source", "type", "time", "subject", "datacontenttype"}
_TRACE_HEADERS = {"traceparent", "tracestate"}


def _text(value: bytes | str | None, name: str) -> str:
    if value is None:
        raise EnvelopeError(f"header {name} is missing")
    if isinstance(value, bytes):
        try:
            value = value.decode("utf-8")
        except UnicodeDecodeError:
            raise EnvelopeError(f"header {name} is not UTF-8") from None
    if not value:
        raise EnvelopeError(f"header {name} is empty")
    return _limited(value, f"header {name}")


def header_map(headers: Iterable[tuple[str, bytes | None]]) -> dict[str, bytes | None]:
    """Headers as a dict; the last value wins, as Kafka consumers conventionally read them."""
    return {name.lower(): value for name, value in headers}


def decode(value: bytes | None, headers: Iterable[tuple[str, bytes | None]]) -> CloudEvent:
    """Decode a Kafka record in binary or structured mode, or raise :class:`EnvelopeError`."""
    found = header_map(headers)
    content_type = (found.get("content-type") or b"").decode("utf-8", "replace").lower()
    if content_type.startswith(STRUCTURED_CONTENT_TYPE):
        return _decode_structured(value, found)
    return _decode_binary(value, found)


def _decode_binary(value: bytes | None, found: Mapping[str, bytes | None]) -> CloudEvent:
    spec = _text(found.get("ce_specversion"), "ce_specversion")
    if spec != SPEC_VERSION:
        raise EnvelopeError(f"header ce_specversion is not supported; expected {SPEC_VERSION}")
    event_id = _text(found.get("ce_id"), "ce_id")
    source = _text(found.get("ce_source"), "ce_source")
    event_type = _text(found.get("ce_type"), "ce_type")
    time = parse_time(_text(found.get("ce_time"), "ce_time"))
    content_type = found.get("content-type")
    if content_type is not None and not content_type.lower().startswith(b"application/json"):
        raise EnvelopeError("header content-type is not application/json")
    subject = found.get("ce_subject")
    data = _parse_json(value, "the record value")
    extensions = {
        name[3:]: raw.decode("utf-8", "replace")
        for name, raw in found.items()
        if name.startswith("ce_") and name[3:] not in _KNOWN_ATTRIBUTES and raw is not None
    }
    return CloudEvent(
        id=event_id,
        source=source,
        type=event_type,
        time=time,
        data=data,
        subject=_text(subject, "ce_subject") if subject else None,
        traceparent=_optional_text(found.get("traceparent")),
        tracestate=_optional_text(found.get("tracestate")),
        extensions=extensions,
    )


def _decode_structured(value: bytes | None, found: Mapping[str, bytes | None]) -> CloudEvent:
    document = _parse_json(value, "the structured event")
    if not isinstance(document, dict):
        raise EnvelopeError("the structured event is not a JSON object")
    spec = _attribute(document, "specversion")
    if spec != SPEC_VERSION:
        raise EnvelopeError(f"attribute specversion is not supported; expected {SPEC_VERSION}")
    if "data" not in document:
        raise EnvelopeError("the structured event has no data")
    extensions = {
        name: _extension_value(name, raw)
        for name, raw in document.items()
        if name not in _KNOWN_ATTRIBUTES and name not in _TRACE_HEADERS and name != "data"
    }
    subject = document.get("subject")
    if subject is not None and not isinstance(subject, str):
        raise EnvelopeError("attribute subject is not a string")
    return CloudEvent(
        id=_attribute(document, "id"),
        source=_attribute(document, "source"),
        type=_attribute(document, "type"),
        time=parse_time(_attribute(document, "time")),
        data=document["data"],
        subject=_limited(subject, "subject") if subject else None,
        # The binding carries trace context in headers even in structured mode.
        traceparent=_optional_text(found.get("traceparent")) or _optional_attribute(document, "traceparent"),
        tracestate=_optional_text(found.get("tracestate")) or _optional_attribute(document, "tracestate"),
        extensions=extensions,
    )


def _attribute(document: Mapping[str, Any], name: str) -> str:
    value = document.get(name)
    if value is None or value == "":
        raise EnvelopeError(f"attribute {name} is missing")
    if not isinstance(value, str):
        raise EnvelopeError(f"attribute {name} is not a string")
    return _limited(value, f"attribute {name}")


def _optional_attribute(document: Mapping[str, Any], name: str) -> str | None:
    value = document.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise EnvelopeError(f"attribute {name} is not a string")
    return _limited(value, f"attribute {name}")


def _extension_value(name: str, raw: Any) -> str:
    """CloudEvents extension values are scalars; anything else is refused, not printed.

    Turning a nested value into text could recurse a thousand levels deep.
    """
    if not _EXTENSION_NAME.match(name):
        raise EnvelopeError("an extension attribute name is not 1-20 lower-case letters or digits")
    if isinstance(raw, bool):
        return "true" if raw else "false"
    if isinstance(raw, str | int):
        return _limited(str(raw), f"attribute {name}")
    raise EnvelopeError(f"attribute {name} is not a string, integer or boolean")


def _limited(value: str, what: str) -> str:
    if len(value) > MAX_ATTRIBUTE_LENGTH:
        raise EnvelopeError(f"{what} is longer than {MAX_ATTRIBUTE_LENGTH} characters")
    return value


def _optional_text(value: bytes | None) -> str | None:
    if not value:
        return None
    return value.decode("utf-8", "replace")


def _parse_json(value: bytes | None, what: str) -> Any:
    if value is None:
        raise EnvelopeError(f"{what} is empty")
    try:
        return orjson.loads(value)
    except orjson.JSONDecodeError as error:
        # orjson names the position, never the text, so its message is safe to pass on.
        raise EnvelopeError(f"{what} is not JSON: {error}") from None
