"""Retrying with backoff: the pause arithmetic (:class:`Backoff`) and the one retry loop (:class:`Retrier`).

Every loop of the backbone that waits out a failure (the consumer's transactions and
dead letters, the outbox relay and its listener, start-up, restarting a consuming
task, the task supervisor) runs through :class:`Retrier`, so they all count attempts,
pause, stop and give up the same way. What counts as retriable is the caller's to
say; by default it is the one classifier, :func:`tandem_common.db.errors.is_transient`.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from tandem_common.db.errors import is_transient

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter: each pause is drawn between half and all of the capped delay."""

    initial_seconds: float = 0.2
    max_seconds: float = 10.0
    multiplier: float = 2.0

    def __post_init__(self) -> None:
        if not (self.initial_seconds >= 0 and 0 <= self.max_seconds < math.inf and self.multiplier > 0):
            raise ValueError(f"not a usable backoff: {self}")

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """The pause before retry number ``attempt`` (1-based), jittered so replicas spread out."""
        ceiling = self.ceiling(attempt)
        return (rng or random).uniform(ceiling / 2, ceiling)

    def ceiling(self, attempt: int) -> float:
        """The longest pause before retry ``attempt``; finite for any attempt count.

        The exponent stops growing once the delay has reached ``max_seconds``: past
        that point a larger power changes nothing but would overflow a float after
        about a thousand doublings, and an outage can last that many attempts.
        """
        initial = min(self.initial_seconds, self.max_seconds)
        if attempt <= 1 or initial <= 0 or self.multiplier <= 1.0:
            return initial
        # Logs of each bound rather than of their ratio, which can itself overflow;
        # one more than the exponent that reaches the cap, against rounding.
        growth = (math.log(self.max_seconds) - math.log(initial)) / math.log(self.multiplier)
        exponent = min(attempt - 1, math.ceil(growth) + 1)
        try:
            grown = initial * self.multiplier**exponent
        except OverflowError:
            # A tiny initial delay with a huge multiplier: the power alone leaves the
            # float range while the product would not; the cap applies either way.
            return self.max_seconds
        return min(self.max_seconds, grown)


class RetryStopped(Exception):
    """The retrier was told to stop while it waited to try again; ``__cause__`` is the last failure."""


@dataclass(frozen=True, slots=True)
class FailedAttempt:
    """A failure that is about to be retried, as the ``on_retry`` hook sees it."""

    error: Exception
    # Failures in a row, 1-based: the attempt number the backoff was asked about.
    number: int
    # The pause before the next try.
    delay: float


# Waits ``seconds`` before the next try; False means stop instead.
Pause = Callable[[float], Awaitable[bool]]


class Retrier:
    """Runs an operation until it succeeds, pausing with backoff between tries.

    After a failure, in this order:

    - ``on_failure(error)`` is called, for every failure (readiness, bookkeeping);
    - the error is raised at once unless ``is_retriable(error)``, or when the retrier
      gives up: at the ``give_up_after``-th failure in a row, or once more than
      ``give_up_after_seconds`` have passed since :meth:`run` began;
    - ``failures`` grows by one and the pause is ``backoff.delay(failures)``;
    - ``on_retry(FailedAttempt)`` is called (logs, metrics);
    - the retrier pauses; if it is told to stop meanwhile it raises
      :class:`RetryStopped` from the failure.

    ``failures`` counts failures in a row: it goes back to zero when the operation
    succeeds or :meth:`reset` is called (by an operation that runs for long, once it
    is up). The pause waits on ``stop`` (an event that ends it early and stops), or
    is ``pause``, or is a plain sleep. Only ``Exception`` is caught: cancellation
    always goes through.
    """

    def __init__(
        self,
        backoff: Backoff,
        *,
        is_retriable: Callable[[Exception], bool] = is_transient,
        on_failure: Callable[[Exception], None] | None = None,
        on_retry: Callable[[FailedAttempt], None] | None = None,
        stop: asyncio.Event | None = None,
        pause: Pause | None = None,
        give_up_after: int | None = None,
        give_up_after_seconds: float | None = None,
    ) -> None:
        if stop is not None and pause is not None:
            raise ValueError("a retrier pauses on its stop event or with its own pause, not both")
        if give_up_after is not None and give_up_after < 1:
            raise ValueError("give_up_after counts failures; it must be at least 1")
        self.backoff = backoff
        self._is_retriable = is_retriable
        self._on_failure = on_failure
        self._on_retry = on_retry
        self._pause = pause or (_stop_event_pause(stop) if stop is not None else _sleep)
        self._give_up_after = give_up_after
        self._give_up_after_seconds = give_up_after_seconds
        self.failures = 0

    def reset(self) -> None:
        """Count failures from zero again: the next pause is the shortest one."""
        self.failures = 0

    async def pause(self) -> bool:
        """The pause that follows the latest failure, outside :meth:`run`; False means stop."""
        return await self._pause(self.backoff.delay(self.failures))

    async def run(self, operation: Callable[[], Awaitable[T]]) -> T:
        """``operation()``'s result, once a try succeeds."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        while True:
            try:
                result = await operation()
            except Exception as error:
                if self._on_failure is not None:
                    self._on_failure(error)
                if not self._is_retriable(error) or self._gives_up(loop.time() - started):
                    raise
                self.failures += 1
                delay = self.backoff.delay(self.failures)
                if self._on_retry is not None:
                    self._on_retry(FailedAttempt(error, self.failures, delay))
                if not await self._pause(delay):
                    raise RetryStopped() from error
            else:
                self.failures = 0
                return result

    def _gives_up(self, elapsed: float) -> bool:
        if self._give_up_after is not None and self.failures + 1 >= self._give_up_after:
            return True
        return self._give_up_after_seconds is not None and elapsed > self._give_up_after_seconds


async def _sleep(seconds: float) -> bool:
    await asyncio.sleep(seconds)
    return True


def _stop_event_pause(stop: asyncio.Event) -> Pause:
    async def pause(seconds: float) -> bool:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), timeout=seconds)
        return not stop.is_set()

    return pause
