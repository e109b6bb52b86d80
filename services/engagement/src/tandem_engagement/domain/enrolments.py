"""Enrolments: who takes part in each program, as ``matching.events`` tells.

Matching publishes every change of an enrolment (``enrolment.changed.v1``, keyed by
the program, so a program's changes arrive in order). The read model keeps the latest
change of each person in each program: the one with the latest ``changed_at``, the
later delivery on a tie.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

EnrolmentStatus = Literal["enrolled", "withdrawn"]
EnrolmentKey = tuple[str, str]


@dataclass(frozen=True, slots=True)
class Enrolment:
    program_id: str
    employee_id: str
    roles: tuple[str, ...]
    status: EnrolmentStatus
    changed_at: datetime

    @property
    def key(self) -> EnrolmentKey:
        return (self.program_id, self.employee_id)

    def supersedes(self, held: Enrolment | None) -> bool:
        """Whether this change is at least as recent as ``held``."""
        return held is None or self.changed_at >= held.changed_at


def latest(enrolments: Iterable[Enrolment]) -> dict[EnrolmentKey, Enrolment]:
    """The latest change of each (program, person) among ``enrolments``, in delivery order."""
    found: dict[EnrolmentKey, Enrolment] = {}
    for enrolment in enrolments:
        if enrolment.supersedes(found.get(enrolment.key)):
            found[enrolment.key] = enrolment
    return found
