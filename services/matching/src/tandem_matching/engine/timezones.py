"""Working-hours overlap between IANA time zones.

Each person works 09:00-17:00 local time. The UTC offset of a zone is read on two fixed
reference dates, 15 January and 15 July 2026, one in each daylight-saving season, and
the overlap of two zones is the smaller of the two days' overlaps, so that it holds all
year round (up to the few weeks when only one hemisphere has switched clocks).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

WORKDAY_START_HOUR = 9.0
WORKDAY_HOURS = 8.0
REFERENCE_DATES = (datetime(2026, 1, 15, 12, tzinfo=UTC), datetime(2026, 7, 15, 12, tzinfo=UTC))


def utc_offsets_hours(zone: str) -> tuple[float, ...]:
    """Offsets of `zone` on the reference dates; raises KeyError for an unknown zone."""
    try:
        info = ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise KeyError(zone) from None
    offsets = []
    for moment in REFERENCE_DATES:
        offset = moment.astimezone(info).utcoffset()
        offsets.append(offset.total_seconds() / 3600.0 if offset is not None else 0.0)
    return tuple(offsets)


def overlap_hours(offsets_a: Sequence[float], offsets_b: Sequence[float]) -> float:
    """Hours of overlap of the two local working days, the smaller over reference dates."""
    worst = WORKDAY_HOURS
    for a, b in zip(offsets_a, offsets_b, strict=True):
        difference = abs(a - b) % 24.0
        difference = min(difference, 24.0 - difference)
        worst = min(worst, max(0.0, WORKDAY_HOURS - difference))
    return worst


def overlap_matrix(zone_offsets: Sequence[Sequence[float]]) -> npt.NDArray[np.float64]:
    """Overlap hours for every pair of the given zones (zones x zones, symmetric)."""
    offsets = np.asarray(zone_offsets, dtype=np.float64).reshape(len(zone_offsets), -1)
    worst = np.full((offsets.shape[0], offsets.shape[0]), WORKDAY_HOURS)
    for column in range(offsets.shape[1]):
        difference = np.abs(offsets[:, column, None] - offsets[None, :, column]) % 24.0
        difference = np.minimum(difference, 24.0 - difference)
        worst = np.minimum(worst, np.maximum(0.0, WORKDAY_HOURS - difference))
    return worst
