"""Exponential backoff with jitter: each pause is drawn between half and all of the capped delay."""

from __future__ import annotations

import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
    initial_seconds: float = 0.2
    max_seconds: float = 10.0
    multiplier: float = 2.0

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """The pause before retry number ``attempt`` (1-based), jittered so replicas spread out."""
        ceiling = min(self.max_seconds, self.initial_seconds * self.multiplier ** (attempt - 1))
        return (rng or random).uniform(ceiling / 2, ceiling)
