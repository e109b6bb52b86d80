"""Pieces of the runtime that need no infrastructure: supervision, logs, error classes."""

from __future__ import annotations

import asyncio
import io
import logging
import sys

import orjson
from asyncpg.exceptions import (
    CannotConnectNowError,
    DeadlockDetectedError,
    SerializationError,
    UniqueViolationError,
)
from sqlalchemy.exc import DBAPIError

from tandem_common.db.errors import is_transient
from tandem_common.retry import Backoff
from tandem_common.runtime.supervisor import PrefixedOutput, SupervisedProcess
from tandem_common.telemetry.logs import JsonFormatter
from tandem_common.telemetry.setup import tracer


async def test_a_crashed_child_is_restarted_with_backoff_and_logged() -> None:
    stream = io.StringIO()
    output = PrefixedOutput(stream)
    child = SupervisedProcess(
        "flaky",
        [sys.executable, "-c", "print('working'); raise SystemExit(3)"],
        env={},
        output=output,
    )
    child.start()
    await asyncio.sleep(2.5)  # first restart after 1 s, the second after 2 s more
    await child.stop()
    lines = stream.getvalue().splitlines()
    assert child.restarts >= 2
    assert lines.count("flaky    | working") >= 2
    assert "tandem   | flaky exited with code 3; restarting in 1s" in lines
    assert "tandem   | flaky exited with code 3; restarting in 2s" in lines


def test_json_logs_carry_the_trace_and_span_ids() -> None:
    record = logging.LogRecord("tandem.test", logging.INFO, __file__, 1, "applied %d events", (3,), None)
    record.subscriber = "profiles"
    with tracer().start_as_current_span("work") as span:
        line = JsonFormatter("profiles").format(record)
    document = orjson.loads(line)
    context = span.get_span_context()
    assert document["message"] == "applied 3 events"
    assert document["service"] == "profiles"
    assert document["subscriber"] == "profiles"
    assert document["trace_id"] == format(context.trace_id, "032x")
    assert document["span_id"] == format(context.span_id, "016x")


def _wrapped(error: Exception) -> DBAPIError:
    return DBAPIError("statement", {}, error)


def test_infrastructure_failures_are_transient_and_data_failures_are_not() -> None:
    assert is_transient(ConnectionRefusedError())
    assert is_transient(OSError("socket gone"))
    assert is_transient(TimeoutError())
    assert is_transient(_wrapped(SerializationError("could not serialize access")))
    assert is_transient(_wrapped(DeadlockDetectedError("deadlock detected")))
    assert is_transient(_wrapped(CannotConnectNowError("the database system is starting up")))
    assert not is_transient(_wrapped(UniqueViolationError("duplicate key")))
    assert not is_transient(ValueError("bad data"))


def test_backoff_grows_exponentially_with_jitter_and_stays_capped() -> None:
    backoff = Backoff(initial_seconds=0.1, max_seconds=2.0)
    for attempt, ceiling in [(1, 0.1), (2, 0.2), (3, 0.4), (5, 1.6), (6, 2.0), (30, 2.0)]:
        delays = [backoff.delay(attempt) for _ in range(200)]
        assert all(ceiling / 2 <= delay <= ceiling for delay in delays)
        assert max(delays) - min(delays) > ceiling / 10
