"""Program and organisation analytics: aggregates only, small groups hidden.

The permission is checked before anything is read; the figures come from
``domain/analytics.py`` on sums the repository takes in the database.
"""

from __future__ import annotations

from typing import Any

from tandem_common.user_errors import UserErrors, not_found
from tandem_engagement.domain import analytics, policy
from tandem_engagement.domain.matches import Program
from tandem_engagement.domain.policy import Subject, Viewer
from tandem_engagement.service.unit_of_work import EngagementUnitOfWork


async def load_program(uow: EngagementUnitOfWork, program_id: str) -> Program:
    found = (await uow.programs.get([program_id])).get(program_id)
    if found is None:
        raise UserErrors([not_found("program_id", "no such program")])
    return found


async def _document(uow: EngagementUnitOfWork, program_id: str | None, min_group: int) -> dict[str, Any]:
    facts = await uow.analytics.match_facts(program_id)
    ratings = await uow.analytics.ratings(program_id)
    enrolled = await uow.analytics.enrolment_facts(program_id)
    people = {member for fact in facts for member in fact.members} | {e.employee_id for e in enrolled}
    traits = await uow.analytics.traits(sorted(people))
    return analytics.program_analytics(traits, facts, ratings, enrolments=enrolled, min_group=min_group)


async def program_analytics(
    uow: EngagementUnitOfWork, viewer: Viewer, program_id: str, *, min_group: int = analytics.MIN_GROUP
) -> dict[str, Any]:
    """Analytics of one program: its admins, hr analysts and admins."""
    program = await load_program(uow, program_id)
    policy.require("view_program_analytics", viewer, Subject(program=program))
    return {"program_id": program_id, **await _document(uow, program_id, min_group)}


async def organisation_analytics(
    uow: EngagementUnitOfWork, viewer: Viewer, *, min_group: int = analytics.MIN_GROUP
) -> dict[str, Any]:
    """Analytics of every program together: hr analysts and admins."""
    policy.require("view_organisation_analytics", viewer, Subject())
    return {"program_id": None, **await _document(uow, None, min_group)}
