"""Enrolment: one person enrols (themself, or an admin enrols them), an admin enrols
many at once (all or nothing), and people withdraw.

Every change of an enrolment (a new one, new roles, a withdrawal) publishes
``enrolment.changed.v1`` in the same transaction; enrolling again with the same roles
changes nothing and publishes nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from tandem_common.fields import EMPLOYEE_ID
from tandem_common.user_errors import UserError, UserErrors, not_found, validation
from tandem_matching.domain import policy
from tandem_matching.domain.enrolment import Enrolment, WithdrawReason, enrol_person, program_refusal
from tandem_matching.domain.policy import Subject, Viewer
from tandem_matching.service import events
from tandem_matching.service.loading import load_program
from tandem_matching.service.unit_of_work import MatchingUnitOfWork


@dataclass(frozen=True, slots=True)
class Enrol:
    viewer: Viewer
    program_id: str
    employee_id: str
    # Mentoring roles as the caller sent them (validated here): a list of "mentor", "mentee".
    roles: Any


@dataclass(frozen=True, slots=True)
class BulkEnrol:
    viewer: Viewer
    program_id: str
    # Rows as the caller sent them: each {"employee_id", "roles"}.
    items: Any


@dataclass(frozen=True, slots=True)
class Withdraw:
    viewer: Viewer
    program_id: str
    employee_id: str


async def enrol(uow: MatchingUnitOfWork, command: Enrol, *, now: datetime, source: str) -> Enrolment:
    """Enrol one person; enrolling again with other roles changes their roles."""
    program = await load_program(uow, command.program_id)
    policy.require("enrol", command.viewer, Subject(program=program, employee_id=command.employee_id))
    _require_open(program_refusal(program))
    item = {"employee_id": command.employee_id, "roles": command.roles}
    if not isinstance(command.employee_id, str) or not EMPLOYEE_ID.match(command.employee_id):
        raise UserErrors([validation("employee_id", "must be an employee id")])
    member = (await uow.pool.get([command.employee_id])).get(command.employee_id)
    held = (await uow.enrolments.get(program.program_id, [command.employee_id], for_update=True)).get(
        command.employee_id
    )
    outcome = enrol_person(program, item, member, held=held, now=now)
    if isinstance(outcome, list):
        raise UserErrors(outcome)
    if outcome is not held:
        await uow.enrolments.save([outcome])
        await uow.publish(events.enrolments_changed([outcome], source=source))
    return outcome


async def enrol_in_bulk(
    uow: MatchingUnitOfWork, command: BulkEnrol, *, now: datetime, limit: int, source: str
) -> list[Enrolment]:
    """Enrol every row of ``items``, or none: any bad row refuses the whole command, with
    each problem named ``items.<row>.<field>``."""
    program = await load_program(uow, command.program_id)
    policy.require("administer_program", command.viewer, Subject(program=program))
    _require_open(program_refusal(program))
    items = command.items
    if not isinstance(items, list) or not items:
        raise UserErrors([validation("items", "must be a non-empty list")])
    if len(items) > limit:
        raise UserErrors([validation("items", f"must have at most {limit} rows")])
    ids = [_employee_id(item) for item in items]
    known = [i for i in ids if i is not None]
    members = await uow.pool.get(known)
    held = await uow.enrolments.get(program.program_id, known, for_update=True)
    errors: list[UserError] = []
    outcomes: list[Enrolment] = []
    seen: set[str] = set()
    for row, (item, employee_id) in enumerate(zip(items, ids, strict=True)):
        if employee_id is not None and employee_id in seen:
            errors.append(validation(f"items.{row}.employee_id", "repeats an earlier row"))
            continue
        if employee_id is not None:
            seen.add(employee_id)
        member = members.get(employee_id) if employee_id is not None else None
        previous = held.get(employee_id) if employee_id is not None else None
        outcome = enrol_person(program, item, member, held=previous, now=now)
        if isinstance(outcome, list):
            errors.extend(error.under(f"items.{row}") for error in outcome)
        else:
            outcomes.append(outcome)
    if errors:
        raise UserErrors(errors)
    changed = [o for o in outcomes if o is not held.get(o.employee_id)]
    await uow.enrolments.save(changed)
    await uow.publish(events.enrolments_changed(changed, source=source))
    return outcomes


async def withdraw(uow: MatchingUnitOfWork, command: Withdraw, *, now: datetime, source: str) -> Enrolment:
    """The person leaves the program (``withdrew``), or an admin removes them
    (``removed_by_admin``)."""
    program = await load_program(uow, command.program_id)
    policy.require("withdraw", command.viewer, Subject(program=program, employee_id=command.employee_id))
    _require_open(program_refusal(program))
    held = (await uow.enrolments.get(program.program_id, [command.employee_id], for_update=True)).get(
        command.employee_id
    )
    if held is None or held.status != "enrolled":
        raise UserErrors([not_found("employee_id", "is not enrolled in the program")])
    reason: WithdrawReason = (
        "withdrew" if command.viewer.employee_id == command.employee_id else "removed_by_admin"
    )
    after = held.withdraw(reason, now=now)
    await uow.enrolments.save([after])
    await uow.publish(events.enrolments_changed([after], source=source))
    return after


def _employee_id(item: Any) -> str | None:
    if isinstance(item, Mapping):
        value = item.get("employee_id")
        if isinstance(value, str) and EMPLOYEE_ID.match(value):
            return value
    return None


def _require_open(error: UserError | None) -> None:
    if error is not None:
        raise UserErrors([error])
