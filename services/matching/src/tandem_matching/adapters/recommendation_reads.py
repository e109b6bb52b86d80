"""All SQL of reading one program's recommendation inputs, in one transaction.

Lean on purpose: at 100,000 enrolled people this reads every enrolled snapshot, so
snapshots come back as JSON text (decoded later, in the worker that builds the index,
rather than on the event loop) and matches as bare member lists.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from tandem_matching.adapters.match_repository import MatchRepository
from tandem_matching.service.recommendations import IndexInputs

_PARTICIPANTS = text(
    """
    SELECT e.employee_id, e.roles, CAST(p.snapshot AS text) AS snapshot
    FROM enrolments e JOIN pool_members p ON p.employee_id = e.employee_id
    WHERE e.program_id = :program_id AND e.status = 'enrolled' AND p.snapshot IS NOT NULL
    ORDER BY e.employee_id
    """
)

# Participants' own lines come with their snapshots: only everyone else's are read.
_MANAGER_LINKS = text(
    """
    SELECT p.employee_id, p.snapshot ->> 'manager_id' AS manager_id
    FROM pool_members p
    WHERE p.snapshot IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM enrolments e
        WHERE e.program_id = :program_id AND e.employee_id = p.employee_id AND e.status = 'enrolled'
    )
    """
)

_OPEN_MATCH_MEMBERS = text(
    """
    SELECT mm.match_id, mm.employee_id
    FROM matches m JOIN match_members mm ON mm.match_id = m.match_id
    WHERE m.program_id = :program_id AND m.status IN ('proposed', 'active')
    ORDER BY mm.match_id, mm.position
    """
)


async def read_index_inputs(session: AsyncSession, program_id: str) -> IndexInputs:
    """The program's enrolled people, everyone else's manager links, open matches, previous pairs."""
    params = {"program_id": program_id}
    participants = [
        (row.employee_id, tuple(row.roles), row.snapshot)
        for row in await session.execute(_PARTICIPANTS, params)
    ]
    links = [(row.employee_id, row.manager_id) for row in await session.execute(_MANAGER_LINKS, params)]
    members: dict[str, list[str]] = {}
    for row in await session.execute(_OPEN_MATCH_MEMBERS, params):
        members.setdefault(row.match_id, []).append(row.employee_id)
    previous = await MatchRepository(session).previous_pairs(program_id)
    return IndexInputs(participants, links, list(members.values()), previous)
