"""Backoff arithmetic for any attempt count, and supervision of long-lived tasks."""

from __future__ import annotations

import asyncio
import math
from datetime import UTC, datetime
from random import Random

import pytest

from tandem_common.retry import Backoff
from tandem_common.runtime.tasks import TaskSupervisor, succeeded
from tandem_profiles.entrypoints.jobs import ErasureJob
from tests.support.retry import RecordingBackoff

ATTEMPTS = (1, 2, 1024, 1025, 10**6, 10**9)


@pytest.mark.parametrize("attempt", ATTEMPTS)
def test_the_default_backoff_is_finite_and_within_its_bounds_for_any_attempt(attempt: int) -> None:
    backoff = Backoff()
    ceiling = {1: 0.2, 2: 0.4}.get(attempt, backoff.max_seconds)
    delays = [backoff.delay(attempt, Random(seed)) for seed in range(50)]
    assert all(math.isfinite(delay) and ceiling / 2 <= delay <= ceiling for delay in delays)


@pytest.mark.parametrize("attempt", ATTEMPTS)
@pytest.mark.parametrize(
    ("backoff", "longest"),
    [
        (Backoff(0.001, 3600.0, 10.0), 3600.0),
        (Backoff(1e-300, 1e300, 1e10), 1e300),
        # A multiplier of one never grows: the longest pause is the first one.
        (Backoff(5.0, 30.0, 1.0), 5.0),
    ],
    ids=["steep", "extreme", "flat"],
)
def test_any_backoff_shape_stays_finite_and_capped(backoff: Backoff, longest: float, attempt: int) -> None:
    delay = backoff.delay(attempt, Random(attempt))
    assert math.isfinite(delay)
    assert 0 < delay <= longest
    if attempt >= 1024:
        assert longest / 2 <= delay


def test_a_zero_backoff_never_pauses() -> None:
    assert [Backoff(0.0, 0.0).delay(attempt) for attempt in ATTEMPTS] == [0.0] * len(ATTEMPTS)


async def _until(condition, timeout: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.001)


async def test_a_task_that_fails_2000_times_in_a_row_is_still_restarted_and_then_runs() -> None:
    calls = 0
    running = asyncio.Event()

    async def flaky() -> None:
        nonlocal calls
        calls += 1
        if calls <= 2000:
            raise RuntimeError(f"failure {calls}")
        running.set()
        await asyncio.Event().wait()

    supervisor = TaskSupervisor(backoff=Backoff(0.0, 0.0))
    supervisor.start("flaky", flaky)
    try:
        await asyncio.wait_for(running.wait(), timeout=30)
        health = supervisor.health()["flaky"]
        assert calls == 2001
        assert (health.alive, health.restarts, health.failures, health.last_error) == (
            True,
            2000,
            2000,
            "RuntimeError",
        )
        assert supervisor.healthy()
    finally:
        await supervisor.stop()
    assert supervisor.health()["flaky"].alive is False


async def test_a_job_that_reports_success_starts_its_backoff_again_from_the_first_attempt() -> None:
    # One entry per pass of the job's loop: True succeeds, False raises.
    script = iter([False, False, False, True, True, False, False])
    done = asyncio.Event()

    async def periodic() -> None:
        while True:
            outcome = next(script, None)
            if outcome is None:
                done.set()
                await asyncio.Event().wait()
            if not outcome:
                raise ValueError("this pass failed")
            succeeded()
            await asyncio.sleep(0)

    backoff = RecordingBackoff()
    supervisor = TaskSupervisor(backoff=backoff)
    supervisor.start("periodic", periodic)
    try:
        await asyncio.wait_for(done.wait(), timeout=10)
        health = supervisor.health()["periodic"]
    finally:
        await supervisor.stop()
    assert backoff.asked == [1, 2, 3, 1, 2]
    assert (health.restarts, health.failures, health.last_error) == (5, 2, "ValueError")


async def test_a_task_that_stayed_up_past_the_stable_period_restarts_from_the_first_attempt() -> None:
    lifetimes = iter([0.0, 0.0, 0.15, 0.0])
    done = asyncio.Event()

    async def job() -> None:
        lifetime = next(lifetimes, None)
        if lifetime is None:
            done.set()
            await asyncio.Event().wait()
        await asyncio.sleep(lifetime or 0)
        raise OSError("gone")

    backoff = RecordingBackoff()
    supervisor = TaskSupervisor(backoff=backoff, stable_after_seconds=0.1)
    supervisor.start("job", job)
    try:
        await asyncio.wait_for(done.wait(), timeout=10)
    finally:
        await supervisor.stop()
    assert backoff.asked == [1, 2, 1, 2]


async def test_a_task_waiting_to_restart_is_reported_and_stop_does_not_wait_for_its_pause() -> None:
    async def broken() -> None:
        raise KeyError("missing")

    supervisor = TaskSupervisor(backoff=Backoff(60.0, 60.0))
    supervisor.start("broken", broken)
    await _until(lambda: supervisor.health()["broken"].failures == 1)
    health = supervisor.health()["broken"]
    assert (health.alive, health.restarts, health.last_error) == (False, 0, "KeyError")
    assert supervisor.healthy() is False
    async with asyncio.timeout(1):
        await supervisor.stop()
    assert supervisor.health()["broken"].restarts == 0


async def test_stop_lets_tasks_with_a_stop_signal_finish_and_cancels_the_others() -> None:
    signalled = asyncio.Event()
    finished: list[str] = []

    async def graceful() -> None:
        await signalled.wait()
        finished.append("graceful")

    async def endless() -> None:
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            finished.append("endless cancelled")
            raise

    supervisor = TaskSupervisor(backoff=Backoff(0.0, 0.0))
    supervisor.start("graceful", graceful, on_stop=signalled.set)
    supervisor.start("endless", endless)
    await _until(lambda: all(health.alive for health in supervisor.health().values()))
    async with asyncio.timeout(2):
        await supervisor.stop()
    assert sorted(finished) == ["endless cancelled", "graceful"]
    assert {name: health.alive for name, health in supervisor.health().items()} == {
        "graceful": False,
        "endless": False,
    }
    with pytest.raises(RuntimeError):
        supervisor.start("late", endless)


async def test_a_task_that_returns_is_finished_not_restarted_and_names_are_unique() -> None:
    runs = 0

    async def once() -> None:
        nonlocal runs
        runs += 1

    supervisor = TaskSupervisor(backoff=Backoff(0.0, 0.0))
    supervisor.start("once", once)
    with pytest.raises(ValueError):
        supervisor.start("once", once)
    await _until(lambda: runs == 1 and not supervisor.health()["once"].alive)
    await asyncio.sleep(0.01)
    assert runs == 1
    assert supervisor.healthy()
    await supervisor.stop()


async def test_the_erasure_loop_reports_each_successful_run_to_its_supervisor() -> None:
    outcomes = iter([False, False, True, False])
    done = asyncio.Event()

    async def run_once() -> int:
        outcome = next(outcomes, None)
        if outcome is None:
            done.set()
            await asyncio.Event().wait()
        if not outcome:
            raise ConnectionError("database away")
        return 0

    erasure = ErasureJob(lambda: None, source="tests", retention_days=1, clock=lambda: datetime.now(UTC))  # type: ignore[arg-type,return-value]
    erasure.run_once = run_once  # type: ignore[method-assign]
    backoff = RecordingBackoff()
    supervisor = TaskSupervisor(backoff=backoff)
    supervisor.start("erasure", lambda: erasure.run_periodically(0.0))
    try:
        await asyncio.wait_for(done.wait(), timeout=10)
    finally:
        await supervisor.stop()
    assert backoff.asked == [1, 2, 1]
