"""Enrolment: who takes part in a program, with which roles, and who may.

A person may enrol while the program is ``enrolling`` or ``running``, if they are in
the pool, active, and meet the program's eligibility. Each role they ask for must be
in their own mentoring profile. In a mentor-and-mentee program (traditional, reverse,
group) they name at least one role. In a partner program (reciprocal, peer) roles are
optional: without any, their profile's roles are stored, and their profile must name
at least one (they opted into mentoring at all).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

from tandem_common import fields as f
from tandem_common.user_errors import UserError, conflict, not_found
from tandem_matching.domain.pool import MENTORING_ROLES, PoolMember
from tandem_matching.domain.programs import Program

EnrolmentStatus = Literal["enrolled", "withdrawn"]
WithdrawReason = Literal["withdrew", "removed_by_admin", "departed"]


@dataclass(frozen=True, slots=True)
class Enrolment:
    program_id: str
    employee_id: str
    roles: tuple[str, ...]
    status: EnrolmentStatus
    enrolled_at: datetime
    updated_at: datetime
    withdrawn_reason: WithdrawReason | None = None

    def withdraw(self, reason: WithdrawReason, *, now: datetime) -> Enrolment:
        """Withdrawn; ``self`` if it already is."""
        if self.status == "withdrawn":
            return self
        return replace(self, status="withdrawn", withdrawn_reason=reason, updated_at=now)


def enrolment_item_fields(program: Program) -> Mapping[str, f.Check]:
    """The fields of one enrolment: ``employee_id`` and ``roles``."""
    minimum = 0 if program.partners else 1
    return {
        "employee_id": f.employee_id,
        "roles": f.list_of(f.one_of(MENTORING_ROLES), max_items=len(MENTORING_ROLES), min_items=minimum),
    }


def program_refusal(program: Program) -> UserError | None:
    """Why nobody can enrol in (or withdraw from) ``program`` now, if so."""
    if program.open_for_enrolment:
        return None
    return conflict(
        "program_id", f"the program is {program.status}; people enrol while it is enrolling or running"
    )


def enrol_person(
    program: Program,
    item: Mapping[str, Any],
    member: PoolMember | None,
    *,
    held: Enrolment | None,
    now: datetime,
) -> Enrolment | list[UserError]:
    """The enrolment of one person as ``item`` asks (``employee_id``, ``roles``), or why not.

    ``held`` is their current enrolment in the program, if any: enrolling again with
    other roles changes the roles; with the same ones it is ``held`` itself.
    """
    required = ("employee_id",) if program.partners else ("employee_id", "roles")
    errors = f.check_object(item, enrolment_item_fields(program), required=required)
    if errors:
        return errors
    employee_id: str = item["employee_id"]
    if member is None:
        return [not_found("employee_id", "is not an employee known to matching")]
    if member.gone:
        return [conflict("employee_id", "has departed")]
    if not member.active:
        return [conflict("employee_id", "is not active (on leave); only active employees can enrol")]
    reasons = program.eligibility.refusals(member.department, member.country, member.seniority_level)
    if reasons:
        return [conflict("employee_id", "does not meet the program's eligibility: " + "; ".join(reasons))]
    requested: list[str] = list(item.get("roles") or [])
    offered = member.roles
    missing = [
        conflict(f"roles.{position}", f"their mentoring profile does not offer the {role} role")
        for position, role in enumerate(requested)
        if role not in offered
    ]
    if missing:
        return missing
    roles = tuple(requested) if requested else tuple(r for r in MENTORING_ROLES if r in offered)
    if not roles:
        return [conflict("roles", "their mentoring profile names no mentoring role")]
    if held is not None and held.status == "enrolled" and held.roles == roles:
        return held
    return Enrolment(
        program_id=program.program_id,
        employee_id=employee_id,
        roles=roles,
        status="enrolled",
        enrolled_at=held.enrolled_at if held is not None and held.status == "enrolled" else now,
        updated_at=now,
    )
