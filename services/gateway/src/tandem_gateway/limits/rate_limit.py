"""Rate limiting per viewer: a token bucket charged by each operation's computed cost.

Each viewer has a bucket of ``capacity`` tokens that refills at
``refill_per_second``; an operation takes as many tokens as its cost
(``check.py``). When the bucket holds fewer, nothing is taken and ``charge`` answers
the seconds until it will hold enough: the HTTP layer answers 429 with
``Retry-After: ceil(wait)`` (``retry_after``). An operation whose cost is above the
capacity can never pass: ``charge`` answers ``math.inf`` (``NEVER``), and
``retry_after`` turns that into a day. With graphql.md's cost limit of 10,000 below
the default capacity of 50,000 this only happens when the settings disagree.

Memory stays bounded: a bucket that has refilled to full is the same as no bucket,
so buckets are dropped once full, in a sweep that runs on access at most once per
full-refill time (``capacity / refill_per_second``); only viewers active within that
time hold memory.

State is per replica: with N replicas a viewer may spend up to N buckets. The path to
a shared budget is the ``CostBudget`` protocol below, which the HTTP layer depends
on. A shared implementation keeps the same interface and stores the bucket in Redis
(or any store with atomic scripts): a Lua script per charge does the same arithmetic
as ``charge`` atomically (or GCRA: one key per viewer holding the "theoretical
arrival time", ``tat = max(tat, now) + cost / rate``, allowed while
``tat - now <= capacity / rate``), with the key expiring after a full-refill time so
that memory stays bounded there too, and the clock taken from the store so replicas
agree on it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Protocol

from tandem_gateway.settings import GatewaySettings

NEVER = math.inf
MAX_RETRY_AFTER_SECONDS = 86_400


class CostBudget(Protocol):
    """What the HTTP layer asks before running an operation: the seconds to wait, or None."""

    async def acquire(self, viewer_id: str, cost: int, now: float) -> float | None: ...


@dataclass(slots=True)
class _Bucket:
    tokens: float
    updated_at: float


class RateLimiter:
    """A token bucket per viewer, in this replica's memory (a ``CostBudget``)."""

    def __init__(self, capacity: float, refill_per_second: float) -> None:
        if capacity <= 0 or refill_per_second <= 0:
            raise ValueError("capacity and refill_per_second must be positive")
        self.capacity = capacity
        self.refill_per_second = refill_per_second
        self._buckets: dict[str, _Bucket] = {}
        self._full_refill_seconds = capacity / refill_per_second
        self._last_sweep: float | None = None

    @classmethod
    def from_settings(cls, settings: GatewaySettings) -> RateLimiter:
        return cls(settings.rate_limit_capacity, settings.rate_limit_refill_per_second)

    def charge(self, viewer_id: str, cost: int, now: float) -> float | None:
        """Take ``cost`` tokens from the viewer's bucket at time ``now`` (seconds, monotonic).

        None: taken, the operation may run. A float: nothing taken; the seconds until
        the bucket holds ``cost`` tokens (``NEVER`` when ``cost`` exceeds the capacity).
        """
        self._sweep(now)
        if cost > self.capacity:
            return NEVER
        bucket = self._buckets.get(viewer_id)
        tokens = self.capacity if bucket is None else self._level(bucket, now)
        if tokens >= cost:
            if bucket is None:
                self._buckets[viewer_id] = _Bucket(tokens - cost, now)
            else:
                bucket.tokens, bucket.updated_at = tokens - cost, max(now, bucket.updated_at)
            return None
        return (cost - tokens) / self.refill_per_second

    async def acquire(self, viewer_id: str, cost: int, now: float) -> float | None:
        """``charge`` behind the ``CostBudget`` interface."""
        return self.charge(viewer_id, cost, now)

    def tokens(self, viewer_id: str, now: float) -> float:
        """The tokens the viewer's bucket holds at ``now``."""
        bucket = self._buckets.get(viewer_id)
        return self.capacity if bucket is None else self._level(bucket, now)

    @property
    def tracked(self) -> int:
        """How many buckets are held in memory."""
        return len(self._buckets)

    def _level(self, bucket: _Bucket, now: float) -> float:
        # A clock that steps back refills nothing (and takes nothing back).
        elapsed = max(0.0, now - bucket.updated_at)
        return min(self.capacity, bucket.tokens + elapsed * self.refill_per_second)

    def _sweep(self, now: float) -> None:
        if self._last_sweep is not None and now - self._last_sweep < self._full_refill_seconds:
            return
        self._last_sweep = now
        buckets = self._buckets.items()
        full = [viewer for viewer, bucket in buckets if self._level(bucket, now) >= self.capacity]
        for viewer in full:
            del self._buckets[viewer]


def retry_after(wait: float) -> int:
    """The ``Retry-After`` header's whole seconds for a wait: at least 1, at most a day."""
    if math.isinf(wait) or wait >= MAX_RETRY_AFTER_SECONDS:
        return MAX_RETRY_AFTER_SECONDS
    return max(1, math.ceil(wait))
