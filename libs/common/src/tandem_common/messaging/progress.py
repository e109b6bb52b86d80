"""How far behind a subscriber is: lag in records and the age of its oldest unprocessed record.

Both are exported as observable gauges, read at scrape time:

- ``tandem_consumer_lag{subscriber,topic,partition}``: the partition's high watermark,
  as the last fetch reported it, minus the next offset to process. The embedded tansu
  broker reports the base offset of the last record batch as the high watermark, not
  the end of the partition, so there the figure is a lower bound (README, "The
  embedded default").
- ``tandem_consumer_oldest_unprocessed_age_seconds{subscriber,topic}``: now minus the
  timestamp of the oldest record handed to the subscriber and not yet durable. It
  does not depend on watermarks, so it is right on every broker, and it keeps growing
  while a batch is retried or the consuming task is down.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterable, Mapping, Sequence
from functools import cache
from typing import Any

from opentelemetry.metrics import CallbackOptions, Observation

from tandem_common.telemetry.setup import meter


class ConsumerProgress:
    """Positions of one subscriber, updated by its consumer and read by the gauges."""

    def __init__(self, subscriber: str, topic: str) -> None:
        self.subscriber = subscriber
        self.topic = topic
        self._lock = threading.Lock()
        self._next_offsets: dict[int, int] = {}
        self._highwaters: dict[int, int] = {}
        self._pending_since: float | None = None
        _observed().add(self)

    def batch_received(self, records: Sequence[Any]) -> None:
        """Records are in hand; the oldest one's age counts from its timestamp."""
        stamps = [record.timestamp for record in records if getattr(record, "timestamp", None)]
        oldest = min(stamps) / 1000.0 if stamps else time.time()
        with self._lock:
            if self._pending_since is None or oldest < self._pending_since:
                self._pending_since = oldest

    def batch_done(self, records: Sequence[Any]) -> None:
        """Every record of the batch is durable (applied, duplicate or dead-lettered)."""
        with self._lock:
            for record in records:
                following = record.offset + 1
                if following > self._next_offsets.get(record.partition, -1):
                    self._next_offsets[record.partition] = following
            self._pending_since = None

    def highwaters_seen(self, highwaters: Mapping[int, int]) -> None:
        with self._lock:
            self._highwaters.update(highwaters)

    def lag(self) -> dict[int, int]:
        with self._lock:
            return {
                partition: max(0, highwater - self._next_offsets.get(partition, highwater))
                for partition, highwater in self._highwaters.items()
            }

    def oldest_unprocessed_age(self, now: float | None = None) -> float:
        with self._lock:
            if self._pending_since is None:
                return 0.0
            return max(0.0, (now or time.time()) - self._pending_since)


@cache
def _observed() -> weakref.WeakSet[ConsumerProgress]:
    observed: weakref.WeakSet[ConsumerProgress] = weakref.WeakSet()
    m = meter()
    m.create_observable_gauge(
        "tandem_consumer_lag",
        callbacks=[lambda options: _lag_observations(observed, options)],
        description="Records behind the high watermark per partition (a lower bound on tansu)",
    )
    m.create_observable_gauge(
        "tandem_consumer_oldest_unprocessed_age",
        unit="s",
        callbacks=[lambda options: _age_observations(observed, options)],
        description="Age of the oldest record received and not yet durable",
    )
    return observed


def _lag_observations(observed: Iterable[ConsumerProgress], _: CallbackOptions) -> list[Observation]:
    return [
        Observation(lag, {"subscriber": p.subscriber, "topic": p.topic, "partition": str(partition)})
        for p in list(observed)
        for partition, lag in p.lag().items()
    ]


def _age_observations(observed: Iterable[ConsumerProgress], _: CallbackOptions) -> list[Observation]:
    return [
        Observation(p.oldest_unprocessed_age(), {"subscriber": p.subscriber, "topic": p.topic})
        for p in list(observed)
    ]
