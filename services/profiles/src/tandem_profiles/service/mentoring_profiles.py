"""Employees edit their own mentoring profile; every effective write publishes a snapshot.

Two use cases: one write (``PATCH /v1/profiles/{id}/mentoring``) and many writes in
one transaction (``POST /v1/mentoring/bulk``). Both get, decide (``StoredEmployee.
edit_mentoring``), save; the HTTP handler opens the unit of work and commits.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from tandem_common.outbox.writer import OutgoingEvent
from tandem_profiles.domain.mentoring import MentoringProfileInvalid
from tandem_profiles.domain.profile import EmployeeDepartedError, StoredEmployee
from tandem_profiles.domain.taxonomy import SkillTaxonomy
from tandem_profiles.service.snapshots import snapshot_event, snapshot_id
from tandem_profiles.service.unit_of_work import ProfilesUnitOfWork


class EmployeeNotFoundError(LookupError):
    pass


@dataclass(frozen=True, slots=True)
class UpdateMentoring:
    """One write to an employee's mentoring profile, as the API received it."""

    employee_id: str
    write: Mapping[str, Any]


WriteStatus = Literal["ok", "invalid", "not_found", "departed"]


@dataclass(frozen=True, slots=True)
class WriteOutcome:
    employee_id: str
    status: WriteStatus
    # For an invalid write, one ``field: message`` per bad field.
    errors: tuple[str, ...] = ()


async def update_mentoring(
    uow: ProfilesUnitOfWork, command: UpdateMentoring, *, taxonomy: SkillTaxonomy, source: str
) -> StoredEmployee:
    """Apply one write and return the profile after it.

    Raises ``EmployeeNotFoundError``, ``EmployeeDepartedError`` or
    ``MentoringProfileInvalid``, having written nothing.
    """
    found = (await uow.employees.load([command.employee_id], for_update=True)).get(command.employee_id)
    if found is None:
        raise EmployeeNotFoundError(command.employee_id)
    after = found.edit_mentoring(command.write, taxonomy)
    if after is not found:
        await uow.employees.save([after])
        await uow.publish_one(_updated(after, source))
    return after


async def update_mentoring_in_bulk(
    uow: ProfilesUnitOfWork,
    commands: Sequence[UpdateMentoring],
    *,
    taxonomy: SkillTaxonomy,
    source: str,
) -> list[WriteOutcome]:
    """Apply many writes, in order; a bad one is reported and the others still apply.

    The profiles are loaded (and locked) together, in id order like every other writer,
    and two writes to one employee apply one after the other, each with its snapshot.
    """
    current = await uow.employees.load({command.employee_id for command in commands}, for_update=True)
    changed: dict[str, StoredEmployee] = {}
    outgoing: list[OutgoingEvent] = []
    outcomes: list[WriteOutcome] = []
    for command in commands:
        employee_id = command.employee_id
        found = current.get(employee_id)
        if found is None:
            outcomes.append(WriteOutcome(employee_id, "not_found"))
            continue
        try:
            after = found.edit_mentoring(command.write, taxonomy)
        except EmployeeDepartedError:
            outcomes.append(WriteOutcome(employee_id, "departed"))
            continue
        except MentoringProfileInvalid as error:
            outcomes.append(WriteOutcome(employee_id, "invalid", tuple(str(e) for e in error.errors)))
            continue
        if after is not found:
            current[employee_id] = changed[employee_id] = after
            outgoing.append(_updated(after, source))
        outcomes.append(WriteOutcome(employee_id, "ok"))
    await uow.employees.save(list(changed.values()))
    await uow.publish(outgoing)
    return outcomes


def _updated(after: StoredEmployee, source: str) -> OutgoingEvent:
    return OutgoingEvent(
        data=snapshot_event("updated", after),
        source=source,
        id=snapshot_id(after),
        subject=after.record.employee_id,
    )
