"""Employees edit their own mentoring profile; every effective write publishes a snapshot."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

from tandem_common.db.unit_of_work import UnitOfWork
from tandem_common.outbox.writer import OutgoingEvent, publish_later
from tandem_profiles.adapters.employee_repository import EmployeeRepository, StoredEmployee
from tandem_profiles.domain.mentoring import validate_write
from tandem_profiles.domain.taxonomy import SkillTaxonomy
from tandem_profiles.service.snapshots import snapshot_event, snapshot_id


class EmployeeNotFoundError(LookupError):
    pass


class EmployeeDepartedError(Exception):
    """Departed (or erased) employees' mentoring profiles are read-only."""


class MentoringProfiles:
    def __init__(self, unit_of_work: Callable[[], UnitOfWork], taxonomy: SkillTaxonomy, source: str) -> None:
        self._unit_of_work = unit_of_work
        self._taxonomy = taxonomy
        self._source = source

    async def update(self, employee_id: str, raw: Mapping[str, Any]) -> StoredEmployee:
        """Validate and apply one write; raises ``MentoringProfileInvalid`` and changes nothing."""
        async with self._unit_of_work() as uow:
            repository = EmployeeRepository(uow.session)
            found = (await repository.load([employee_id], for_update=True)).get(employee_id)
            if found is None:
                raise EmployeeNotFoundError(employee_id)
            if found.erased or found.record.status == "departed":
                raise EmployeeDepartedError(employee_id)
            mentoring = validate_write(raw, self._taxonomy, found.mentoring)
            if mentoring == found.mentoring:
                return found
            after = replace(found, mentoring=mentoring, version=found.version + 1)
            await repository.save([after])
            await publish_later(
                uow.session,
                OutgoingEvent(
                    data=snapshot_event("updated", after),
                    source=self._source,
                    id=snapshot_id(after),
                    subject=employee_id,
                ),
            )
            await uow.commit()
            return after
