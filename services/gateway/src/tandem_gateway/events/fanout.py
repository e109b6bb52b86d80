"""Handing each consumed event to every subscriber that wants it, without waiting for any.

A subscriber is a bounded buffer. Publishing never awaits: an event either fits in a
subscriber's buffer or ends that subscriber with :class:`SubscriberTooSlow`, so one slow
client never holds up the others or the consumer that feeds them all.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Self

from tandem_common.events.registry import EventSchema


@dataclass(frozen=True, slots=True)
class HubEvent:
    """One event from ``matching.events`` or ``engagement.events``, decoded and validated."""

    type: str
    data: EventSchema
    # The event's own time (``ce_time``): what "older than the subscription" is judged by.
    time: datetime
    topic: str
    key: str | None = None
    traceparent: str | None = None
    # ``time.time()`` when the hub decoded it, for delivery latency figures.
    received_at: float = 0.0


Accept = Callable[[HubEvent], bool]


class SubscriberTooSlow(Exception):
    """A subscriber's buffer overflowed: it is ended, and ``reason`` says why."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class HubStopped(Exception):
    """The hub stopped while the subscription was open (the process is shutting down)."""


@dataclass(eq=False)
class Subscription:
    """An async iterator of the events one subscriber accepted since it subscribed.

    Events older than ``started_at`` are never delivered, so a replica that re-reads
    the end of a partition never replays history to a subscriber. Once it is ended
    (too slow, hub stopped), the next read raises the reason at once: the events still
    buffered are dropped, since a subscriber that fell behind is being closed anyway.
    """

    accept: Accept
    buffer: int
    started_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    _unsubscribe: Callable[[Subscription], None] | None = None
    _pending: deque[HubEvent] = field(default_factory=deque)
    _wake: asyncio.Event = field(default_factory=asyncio.Event)
    _ended: BaseException | None = None
    _closed: bool = False

    @property
    def pending(self) -> int:
        return len(self._pending)

    @property
    def open(self) -> bool:
        return not self._closed and self._ended is None

    def offer(self, event: HubEvent) -> bool:
        """Buffer ``event`` if accepted; False when the buffer overflowed (the caller ends it)."""
        if not self.open or event.time < self.started_at:
            return True
        try:
            accepted = self.accept(event)
        except Exception as error:
            # A filter that fails ends its own subscriber, never the hub's consumer.
            self.end(error)
            return True
        if not accepted:
            return True
        if len(self._pending) >= self.buffer:
            return False
        self._pending.append(event)
        self._wake.set()
        return True

    def end(self, error: BaseException) -> None:
        """End with ``error``: the next read raises it."""
        if not self.open:
            return
        self._ended = error
        self._pending.clear()
        self._wake.set()
        self._detach()

    def close(self) -> None:
        """Stop receiving (the client unsubscribed); the next read ends the iteration."""
        if self._closed:
            return
        self._closed = True
        self._pending.clear()
        self._wake.set()
        self._detach()

    def _detach(self) -> None:
        if self._unsubscribe is not None:
            unsubscribe, self._unsubscribe = self._unsubscribe, None
            unsubscribe(self)

    def __aiter__(self) -> Self:
        return self

    async def __anext__(self) -> HubEvent:
        while True:
            if self._closed:
                raise StopAsyncIteration
            if self._ended is not None:
                raise self._ended
            if self._pending:
                return self._pending.popleft()
            self._wake.clear()
            await self._wake.wait()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        self.close()


class Fanout:
    """The open subscriptions of one hub, and the non-blocking hand-out of events to them."""

    def __init__(self) -> None:
        self._subscriptions: set[Subscription] = set()
        self.too_slow = 0

    def __len__(self) -> int:
        return len(self._subscriptions)

    def subscribe(self, accept: Accept, *, buffer: int) -> Subscription:
        if buffer < 1:
            raise ValueError("a subscriber's buffer holds at least one event")
        subscription = Subscription(accept, buffer, _unsubscribe=self._subscriptions.discard)
        self._subscriptions.add(subscription)
        return subscription

    def publish(self, event: HubEvent) -> None:
        """Offer ``event`` to every subscriber; end the ones whose buffer is full."""
        overflowed = [s for s in list(self._subscriptions) if not s.offer(event)]
        for subscription in overflowed:
            self.too_slow += 1
            subscription.end(
                SubscriberTooSlow(f"the subscriber fell {subscription.buffer} events behind and was closed")
            )

    def end_all(self, error: BaseException) -> None:
        for subscription in list(self._subscriptions):
            subscription.end(error)
