"""Retention per department, country and seniority band, with small groups hidden.

A group is shown only when it has at least ``min_group`` participants and at least
``min_group`` people who never participated; otherwise it is reported as suppressed.
Hiding one group is not enough when the total is published: the hidden count would be
the total minus the groups shown. So within each dimension, while the hidden groups
are a single group, or hide fewer than ``min_group`` participants or non-participants
between them, the next smallest group is hidden too (complementary suppression).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tandem_engagement.outcomes.cohort import BoolArray, IntArray
from tandem_engagement.outcomes.kaplan_meier import Retention

SENIORITY_BANDS = ((1, 3, "1-3"), (4, 6, "4-6"), (7, 8, "7-8"), (9, 10, "9-10"))
TWELVE_MONTHS = 365


def seniority_band(level: int) -> str:
    return next(label for low, high, label in SENIORITY_BANDS if low <= level <= high)


@dataclass(frozen=True)
class GroupSize:
    value: str
    participants: int
    non_participants: int

    @property
    def smaller(self) -> int:
        return min(self.participants, self.non_participants)


def suppressed(sizes: Sequence[GroupSize], min_group: int) -> set[str]:
    """The values to hide: the small groups, and their complements when needed."""
    hidden = {size.value for size in sizes if size.smaller < min_group}
    # Smallest first; the value breaks ties, so the choice never depends on input order.
    candidates = sorted(
        (size for size in sizes if size.value not in hidden), key=lambda s: (s.smaller, s.value)
    )

    def still_derivable() -> bool:
        chosen = [size for size in sizes if size.value in hidden]
        return bool(chosen) and (
            len(chosen) < 2
            or sum(size.participants for size in chosen) < min_group
            or sum(size.non_participants for size in chosen) < min_group
        )

    while candidates and still_derivable():
        hidden.add(candidates.pop(0).value)
    return hidden


@dataclass(frozen=True)
class Membership:
    """Per observed person: the group's value, and their two retention clocks."""

    participant: BoolArray
    participant_duration: IntArray
    participant_event: BoolArray
    non_participant_duration: IntArray  # zero when they joined on their first day
    non_participant_event: BoolArray


def breakdown(
    by: str, values: Sequence[str], codes: IntArray, people: Membership, min_group: int
) -> list[dict[str, object]]:
    """One row per value of ``by`` (sorted by value): counts and 12-month retention, or suppressed."""
    sizes: list[GroupSize] = []
    members: dict[str, IntArray] = {}
    for code in np.unique(codes):
        rows = np.flatnonzero(codes == code)
        value = values[int(code)]
        joined_count = int(np.count_nonzero(people.participant[rows]))
        members[value] = rows
        sizes.append(GroupSize(value, joined_count, rows.size - joined_count))
    hidden = suppressed(sizes, min_group)
    output: list[dict[str, object]] = []
    for size in sorted(sizes, key=lambda s: s.value):
        if size.value in hidden:
            output.append({"by": by, "value": size.value, "suppressed": True})
            continue
        rows = members[size.value]
        joined = rows[people.participant[rows]]
        before = rows[people.non_participant_duration[rows] > 0]
        joined_retention = Retention(people.participant_duration[joined], people.participant_event[joined])
        others = Retention(people.non_participant_duration[before], people.non_participant_event[before])
        output.append(
            {
                "by": by,
                "value": size.value,
                "participants": size.participants,
                "retention_12m": {
                    "participants": _rounded(joined_retention.at(TWELVE_MONTHS, min_group)),
                    "non_participants": _rounded(others.at(TWELVE_MONTHS, min_group)),
                },
            }
        )
    return output


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)
