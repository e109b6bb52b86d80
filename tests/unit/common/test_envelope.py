"""CloudEvents on Kafka: binary and structured round trips, and each malformed header."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime

import orjson
import pytest

from tandem_common.envelope import (
    CloudEvent,
    EnvelopeError,
    decode,
    encode_binary,
    encode_structured,
)
from tandem_common.events.catalog import default_registry

EVENT = CloudEvent(
    id="evt-1",
    source="workday/acme-prod",
    type="tandem.hr.employee.exited.v1",
    time=datetime(2026, 10, 31, 17, 0, tzinfo=UTC),
    data={"employee_id": "E000123", "exit_date": "2026-10-31", "reason": "voluntary"},
    subject="E000123",
    traceparent="00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
)


def test_binary_mode_round_trips_every_attribute() -> None:
    value, headers = encode_binary(EVENT)
    names = dict(headers)
    assert names["ce_specversion"] == b"1.0"
    assert names["ce_time"] == b"2026-10-31T17:00:00Z"
    assert names["content-type"] == b"application/json"
    assert orjson.loads(value) == EVENT.data
    assert decode(value, headers) == EVENT


def test_structured_mode_round_trips_every_attribute() -> None:
    value, headers = encode_structured(EVENT)
    assert headers == [("content-type", b"application/cloudevents+json")]
    assert orjson.loads(value)["specversion"] == "1.0"
    assert decode(value, headers) == EVENT


def test_structured_mode_reads_trace_context_from_headers() -> None:
    value, _ = encode_structured(EVENT)
    decoded = decode(
        value,
        [
            ("content-type", b"application/cloudevents+json; charset=utf-8"),
            ("traceparent", b"00-11111111111111111111111111111111-2222222222222222-01"),
        ],
    )
    assert decoded.traceparent == "00-11111111111111111111111111111111-2222222222222222-01"


def _headers(**changes: bytes | None) -> list[tuple[str, bytes]]:
    _, headers = encode_binary(EVENT)
    result = []
    for name, value in headers:
        if name in changes:
            if changes[name] is not None:
                result.append((name, changes[name]))
        else:
            result.append((name, value))
    return result


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"ce_id": None}, "header ce_id is missing"),
        ({"ce_source": None}, "header ce_source is missing"),
        ({"ce_type": None}, "header ce_type is missing"),
        ({"ce_time": None}, "header ce_time is missing"),
        ({"ce_specversion": None}, "header ce_specversion is missing"),
        ({"ce_id": b""}, "header ce_id is empty"),
        ({"ce_source": b"\xff\xfe"}, "header ce_source is not UTF-8"),
        ({"ce_specversion": b"0.3"}, "header ce_specversion is not supported; expected 1.0"),
        ({"ce_time": b"yesterday"}, "ce_time is not an RFC 3339 timestamp"),
        ({"ce_time": b"2026-10-31T17:00:00"}, "has no time zone offset"),
        ({"content-type": b"text/plain"}, "is not application/json"),
    ],
)
def test_each_malformed_header_is_rejected_at_decode(changes: dict[str, bytes | None], message: str) -> None:
    value, _ = encode_binary(EVENT)
    with pytest.raises(EnvelopeError) as raised:
        decode(value, _headers(**changes))
    assert raised.value.stage == "decode"
    assert message in str(raised.value)


def test_a_value_that_is_not_json_is_a_decode_error() -> None:
    with pytest.raises(EnvelopeError, match="the record value is not JSON") as raised:
        decode(b"{oops", _headers())
    assert raised.value.stage == "decode"


@pytest.mark.parametrize(
    ("document", "message"),
    [
        (b"[1]", "not a JSON object"),
        (
            b'{"specversion": "1.0", "source": "s", "type": "t", "time": "2026-01-01T00:00:00Z", "data": {}}',
            "attribute id is missing",
        ),
        (
            b'{"specversion": "1.0", "id": "i", "type": "t", "time": "2026-01-01T00:00:00Z", "data": {}}',
            "attribute source is missing",
        ),
        (
            b'{"specversion": "1.0", "id": "i", "source": "s", "type": "t", "time": "2026-01-01T00:00:00Z"}',
            "has no data",
        ),
        (
            b'{"specversion": "2.0", "id": "i", "source": "s", "type": "t", '
            b'"time": "2026-01-01T00:00:00Z", "data": {}}',
            "attribute specversion is not supported",
        ),
        (b"nope", "the structured event is not JSON"),
    ],
)
def test_malformed_structured_events_are_rejected(document: bytes, message: str) -> None:
    with pytest.raises(EnvelopeError, match=message):
        decode(document, [("content-type", b"application/cloudevents+json")])


def test_registry_validates_data_and_names_the_failing_field() -> None:
    registry = default_registry()
    bad = dataclasses.replace(EVENT, data={**EVENT.data, "reason": "bored"})
    with pytest.raises(EnvelopeError) as raised:
        registry.validate(bad)
    assert raised.value.stage == "validate"
    assert str(raised.value).startswith("field reason:")


def test_registry_rejects_an_unknown_type_clearly() -> None:
    registry = default_registry()
    unknown = dataclasses.replace(EVENT, type="tandem.hr.employee.promoted.v9")
    with pytest.raises(
        EnvelopeError,
        match=r"^ce_type is not a known event type \(known: tandem\.[a-z.]+\.v1, ",
    ) as raised:
        registry.validate(unknown)
    assert raised.value.stage == "validate"
    assert "tandem.hr.employee.changed.v1, tandem.hr.employee.exited.v1" in str(raised.value)
