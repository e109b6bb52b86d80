"""An employee's profile as this service keeps it: the aggregate every use case loads.

It joins the HR record (folded from the HR log, ``employee.py``) and the mentoring
profile the employee edits (``mentoring.py``), with the version that every published
snapshot carries, whether erasure has run, and how far in the HR log the record is
folded.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from .employee import EmployeeRecord, OrderKey
from .mentoring import MentoringProfile, validate_write
from .taxonomy import SkillTaxonomy


class EmployeeDepartedError(Exception):
    """Departed (or erased) employees' mentoring profiles are read-only."""


@dataclass(frozen=True, slots=True)
class StoredEmployee:
    record: EmployeeRecord
    version: int
    mentoring: MentoringProfile
    erased: bool = False
    # The order key of the last HR event folded into ``record``; None when unknown.
    hr_position: OrderKey | None = None

    @property
    def read_only(self) -> bool:
        return self.erased or self.record.status == "departed"

    def edit_mentoring(self, write: Mapping[str, Any], taxonomy: SkillTaxonomy) -> StoredEmployee:
        """The profile after the employee's mentoring ``write``: this very object when the
        write changes nothing, otherwise the next version.

        Raises ``EmployeeDepartedError`` before looking at the write (a departed
        employee's profile is read-only whatever the write holds), then
        ``MentoringProfileInvalid`` listing every bad field.
        """
        if self.read_only:
            raise EmployeeDepartedError(self.record.employee_id)
        mentoring = validate_write(write, taxonomy, self.mentoring)
        if mentoring == self.mentoring:
            return self
        return replace(self, mentoring=mentoring, version=self.version + 1)
