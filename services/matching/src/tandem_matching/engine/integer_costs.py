"""OR-Tools' network solvers take integer costs, so float weights are scaled to integers.

A solver may find the scaled costs too large for its price range; the weights are
then scaled again, coarser, until they fit.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

Kept = TypeVar("Kept")

# Below this the weights would lose every distinction worth making.
_COARSEST_RESOLUTION = 10


def solve_coarsening(
    attempt: Callable[[float], tuple[object, Kept]],
    resolution: float,
    *,
    factor: float,
    solved: object,
    too_large: object,
    what: str,
) -> Kept:
    """What ``attempt`` keeps from the first attempt whose solver status is ``solved``.

    ``attempt(resolution)`` scales the weights to ``resolution`` units of the largest,
    solves, and returns the status with what the caller needs afterwards. While the
    status is ``too_large`` the next attempt is ``factor`` times coarser; any other
    status is an error.
    """
    while True:
        status, kept = attempt(resolution)
        if status == solved:
            return kept
        if status != too_large or resolution <= _COARSEST_RESOLUTION:
            raise RuntimeError(f"{what} failed with status {status}")
        resolution /= factor
