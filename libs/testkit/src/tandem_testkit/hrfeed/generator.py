"""The synthetic HR feed: a whole organisation as hr.employees events, plus profiles.

Pure and deterministic: the same request gives the same bytes. Each concern (the
organisation, the mentoring profiles, the churn) draws from its own child of the
request's seed, so turning churn on does not change anyone's hire event or profile.
Output is produced in chunks of bytes; writing them is the caller's business.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

import numpy as np

from tandem_profiles.domain.taxonomy import SkillTaxonomy
from tandem_testkit.hrfeed.churn import (
    CHURN_WINDOW_DAYS,
    MAX_EVENTS_PER_PERSON,
    ChurnEvent,
    Exit,
    build_churn,
)
from tandem_testkit.hrfeed.encoding import DateLabels, LineEncoder, employee_ids, mentoring_lines
from tandem_testkit.hrfeed.mentoring_profiles import (
    MentoringProfiles,
    SkillCatalogue,
    build_profiles,
)
from tandem_testkit.hrfeed.organisation import MAX_EMPLOYEES, Organisation, build_organisation
from tandem_testkit.hrfeed.reference_data import REFERENCE_DATE

DEFAULT_CHUNK = 50_000


@dataclass(frozen=True, slots=True)
class FeedRequest:
    employees: int
    seed: int
    churn: float = 0.0
    reference_date: date = REFERENCE_DATE

    def __post_init__(self) -> None:
        if not 1 <= self.employees <= MAX_EMPLOYEES:
            raise ValueError(f"--employees must be between 1 and {MAX_EMPLOYEES:,}")
        if self.seed < 0:
            raise ValueError("--seed must be a non-negative integer")
        if not 0.0 <= self.churn <= 1.0:
            raise ValueError("--churn must be a fraction between 0 and 1")


@dataclass(frozen=True, slots=True)
class Chunk:
    data: bytes
    lines: int


@dataclass(slots=True)
class HrFeed:
    request: FeedRequest
    organisation: Organisation
    profiles: MentoringProfiles
    churn: list[ChurnEvent]
    _ids: list[str] = field(repr=False)

    @property
    def exits(self) -> int:
        return sum(1 for event in self.churn if isinstance(event, Exit))

    @property
    def changes(self) -> int:
        return len(self.churn) - self.exits

    @property
    def event_count(self) -> int:
        return self.organisation.size + len(self.churn)

    def event_chunks(self, chunk_size: int = DEFAULT_CHUNK) -> Iterator[Chunk]:
        """Hires in hire-date order, then changes and exits in effective-date order."""
        org = self.organisation
        last_day = CHURN_WINDOW_DAYS + MAX_EVENTS_PER_PERSON
        dates = DateLabels(org.reference_date, int(org.hire_day.min()), last_day)
        encoder = LineEncoder(org, self._ids, dates, self.request.seed)
        for start in range(0, org.size, chunk_size):
            stop = min(start + chunk_size, org.size)
            yield Chunk(encoder.hires(start, stop), stop - start)
        for start in range(0, len(self.churn), chunk_size):
            events = self.churn[start : start + chunk_size]
            yield Chunk(encoder.churn(events), len(events))

    def mentoring_chunks(self, chunk_size: int = DEFAULT_CHUNK) -> Iterator[Chunk]:
        """One mentoring profile per employee, in employee id order."""
        for start in range(0, self.organisation.size, chunk_size):
            stop = min(start + chunk_size, self.organisation.size)
            objects = self.profiles.objects(start, stop)
            yield Chunk(mentoring_lines(self._ids, start, objects), stop - start)


def generate_feed(request: FeedRequest, taxonomy: SkillTaxonomy) -> HrFeed:
    organisation_seed, profiles_seed, churn_seed = np.random.SeedSequence(request.seed).spawn(3)
    organisation = build_organisation(
        request.employees, np.random.default_rng(organisation_seed), request.reference_date
    )
    profiles = build_profiles(
        organisation, SkillCatalogue.from_taxonomy(taxonomy), np.random.default_rng(profiles_seed)
    )
    churn = build_churn(organisation, request.churn, np.random.default_rng(churn_seed))
    return HrFeed(request, organisation, profiles, churn, employee_ids(organisation.size))
