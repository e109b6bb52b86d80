"""Masked errors are logged once per cause, with their traceback and how many errors it caused."""

from __future__ import annotations

import logging

import pytest
from graphql import GraphQLError

from tandem_gateway.clients.service_client import ServiceUnavailable
from tandem_gateway.errors import Forbidden
from tandem_gateway.http.masking import UNEXPECTED, format_error, format_errors

TRACE = "0" * 31 + "1"


def failed(error: Exception, *path: str | int) -> GraphQLError:
    try:
        raise error
    except Exception as raised:
        return GraphQLError("boom", path=list(path), original_error=raised)


def logged(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.name == "tandem_gateway.http.masking"]


def test_one_failed_batch_is_one_log_record_counting_every_error_it_caused(caplog):
    batch = ServiceUnavailable("profiles", "/v1/profiles/batch", "timed out")
    errors = [failed(batch, "matches", index, "person") for index in range(100)]
    with caplog.at_level(logging.ERROR, logger="tandem_gateway.http.masking"):
        formatted = format_errors(errors, TRACE)
    assert [error["message"] for error in formatted] == [UNEXPECTED] * 100
    assert formatted[7]["path"] == ["matches", 7, "person"]
    assert formatted[7]["extensions"] == {"code": "SERVICE_UNAVAILABLE", "traceId": TRACE}
    (record,) = logged(caplog)
    assert record.getMessage() == "unexpected error in a GraphQL operation"
    assert (record.code, record.errors, record.path, record.trace_id) == (
        "SERVICE_UNAVAILABLE",
        100,
        ["matches", 0, "person"],
        TRACE,
    )
    assert record.exc_info is not None and record.exc_info[1] is batch


def test_each_cause_is_logged_and_deliberate_errors_are_not(caplog):
    profiles = ServiceUnavailable("profiles", "/v1/profiles/batch", "timed out")
    errors = [
        failed(profiles, "a"),
        failed(RuntimeError("bug"), "b"),
        GraphQLError("You may not see this.", path=["c"], original_error=Forbidden()),
        failed(ServiceUnavailable("profiles", "/v1/profiles/batch", "timed out"), "d"),
        failed(ServiceUnavailable("engagement", "/v1/health/by-match", "HTTP 503"), "e"),
    ]
    with caplog.at_level(logging.ERROR, logger="tandem_gateway.http.masking"):
        formatted = format_errors(errors, TRACE)
    assert [error["message"] for error in formatted] == [
        UNEXPECTED,
        UNEXPECTED,
        "You may not see this.",
        UNEXPECTED,
        UNEXPECTED,
    ]
    assert [(r.code, r.errors, r.path) for r in logged(caplog)] == [
        ("SERVICE_UNAVAILABLE", 2, ["a"]),  # the same cause, raised twice
        ("INTERNAL", 1, ["b"]),
        ("SERVICE_UNAVAILABLE", 1, ["e"]),
    ]


def test_one_masked_error_is_logged_with_its_traceback(caplog):
    with caplog.at_level(logging.ERROR, logger="tandem_gateway.http.masking"):
        masked = format_error(failed(RuntimeError("SELECT secret"), "x"), TRACE)
    assert masked == {
        "message": UNEXPECTED,
        "path": ["x"],
        "extensions": {"code": "INTERNAL", "traceId": TRACE},
    }
    (record,) = logged(caplog)
    assert record.errors == 1
    assert "SELECT secret" in caplog.text  # in the log (for support), never in the answer
