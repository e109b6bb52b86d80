"""Engagement signals: a match whose health turns ``at_risk`` is flagged for its admins.

The engagement consumer claims each batch's inbox rows and calls
:func:`apply_engagement_events` in the same transaction, so a redelivered event has no
second effect. ``health.changed.v1`` is published when the band changes, keyed by
``match_id``, so one match's signals arrive in order: the latest band wins. The other
engagement events carry nothing matching acts on.

Admins see the flag on every match read, and list the flagged matches of their program
with :func:`program_matches_by_flag`.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

from tandem_common.events.engagement import HealthChanged
from tandem_common.messaging.received import ReceivedEvent
from tandem_matching.domain import policy
from tandem_matching.domain.matches import Match, MatchStatus
from tandem_matching.domain.policy import Subject, Viewer
from tandem_matching.service.clock import Clock, utc_now
from tandem_matching.service.loading import load_program
from tandem_matching.service.queries import Page
from tandem_matching.service.unit_of_work import MatchingUnitOfWork

log = logging.getLogger(__name__)


def latest_bands(events: Sequence[ReceivedEvent]) -> dict[str, bool]:
    """Whether each match is at risk after ``events`` (in delivery order, the last wins)."""
    bands: dict[str, bool] = {}
    for event in events:
        if isinstance(event.data, HealthChanged):
            bands[event.data.match_id] = event.data.band == "at_risk"
    return bands


async def apply_engagement_events(
    uow: MatchingUnitOfWork, events: Sequence[ReceivedEvent], *, clock: Clock = utc_now
) -> None:
    """Set or clear the ``at_risk`` flag of the active matches the batch's health
    changes name; a match that is not active (or not known) is left alone."""
    bands = latest_bands(events)
    if not bands:
        return
    now = clock()
    found = await uow.matches.get(bands, for_update=True)
    flagged = [
        match.flag_at_risk(bands[match_id], now=now)
        for match_id, match in found.items()
        if match.status == "active" and match.at_risk != bands[match_id]
    ]
    await uow.matches.save(flagged)
    for match in flagged:
        log.info("match health flag", extra={"match_id": match.match_id, "at_risk": match.at_risk})


@dataclass(frozen=True, slots=True)
class FlaggedMatches:
    viewer: Viewer
    program_id: str
    at_risk: bool
    statuses: Sequence[MatchStatus] = ()


async def program_matches_by_flag(
    uow: MatchingUnitOfWork, query: FlaggedMatches, *, after: str | None, limit: int
) -> Page[Match]:
    """The program's matches with the ``at_risk`` flag asked for, for its admins only."""
    program = await load_program(uow, query.program_id)
    policy.require("administer_program", query.viewer, Subject(program=program))
    ids = await uow.lifecycle.flagged_matches(
        query.program_id, at_risk=query.at_risk, statuses=query.statuses, after=after, limit=limit + 1
    )
    found = await uow.matches.get(ids)
    items = [found[i] for i in ids if i in found]
    page = items[:limit]
    return Page(page, page[-1].match_id if len(items) > limit and page else None)
