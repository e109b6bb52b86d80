"""The one retry loop: what it retries, how it counts, pauses, stops and gives up."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

import pytest

from tandem_common.retry import Backoff, FailedAttempt, Retrier, RetryStopped
from tests.support.retry import RecordingBackoff


def _failing(errors: list[Exception], result: str = "done") -> tuple[Callable[[], Awaitable[str]], list[int]]:
    """An operation that raises ``errors`` one per call, then returns ``result``."""
    calls: list[int] = []

    async def operation() -> str:
        calls.append(len(calls) + 1)
        if errors:
            raise errors.pop(0)
        return result

    return operation, calls


async def test_transient_failures_are_retried_until_the_operation_succeeds() -> None:
    backoff = RecordingBackoff()
    operation, calls = _failing([ConnectionRefusedError(), TimeoutError(), OSError("gone")])

    assert await Retrier(backoff).run(operation) == "done"
    assert len(calls) == 4
    assert backoff.asked == [1, 2, 3]


async def test_any_other_failure_is_raised_at_once() -> None:
    backoff = RecordingBackoff()
    operation, calls = _failing([ValueError("a bug, not an outage")])

    with pytest.raises(ValueError, match="a bug"):
        await Retrier(backoff).run(operation)
    assert len(calls) == 1
    assert backoff.asked == []


async def test_the_caller_decides_what_is_retriable() -> None:
    operation, calls = _failing([KeyError("k"), KeyError("k")])

    retrier = Retrier(RecordingBackoff(), is_retriable=lambda error: isinstance(error, KeyError))
    assert await retrier.run(operation) == "done"
    assert len(calls) == 3


async def test_hooks_see_every_failure_and_each_retry_with_its_number_and_pause() -> None:
    failures: list[str] = []
    retries: list[FailedAttempt] = []
    first, second = ConnectionResetError(), ValueError("bad")
    operation, _ = _failing([first, second])

    retrier = Retrier(
        Backoff(0.0, 0.0),
        on_failure=lambda error: failures.append(type(error).__name__),
        on_retry=retries.append,
    )
    with pytest.raises(ValueError):
        await retrier.run(operation)
    # on_failure sees the failure that is raised too; on_retry only the retried one.
    assert failures == ["ConnectionResetError", "ValueError"]
    assert retries == [FailedAttempt(first, 1, 0.0)]


async def test_the_attempt_numbers_given_to_the_backoff_are_the_failures_in_a_row() -> None:
    backoff = RecordingBackoff()
    operation, _ = _failing([OSError()] * 6)

    await Retrier(backoff).run(operation)
    assert backoff.asked == [1, 2, 3, 4, 5, 6]


async def test_it_gives_up_at_the_nth_failure_in_a_row() -> None:
    backoff = RecordingBackoff()
    operation, calls = _failing([OSError("1"), OSError("2"), OSError("3"), OSError("4")])

    with pytest.raises(OSError, match="3"):
        await Retrier(backoff, give_up_after=3).run(operation)
    assert len(calls) == 3
    assert backoff.asked == [1, 2]


async def test_it_gives_up_once_its_time_is_over() -> None:
    calls = 0

    async def never_available() -> None:
        nonlocal calls
        calls += 1
        raise ConnectionRefusedError()

    retrier = Retrier(Backoff(0.02, 0.02), give_up_after_seconds=0.1)
    async with asyncio.timeout(5):
        with pytest.raises(ConnectionRefusedError):
            await retrier.run(never_available)
    assert calls >= 2


async def test_the_stop_event_ends_a_long_pause_and_stops_with_the_last_failure() -> None:
    stop = asyncio.Event()
    error = ConnectionRefusedError("database away")
    operation, calls = _failing([error])

    retrier = Retrier(Backoff(60.0, 60.0), stop=stop, on_retry=lambda _: stop.set())
    async with asyncio.timeout(5):
        with pytest.raises(RetryStopped) as stopped:
            await retrier.run(operation)
    assert stopped.value.__cause__ is error
    assert len(calls) == 1


async def test_a_pause_of_its_own_stops_the_retrier_by_answering_false() -> None:
    pauses: list[float] = []

    async def pause(seconds: float) -> bool:
        pauses.append(seconds)
        return len(pauses) < 2

    operation, calls = _failing([OSError()] * 5)
    with pytest.raises(RetryStopped):
        await Retrier(Backoff(0.0, 0.0), pause=pause).run(operation)
    assert len(calls) == 2
    assert pauses == [0.0, 0.0]


async def test_success_resets_the_count_so_the_next_run_starts_from_the_first_pause() -> None:
    backoff = RecordingBackoff()
    retrier = Retrier(backoff)

    first, _ = _failing([OSError(), OSError()])
    await retrier.run(first)
    assert retrier.failures == 0
    second, _ = _failing([OSError()])
    await retrier.run(second)
    assert backoff.asked == [1, 2, 1]


async def test_reset_from_inside_a_long_running_operation_restarts_the_count() -> None:
    backoff = RecordingBackoff()
    retrier = Retrier(backoff)
    script = iter(["fail", "connect then fail", "succeed"])

    async def session() -> None:
        step = next(script)
        if step == "connect then fail":
            retrier.reset()  # it was up for a while: its next failure is a new one
        if step != "succeed":
            raise OSError(step)

    await retrier.run(session)
    assert backoff.asked == [1, 1]


async def test_the_pause_method_waits_as_after_the_latest_failure() -> None:
    backoff = RecordingBackoff()
    retrier = Retrier(backoff)
    retrier.failures = 4

    assert await retrier.pause()
    assert backoff.asked == [4]


async def test_cancellation_is_never_retried() -> None:
    started = asyncio.Event()

    async def waits_forever() -> None:
        started.set()
        await asyncio.Event().wait()

    retrier = Retrier(RecordingBackoff(), is_retriable=lambda _: True)
    task = asyncio.create_task(retrier.run(waits_forever))
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert retrier.failures == 0


def test_settings_that_cannot_work_are_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        Retrier(Backoff(), give_up_after=0)
    with pytest.raises(ValueError, match="not both"):
        Retrier(Backoff(), stop=asyncio.Event(), pause=lambda _: asyncio.sleep(0, True))
