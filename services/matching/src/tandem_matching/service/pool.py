"""The candidate pool follows ``profiles.events``: the profiles consumer's handler.

The consumer opens the unit of work, claims the batch's inbox rows (a redelivered event
never gets here), calls :func:`apply_profile_events` and commits both together.
"""

from __future__ import annotations

from collections.abc import Sequence

from tandem_common.events.profiles import ProfileErasedV1, ProfileSnapshot
from tandem_common.messaging.received import ReceivedEvent
from tandem_matching.domain.pool import PoolMember, newest
from tandem_matching.service.clock import Clock, utc_now
from tandem_matching.service.unit_of_work import MatchingUnitOfWork


def pool_member(event: ReceivedEvent) -> PoolMember:
    data = event.data
    if isinstance(data, ProfileErasedV1):
        return PoolMember.erased(data.employee_id, data.profile_version)
    if isinstance(data, ProfileSnapshot):
        return PoolMember.from_snapshot(data.model_dump(mode="json"))
    raise TypeError(f"not a profile event: {type(data).__name__}")


async def apply_profile_events(
    uow: MatchingUnitOfWork, events: Sequence[ReceivedEvent], *, clock: Clock = utc_now
) -> None:
    """Keep the newest version of each person; a person who departed (or was erased)
    is withdrawn from every program they are enrolled in."""
    incoming = newest([pool_member(event) for event in events])
    held = await uow.pool.get(incoming, for_update=True)
    changed = [member for member in incoming.values() if member.supersedes(held.get(member.employee_id))]
    await uow.pool.save(changed)
    gone = [member.employee_id for member in changed if member.gone]
    if gone:
        enrolments = await uow.enrolments.of_employees(gone, status="enrolled", for_update=True)
        now = clock()
        await uow.enrolments.save([e.withdraw("departed", now=now) for e in enrolments])
