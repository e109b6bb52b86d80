"""Reasons for bad input name the field and the rule, never the value, and never grow past 512 bytes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import orjson
import pytest
from asyncpg.exceptions import (
    FeatureNotSupportedError,
    IdleInTransactionSessionTimeoutError,
    LockNotAvailableError,
    QueryCanceledError,
    ReadOnlySQLTransactionError,
    StringDataRightTruncationError,
    UndefinedTableError,
    UniqueViolationError,
)
from sqlalchemy import exc as sa_exc

from tandem_common.db.errors import is_data_error, is_transient
from tandem_common.envelope import (
    STRUCTURED_CONTENT_TYPE,
    CloudEvent,
    EnvelopeError,
    decode,
    encode_binary,
    parse_time,
)
from tandem_common.events.hr import HR_EVENTS
from tandem_common.events.registry import EventRegistry
from tandem_common.messaging.dead_letter import MAX_REASON_BYTES, DeadLetter, cap_reason

EMAIL = "ana.lima@example.com"


def _hire(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "employee_id": "E1",
        "email": "e1@example.com",
        "display_name": "Person",
        "job_title": "Analyst",
        "department": "Finance",
        "location": {"country": "BR"},
        "timezone": "America/Sao_Paulo",
        "hire_date": "2026-01-05",
        "seniority_level": 3,
    }
    data.update(overrides)
    return data


def _validate(data: dict[str, object]) -> EnvelopeError:
    event = CloudEvent(
        id="1", source="s", type="tandem.hr.employee.hired.v1", time=datetime.now(UTC), data=data
    )
    value, headers = encode_binary(event)
    with pytest.raises(EnvelopeError) as raised:
        EventRegistry(HR_EVENTS).validate(decode(value, headers))
    return raised.value


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("timezone", EMAIL),
        ("timezone", "x" * 600_000),
        ("location", {"country": EMAIL}),
        ("languages", [EMAIL]),
        ("email", "not-an-" + "qwerty" * 10),
        ("seniority_level", EMAIL),
        ("hire_date", EMAIL),
    ],
    ids=[
        "email-in-timezone",
        "600kb-timezone",
        "email-in-country",
        "email-in-languages",
        "bad-email",
        "email-in-seniority",
        "email-in-date",
    ],
)
def test_a_validation_reason_names_the_field_and_never_quotes_the_value(field: str, value: object) -> None:
    error = _validate(_hire(**{field: value}))
    assert error.stage == "validate"
    assert error.reason.startswith(f"field {field}")
    assert EMAIL not in error.reason
    assert "xxxxxxxx" not in error.reason
    assert "qwerty" not in error.reason
    assert len(error.reason.encode()) <= MAX_REASON_BYTES


def test_an_unexpected_key_of_any_length_is_named_briefly() -> None:
    error = _validate(_hire(**{"k" * 10_000: 1}))
    assert error.reason.startswith("field " + "k" * 61 + "...: Extra inputs are not permitted")


def test_an_unknown_type_is_not_quoted() -> None:
    event = CloudEvent(id="1", source="s", type=EMAIL, time=datetime.now(UTC), data={})
    value, headers = encode_binary(event)
    with pytest.raises(EnvelopeError) as raised:
        EventRegistry(HR_EVENTS).validate(decode(value, headers))
    assert EMAIL not in raised.value.reason


def _structured(document: dict[str, object]) -> EnvelopeError:
    with pytest.raises(EnvelopeError) as raised:
        decode(orjson.dumps(document), [("content-type", STRUCTURED_CONTENT_TYPE.encode())])
    return raised.value


BASE = {
    "specversion": "1.0",
    "id": "1",
    "source": "s",
    "type": "t",
    "time": "2026-01-01T00:00:00Z",
    "data": {},
}


def test_an_extension_nested_1010_deep_is_refused_at_decode_without_recursing() -> None:
    # orjson refuses documents nested this deep; a hand-built one shows the decoder's own guard.
    error = _structured({**BASE, "deep": {"n": {"n": 1}}})
    assert error.stage == "decode"
    assert error.reason == "attribute deep is not a string, integer or boolean"
    with pytest.raises(EnvelopeError) as raised:
        decode(
            b'{"specversion":"1.0","id":"1","source":"s","type":"t","time":"2026-01-01T00:00:00Z","data":{},"deep":'
            + b'{"n":' * 1010
            + b"1"
            + b"}" * 1010
            + b"}",
            [("content-type", STRUCTURED_CONTENT_TYPE.encode())],
        )
    assert raised.value.stage == "decode"


def test_a_non_string_traceparent_in_structured_mode_fails_at_decode() -> None:
    error = _structured({**BASE, "traceparent": 123})
    assert (error.stage, error.reason) == ("decode", "attribute traceparent is not a string")


def test_an_oversized_id_is_refused_at_decode() -> None:
    error = _structured({**BASE, "id": "i" * 5000})
    assert error.reason == "attribute id is longer than 1024 characters"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-11-26t10:00:00z", datetime(2026, 11, 26, 10, tzinfo=UTC)),
        ("2026-11-26T10:00:00.123456789+01:00", datetime(2026, 11, 26, 9, 0, 0, 123456, tzinfo=UTC)),
        ("2016-12-31T23:59:60Z", datetime(2017, 1, 1, tzinfo=UTC)),
        ("1990-12-31T15:59:60-08:00", datetime(1991, 1, 1, tzinfo=UTC)),
    ],
    ids=["lower-case-t-and-z", "nanoseconds-and-offset", "leap-second", "leap-second-with-offset"],
)
def test_valid_rfc3339_times_are_accepted(text: str, expected: datetime) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    "text", ["2026-11-26", "2026-11-26T10:00:00", "2026-W48-4T10:00:00Z", "2026-13-01T00:00:00Z"]
)
def test_times_that_are_not_rfc3339_are_refused_without_quoting(text: str) -> None:
    with pytest.raises(EnvelopeError) as raised:
        parse_time(text)
    assert text not in raised.value.reason


def test_reasons_are_capped_at_512_bytes_on_a_character_boundary() -> None:
    capped = cap_reason("é" * 1000)
    assert len(capped.encode()) <= MAX_REASON_BYTES
    assert capped.endswith("...")
    assert cap_reason("short") == "short"


def test_a_stub_keeps_the_error_headers_and_key_but_not_the_value() -> None:
    letter = DeadLetter(
        topic="t",
        partition=2,
        offset=7,
        key=b"E1",
        value=b"v" * 2_000_000,
        headers=(("ce_id", b"1"), ("huge", b"h" * 100_000)),
        reason="field timezone: bad",
        stage="validate",
    )
    stub = letter.without_value("the broker refused the dead letter: MessageSizeTooLargeError")
    headers = dict(stub.dlq_headers())
    assert stub.value is None and stub.key == b"E1"
    assert "huge" not in headers and headers["ce_id"] == b"1"
    assert headers["x-error-reason"] == b"field timezone: bad"
    assert headers["x-error-stage"] == b"validate"
    assert (headers["x-original-partition"], headers["x-original-offset"]) == (b"2", b"7")
    assert headers["x-error-value-dropped"].startswith(b"the broker refused")


def _wrapped(error: Exception) -> sa_exc.DBAPIError:
    return sa_exc.DBAPIError("statement", {}, error)


@pytest.mark.parametrize(
    ("error", "transient", "data"),
    [
        (ReadOnlySQLTransactionError("read-only"), True, False),
        (QueryCanceledError("statement timeout"), True, False),
        (LockNotAvailableError("lock timeout"), True, False),
        (IdleInTransactionSessionTimeoutError("idle"), True, False),
        (StringDataRightTruncationError("too long"), False, True),
        (UniqueViolationError("duplicate"), False, True),
        (UndefinedTableError("no table"), False, False),
        (FeatureNotSupportedError("no"), False, False),
    ],
    ids=["25006", "57014", "55P03", "25P03", "22001", "23505", "42P01", "0A000"],
)
def test_one_classifier_knows_failover_timeouts_and_data_errors(
    error: Exception, transient: bool, data: bool
) -> None:
    assert is_transient(_wrapped(error)) is transient
    assert is_data_error(_wrapped(error)) is data


def test_kafka_errors_are_transient_only_when_retriable() -> None:
    from aiokafka.errors import MessageSizeTooLargeError, NotLeaderForPartitionError

    assert is_transient(NotLeaderForPartitionError())
    assert not is_transient(MessageSizeTooLargeError())


def test_leap_second_is_one_second_after_the_last_ordinary_one() -> None:
    assert parse_time("2016-12-31T23:59:60Z") - parse_time("2016-12-31T23:59:59Z") == timedelta(seconds=1)
