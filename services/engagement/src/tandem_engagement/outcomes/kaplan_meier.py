"""Kaplan-Meier retention: the share still employed (no voluntary exit) after so many days.

A descriptive companion to the hazard ratio, unadjusted. Each group's clock starts when
a person enters it: participants on their first match's start, non-participants when
their observation starts; a non-participant who joins leaves the non-participant
curve on that day, censored. Other exits and the as-of date censor.

The curve is reported at fixed checkpoints only, and only where at least ``min_at_risk``
people are still followed, so no step of it can be traced to a handful of people.
"""

from __future__ import annotations

import numpy as np

from tandem_engagement.outcomes.cohort import BoolArray, IntArray

CHECKPOINT_DAYS = (30, 90, 180, *(365 * years for years in range(1, 11)))


class Retention:
    """The product-limit estimator of one group: durations in days, exits as events."""

    def __init__(self, duration: IntArray, event: BoolArray) -> None:
        self._ordered = np.sort(duration)
        self._exit_days, exits = np.unique(duration[event], return_counts=True)
        at_risk = self._ordered.size - np.searchsorted(self._ordered, self._exit_days, side="left")
        self._retained = np.cumprod(1.0 - exits / at_risk)

    def followed(self, days: int) -> int:
        """How many people are still followed (at risk) on day ``days``."""
        return int(self._ordered.size - np.searchsorted(self._ordered, days, side="left"))

    def at(self, days: int, min_at_risk: int) -> float | None:
        """Retention after ``days``; None when fewer than ``min_at_risk`` (at least 1) are followed."""
        if self.followed(days) < max(min_at_risk, 1):
            return None
        steps = int(np.searchsorted(self._exit_days, days, side="right"))
        return 1.0 if steps == 0 else float(self._retained[steps - 1])

    def curve(self, min_at_risk: int) -> list[dict[str, float | int]]:
        """Retention at each checkpoint that still has ``min_at_risk`` people followed."""
        points: list[dict[str, float | int]] = []
        for days in CHECKPOINT_DAYS:
            retained = self.at(days, min_at_risk)
            if retained is None:
                break
            points.append({"days": days, "retained": round(retained, 4)})
        return points
