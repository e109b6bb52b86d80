"""Exponential backoff with jitter: each pause is drawn between half and all of the capped delay."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass


@dataclass(frozen=True)
class Backoff:
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
