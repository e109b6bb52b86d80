"""Retry test doubles."""

from __future__ import annotations

from dataclasses import dataclass, field
from random import Random

from tandem_common.retry import Backoff


@dataclass(frozen=True)
class RecordingBackoff(Backoff):
    """No pause at all; remembers which attempt number each pause or restart asked about."""

    asked: list[int] = field(default_factory=list)

    def delay(self, attempt: int, rng: Random | None = None) -> float:
        self.asked.append(attempt)
        return 0.0
