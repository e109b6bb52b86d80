"""Supervision of a service's long-lived coroutines: the outbox relay, its listener, background jobs.

A task that raises is logged with its name and started again after a capped, jittered
pause, for as long as the process runs: nothing stops being done until a restart. The
count of consecutive failures, which sets the pause, starts again from zero when the
task reports a success (:func:`succeeded`, called by a periodic job after each good
pass) or when a run had stayed up for ``stable_after_seconds`` before it failed; so a
job that fails now and then over months always comes back after the shortest pause.

(Child *processes* of ``tandem up`` are supervised by :mod:`.supervisor`.)
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from dataclasses import dataclass

from tandem_common.retry import Backoff, FailedAttempt, Retrier, RetryStopped

log = logging.getLogger(__name__)

TaskBody = Callable[[], Awaitable[None]]

# Pauses of 0.25 s up to 30 s between restarts; a service runtime takes its own from
# ServiceSettings (task_restart_*), whose defaults these are.
DEFAULT_BACKOFF = Backoff(initial_seconds=0.5, max_seconds=30.0)


@dataclass(frozen=True)
class TaskHealth:
    alive: bool  # its coroutine is running now: not waiting to restart, not ended
    restarts: int  # over the task's lifetime
    failures: int  # in a row, since its last success
    last_error: str | None  # the type name of the latest exception, if any
    finished: bool  # it returned on its own (or was stopped); it is not restarted


class _Supervised:
    def __init__(
        self, name: str, body: TaskBody, on_stop: Callable[[], None] | None, retrier: Retrier
    ) -> None:
        self.name = name
        self.body = body
        self.on_stop = on_stop
        # Counts the failures in a row, which set the pause before the next restart.
        self.retrier = retrier
        self.task: asyncio.Task[None] | None = None
        self.alive = False
        self.finished = False
        self.restarts = 0
        self.started_at: float | None = None
        self.last_error: str | None = None

    @property
    def failures(self) -> int:
        return self.retrier.failures

    def health(self) -> TaskHealth:
        return TaskHealth(self.alive, self.restarts, self.failures, self.last_error, self.finished)


# The supervised task the current coroutine runs in; asyncio gives every task its own
# copy of the context, so a job reports for itself without holding any handle.
_current: ContextVar[_Supervised | None] = ContextVar("tandem_supervised_task", default=None)


def succeeded() -> None:
    """Report that the calling supervised task has just done a unit of work successfully.

    Its next failure is then retried after the shortest pause. Outside a supervised
    task this does nothing, so a job's loop also runs bare (in a test, say).
    """
    supervised = _current.get()
    if supervised is not None:
        supervised.retrier.reset()


class TaskSupervisor:
    """Runs named coroutines until :meth:`stop`, restarting any that raises."""

    def __init__(
        self,
        *,
        backoff: Backoff = DEFAULT_BACKOFF,
        stable_after_seconds: float = 60.0,
        grace_seconds: float = 10.0,
    ) -> None:
        self._backoff = backoff
        self._stable_after = stable_after_seconds
        self._grace = grace_seconds
        self._tasks: dict[str, _Supervised] = {}
        self._stopping = asyncio.Event()

    def start(self, name: str, body: TaskBody, *, on_stop: Callable[[], None] | None = None) -> None:
        """Run ``body()`` as task ``name``; a new call after each failure.

        ``on_stop`` asks the task to finish on its own (the relay ends its pass rather
        than leave a published batch unmarked); a task without one is cancelled.
        """
        if self._stopping.is_set():
            raise RuntimeError("the supervisor has been stopped")
        if name in self._tasks:
            raise ValueError(f"a task named {name!r} is already supervised")
        supervised = _Supervised(name, body, on_stop, self._retrier(name))
        self._tasks[name] = supervised
        supervised.task = asyncio.create_task(self._keep_running(supervised), name=name)

    def health(self) -> dict[str, TaskHealth]:
        return {name: supervised.health() for name, supervised in self._tasks.items()}

    def healthy(self) -> bool:
        """Every task is running, or has ended on its own; none is waiting to restart."""
        return all(supervised.alive or supervised.finished for supervised in self._tasks.values())

    async def stop(self) -> None:
        """Stop every task: signal or cancel, wait up to the grace period, then cancel."""
        self._stopping.set()
        for supervised in self._tasks.values():
            if supervised.on_stop is not None:
                supervised.on_stop()
            elif supervised.task is not None:
                supervised.task.cancel()
        tasks = [supervised.task for supervised in self._tasks.values() if supervised.task is not None]
        if not tasks:
            return
        _, late = await asyncio.wait(tasks, timeout=self._grace)
        for task in late:
            log.warning("supervised task did not stop in time; cancelling", extra={"task": task.get_name()})
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def _retrier(self, name: str) -> Retrier:
        retrier: Retrier

        def failed(error: Exception) -> None:
            supervised = self._tasks[name]
            supervised.alive = False
            supervised.last_error = type(error).__name__
            loop_time = asyncio.get_running_loop().time()
            if supervised.started_at is not None and loop_time - supervised.started_at >= self._stable_after:
                retrier.reset()

        def will_restart(failure: FailedAttempt) -> None:
            log.error(
                "supervised task failed; restarting",
                exc_info=failure.error,
                extra={"task": name, "failures": failure.number, "delay": round(failure.delay, 3)},
            )

        retrier = Retrier(
            self._backoff,
            # Every failure is restarted, except while the supervisor stops.
            is_retriable=lambda _: not self._stopping.is_set(),
            on_failure=failed,
            on_retry=will_restart,
            stop=self._stopping,
        )
        return retrier

    async def _keep_running(self, supervised: _Supervised) -> None:
        _current.set(supervised)
        try:
            # Returning on its own is a success (a one-off job that did its work); it
            # resets the failures and ends the task.
            await supervised.retrier.run(lambda: self._run_once(supervised))
        except RetryStopped:
            pass
        except Exception as error:
            log.warning(
                "supervised task failed while stopping",
                extra={"task": supervised.name, "error": repr(error)},
            )
        finally:
            supervised.alive = False
            supervised.finished = True

    async def _run_once(self, supervised: _Supervised) -> None:
        if supervised.started_at is not None:
            supervised.restarts += 1
        supervised.started_at = asyncio.get_running_loop().time()
        supervised.alive = True
        await supervised.body()
