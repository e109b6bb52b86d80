"""The candidate pool follows ``profiles.events``: the profiles consumer's handler.

The consumer opens the unit of work, claims the batch's inbox rows (a redelivered event
never gets here), calls :func:`apply_profile_events` and commits both together. With
``lifecycle`` deps, what the batch changed also drives the matches (exits, rule
breaks, re-matches: ``service/lifecycle.py``) in that same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence

from tandem_common.events.profiles import ProfileErasedV1, ProfileSnapshot
from tandem_common.messaging.received import ReceivedEvent
from tandem_matching.domain.pool import PoolMember, newest
from tandem_matching.service.clock import Clock, utc_now
from tandem_matching.service.events import enrolments_changed
from tandem_matching.service.lifecycle import LifecycleDeps, follow_profile_changes
from tandem_matching.service.unit_of_work import MatchingUnitOfWork


def pool_member(event: ReceivedEvent) -> PoolMember:
    data = event.data
    if isinstance(data, ProfileErasedV1):
        return PoolMember.erased(data.employee_id, data.profile_version)
    if isinstance(data, ProfileSnapshot):
        return PoolMember.from_snapshot(data.model_dump(mode="json"))
    raise TypeError(f"not a profile event: {type(data).__name__}")


async def apply_profile_events(
    uow: MatchingUnitOfWork,
    events: Sequence[ReceivedEvent],
    *,
    source: str,
    clock: Clock = utc_now,
    lifecycle: LifecycleDeps | None = None,
) -> None:
    """Keep the newest version of each person; a person who departed (or was erased)
    is withdrawn from every program they are enrolled in, each withdrawal published
    (``enrolment.changed.v1``) under ``source``."""
    incoming = newest([pool_member(event) for event in events])
    held = await uow.pool.get(incoming, for_update=True)
    changed = [member for member in incoming.values() if member.supersedes(held.get(member.employee_id))]
    await uow.pool.save(changed)
    gone = [member.employee_id for member in changed if member.gone]
    now = clock()
    if gone:
        enrolments = await uow.enrolments.of_employees(gone, status="enrolled", for_update=True)
        withdrawn = [e.withdraw("departed", now=now) for e in enrolments]
        await uow.enrolments.save(withdrawn)
        await uow.publish(enrolments_changed(withdrawn, source=source))
    if lifecycle is not None and changed:
        await follow_profile_changes(uow, held, changed, now=now, deps=lifecycle)
